"""Models: ``Sequential``, the functional ``Model``, and the training loops.

``load_model`` and ``save_model`` are also reachable here, as in Keras (``keras.models``);
they live in :mod:`deepgrad.saving`, the tier above, and are imported on first use.

>>> import deepgrad as dg
>>> isinstance(dg.Sequential(), dg.Model)
True
>>> dg.models.load_model is dg.saving.load_model
True
"""

from deepgrad.models.cloning import clone_model
from deepgrad.models.model import Model, model_from_json
from deepgrad.models.sequential import Sequential

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]

_FROM_SAVING = {"load_model", "save_model"}


def __getattr__(name: str):
    # deepgrad.saving imports this package, so it cannot be imported at the top.
    if name in _FROM_SAVING:
        from deepgrad import saving

        return getattr(saving, name)
    raise AttributeError(f"module 'deepgrad.models' has no attribute {name!r}")
