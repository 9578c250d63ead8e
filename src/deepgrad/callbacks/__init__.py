"""Callbacks for ``fit``, ``evaluate`` and ``predict``, with Keras's names and hooks.

>>> import deepgrad as dg
>>> isinstance(dg.callbacks.History(), dg.callbacks.Callback)
True
"""

from deepgrad.callbacks.base import Callback, CallbackList, History, ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
