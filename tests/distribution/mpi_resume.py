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
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2 and dg.distribution.distribution().process_id == 1:
            raise KeyboardInterrupt("rank 1 interrupted")


def main(how: str, folder: str) -> None:
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
    callbacks = [dg.callbacks.BackupAndRestore(os.path.join(folder, "backup"))]
    if how == "interrupt":
        callbacks.append(Interrupt())
    model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=callbacks)
    if dg.distribution.distribution() is None or dg.distribution.distribution().process_id == 0:
        np.save(os.path.join(folder, f"{how}.npy"),
                np.concatenate([w.ravel() for w in model.get_weights()]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
