"""Callbacks for ``fit``, ``evaluate`` and ``predict``, with Keras's names and hooks.

>>> import deepgrad as dg
>>> isinstance(dg.callbacks.History(), dg.callbacks.Callback)
True
"""

from deepgrad.callbacks.backup_and_restore import BackupAndRestore
from deepgrad.callbacks.base import Callback, CallbackList, History, ProgbarLogger
from deepgrad.callbacks.csv_logger import CSVLogger
from deepgrad.callbacks.early_stopping import EarlyStopping
from deepgrad.callbacks.lambda_callback import LambdaCallback
from deepgrad.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from deepgrad.callbacks.model_checkpoint import ModelCheckpoint
from deepgrad.callbacks.remote_monitor import RemoteMonitor
from deepgrad.callbacks.swap_ema_weights import SwapEMAWeights
from deepgrad.callbacks.tensorboard import TensorBoard
from deepgrad.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore", "Callback", "CallbackList", "History", "ProgbarLogger", "CSVLogger",
    "EarlyStopping", "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint",
    "ReduceLROnPlateau", "RemoteMonitor", "SwapEMAWeights", "TensorBoard", "TerminateOnNaN",
]
