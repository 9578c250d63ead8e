"""A small training run for the BackupAndRestore tests, run in a child process that may be
killed with SIGKILL (``python resumable_fit.py BACKUP_DIR OUT SAVE_FREQ [KILL_EPOCH KILL_BATCH]``)
or called in the test process (:func:`train`) for the uninterrupted reference."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import numpy as np

import deepgrad as dg


class KillAt(dg.callbacks.Callback):
    """SIGKILL this process after a given batch (the test's "kill -9")."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, batch if self.batch < 0 else self.batch):
            os.kill(os.getpid(), signal.SIGKILL)


class Slow(dg.callbacks.Callback):
    """Make each batch last a little, so that a kill from outside lands mid-training."""

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.02)


def train(backup_dir=None, save_freq="epoch", kill=None, slow=False):
    """Train a small model with Dropout (random draws every step) and a shuffle each epoch."""
    dg.utils.set_random_seed(7)
    dg.layers.clear_session()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 1)) + 0.1 * rng.normal(size=(50, 1))).astype(np.float32)
    model = dg.Sequential([dg.layers.Dense(8, activation="relu", input_shape=(4,)),
                           dg.layers.Dropout(0.3), dg.layers.Dense(1)])
    model.compile(dg.optimizers.Adam(0.01), "mse", metrics=["mae"])
    callbacks = []
    if backup_dir is not None:
        callbacks.append(dg.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq))
    if kill is not None:
        callbacks.append(KillAt(*kill))
    if slow:
        callbacks.append(Slow())
    history = model.fit(x, y, epochs=4, batch_size=8, validation_split=0.2, verbose=0,
                        callbacks=callbacks)
    return model.get_weights(), history.history, history.epoch


if __name__ == "__main__":
    backup, out, freq = sys.argv[1], sys.argv[2], sys.argv[3]
    kill = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else None
    weights, logs, epochs = train(backup, "epoch" if freq == "epoch" else int(freq), kill,
                                  slow=os.environ.get("SLOW") == "1")
    np.savez(out, *weights)
    with open(out + ".json", "w", encoding="utf-8") as file:
        json.dump({"history": logs, "epochs": epochs}, file)
