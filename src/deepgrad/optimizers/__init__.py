"""Optimizers with Keras 3's names, arguments and update rules.

The update rules are pure functions in :mod:`deepgrad.optimizers.updates`; the classes
hold configuration and state, and update all parameters in a few vectorised calls
(see :mod:`deepgrad.optimizers.flat`).

>>> import numpy as np
>>> import deepgrad as dg
>>> w = dg.Variable(np.array([1.0, 2.0], dtype=np.float32))
>>> opt = dg.optimizers.get("adam")
>>> opt.apply_gradients(zip([np.array([0.5, -0.5], dtype=np.float32)], [w]))
>>> w.numpy()
array([0.999, 2.001], dtype=float32)
"""

from deepgrad.optimizers import schedules
from deepgrad.optimizers.adadelta import Adadelta
from deepgrad.optimizers.adafactor import Adafactor
from deepgrad.optimizers.adagrad import Adagrad
from deepgrad.optimizers.adam import Adam, Adamax, AdamW, Nadam
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.ftrl import Ftrl
from deepgrad.optimizers.lamb import Lamb
from deepgrad.optimizers.lion import Lion
from deepgrad.optimizers.loss_scale_optimizer import LossScaleOptimizer
from deepgrad.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from deepgrad.optimizers.muon import Muon
from deepgrad.optimizers.rmsprop import RMSprop
from deepgrad.optimizers.schedule_free import ScheduleFreeAdamW
from deepgrad.optimizers.serialization import deserialize, get, serialize
from deepgrad.optimizers.sgd import SGD

__all__ = [
    "SGD", "Adam", "Nadam", "RMSprop", "Adagrad", "AdamW", "Adadelta", "Adafactor", "Adamax",
    "Ftrl", "Lion", "Lamb", "Muon", "ScheduleFreeAdamW", "LossScaleOptimizer", "MultiOptimizer",
    "OptimizerMap", "Optimizer",
    "get", "serialize",
    "deserialize", "schedules",
]
