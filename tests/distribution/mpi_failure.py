"""A two-rank fit in which rank 1 fails at its third batch, in the way ``sys.argv[1]``
names: ``raise`` (an exception), ``exit`` (the process ends without a word), ``kill``
(SIGKILL) or ``stall``
(it stops meeting the others). tests/distribution/test_failures.py checks that the job
ends, with an error naming the rank."""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import deepgrad as dg


class FailOnRank1(dg.callbacks.Callback):
    def __init__(self, how: str):
        super().__init__()
        self.how = how

    def on_train_batch_begin(self, batch, logs=None):
        distribution = dg.distribution.distribution()
        if batch == 1:  # started and warm: from now on, a short wait is a failure
            distribution.timeout = 2.0
        if distribution.process_id != 1 or batch != 2:
            return
        if self.how == "raise":
            raise ValueError("the data of batch 3 is corrupt")
        if self.how == "exit":
            os._exit(3)
        if self.how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(600)


def main(how: str) -> None:
    dg.distribution.set_distribution(dg.distribution.DataParallel(timeout=120))
    dg.utils.set_random_seed(0)
    model = dg.Sequential([dg.Input((4,)), dg.layers.Dense(2)])
    model.compile("sgd", "mse")
    x = np.zeros((64, 4), "float32")
    model.fit(x, np.zeros((64, 2), "float32"), batch_size=8, epochs=1, verbose=0,
              callbacks=[FailOnRank1(how)])


if __name__ == "__main__":
    main(sys.argv[1])
