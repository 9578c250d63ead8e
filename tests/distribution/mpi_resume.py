"""A two-rank fit with BackupAndRestore: ``interrupt`` makes rank 1 raise as the third
epoch begins (the job ends with an error); ``resume`` starts it again and it finishes,
restored from rank 0's backup; ``alone`` is one process without interruption.
tests/distribution/test_failures.py compares the weights of ``resume`` and ``alone``."""

from __future__ import annotations

import os
import sys

import numpy as np

import deepgrad as dg


class Interrupt(dg.callbacks.Callback):
    def __init__(self, batch: int):
        super().__init__()
        self.batch = batch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == (2, self.batch) and (
                dg.distribution.distribution().process_id == 1):
            raise KeyboardInterrupt("rank 1 interrupted")

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def main(how: str, folder: str, save_freq: str = "epoch") -> None:
    """``save_freq="epoch"``: rank 1 stops as the third epoch begins; an int: after the
    third epoch's second batch, past a backup taken in the middle of that epoch."""
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    if how != "alone":
        dg.distribution.set_distribution(dg.distribution.DataParallel(timeout=120))
    dg.utils.set_random_seed(0)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(96, 6)).astype("float32")
    y = rng.integers(0, 3, 96)
    model = dg.Sequential([dg.Input((6,)), dg.layers.Dense(8, activation="relu"),
                           dg.layers.Dense(3, activation="softmax")])
    model.compile(dg.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    callbacks = [dg.callbacks.BackupAndRestore(os.path.join(folder, "backup"),
                                               save_freq=save_freq)]
    if how == "interrupt":
        callbacks.append(Interrupt(0 if save_freq == "epoch" else 2))
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=callbacks).history
    if dg.distribution.distribution() is None or dg.distribution.distribution().process_id == 0:
        np.save(os.path.join(folder, f"{how}.npy"),
                np.concatenate([w.ravel() for w in model.get_weights()]))
        np.save(os.path.join(folder, f"{how}-history.npy"),
                np.array([history["loss"][-2:], history["accuracy"][-2:]]))


if __name__ == "__main__":
    main(*sys.argv[1:])
