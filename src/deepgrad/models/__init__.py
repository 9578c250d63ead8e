"""Models: ``Sequential``, the functional ``Model``, and the training loops.

>>> import deepgrad as dg
>>> isinstance(dg.Sequential(), dg.Model)
True
"""

from deepgrad.models.model import Model
from deepgrad.models.saving import load_model, save_model
from deepgrad.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "save_model"]
