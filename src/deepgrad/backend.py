"""Keras's ``keras.backend`` names, gathered from where deepgrad keeps them.

Course code written for Keras calls ``keras.backend.clear_session()``,
``keras.backend.epsilon()`` or ``keras.backend.floatx()``; with ``import deepgrad as dg``
the same calls are ``dg.backend.clear_session()`` and so on. This module only re-exports:
the settings live in :mod:`deepgrad.config`, the dtype rules in ``deepgrad.ops.dtypes``,
layer naming and ``clear_session`` in ``deepgrad.layers.base``.

:func:`backend` answers ``'numpy'``: deepgrad computes every op with NumPy.

>>> import deepgrad as dg
>>> dg.backend.backend(), dg.backend.floatx(), dg.backend.epsilon()
('numpy', 'float32', 1e-07)
>>> dg.backend.result_type("int32", "float16"), dg.backend.is_int_dtype("uint8")
('float16', True)
"""

from __future__ import annotations

from deepgrad.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from deepgrad.layers.base import clear_session, get_uid
from deepgrad.ops.dtypes import is_float_dtype, is_int_dtype, result_type, standardize_dtype
from deepgrad.utils.tensor_utils import is_keras_tensor

__all__ = [
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
    "set_floatx", "set_image_data_format", "standardize_dtype",
]
