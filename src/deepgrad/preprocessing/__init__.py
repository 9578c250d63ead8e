"""``dg.preprocessing``, as Keras 3's ``keras.preprocessing``: data loading helpers.

The same functions as in :mod:`deepgrad.utils`, under Keras 3's names:
``image_dataset_from_directory``, ``text_dataset_from_directory``,
``timeseries_dataset_from_array``, and the submodules :mod:`~deepgrad.preprocessing.image`
(``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``, ``smart_resize``) and
:mod:`~deepgrad.preprocessing.sequence` (``pad_sequences``). Keras 3 has no
``preprocessing.text`` any more: use ``dg.layers.TextVectorization``.

>>> import deepgrad as dg
>>> dg.preprocessing.sequence.pad_sequences([[1, 2], [3]]).tolist()
[[1, 2], [0, 3]]
>>> dg.preprocessing.text_dataset_from_directory is dg.utils.text_dataset_from_directory
True
"""

from __future__ import annotations

import importlib

from deepgrad.preprocessing import image, sequence

__all__ = [
    "image",
    "sequence",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]

_LAZY = {
    "image_dataset_from_directory": "deepgrad.utils.image_dataset",
    "text_dataset_from_directory": "deepgrad.utils.text_dataset",
    "timeseries_dataset_from_array": "deepgrad.utils.timeseries_dataset",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'deepgrad.preprocessing' has no attribute {name!r}")


def __dir__():
    return __all__
