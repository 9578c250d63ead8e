"""3-D pooling layers over volumes ``(batch, depth, height, width, channels)``:
``MaxPooling3D``, ``AveragePooling3D`` (on ``deepgrad.ops.pool3d``) and their global
forms ``GlobalMaxPooling3D``, ``GlobalAveragePooling3D``, with Keras's aliases
(``MaxPool3D``, ``AvgPool3D``, ``GlobalMaxPool3D``, ``GlobalAvgPool3D``).

>>> import deepgrad as dg
>>> dg.layers.MaxPooling3D()(np.zeros((2, 4, 6, 6, 3), np.float32)).shape
(2, 2, 3, 3, 3)
>>> dg.layers.GlobalAveragePooling3D(keepdims=True).compute_output_shape((None, 4, 6, 6, 3))
(None, 1, 1, 1, 3)
"""

from __future__ import annotations

from deepgrad import ops
from deepgrad.layers.pooling import _GlobalPooling, _Pooling
from deepgrad.ops.pool3d import avg_pool3d, max_pool3d

__all__ = [
    "MaxPooling3D",
    "AveragePooling3D",
    "GlobalMaxPooling3D",
    "GlobalAveragePooling3D",
    "MaxPool3D",
    "AvgPool3D",
    "GlobalMaxPool3D",
    "GlobalAvgPool3D",
]


class MaxPooling3D(_Pooling):
    """Max over ``pool_size`` windows of each channel of a volume, moved by ``strides``.

    Args:
        pool_size: an int or ``(depth, height, width)``; default ``(2, 2, 2)``.
        strides: an int or three ints; None (default) means ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (padding is never the maximum), any case.
        data_format: ``'channels_last'`` (default).

    >>> MaxPooling3D(3, strides=2, padding="same").compute_output_shape((None, 5, 7, 7, 8))
    (None, 3, 4, 4, 8)
    """

    rank = 3
    _op = staticmethod(max_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding: str = "valid",
                 data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    """Mean over ``pool_size`` windows of each channel of a volume (padding not counted).

    Arguments and shapes as :class:`MaxPooling3D`.

    >>> AveragePooling3D(2)(np.ones((1, 2, 2, 2, 1))).data.ravel()
    array([1.], dtype=float32)
    """

    rank = 3
    _op = staticmethod(avg_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding: str = "valid",
                 data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over depth, height and width: ``(batch, d, h, w, c) -> (batch, c)``.

    Args:
        data_format: ``'channels_last'`` (default).
        keepdims: keep the spatial axes with size 1: ``(batch, 1, 1, 1, c)``.

    >>> GlobalAveragePooling3D()(np.ones((2, 3, 4, 5, 6))).shape
    (2, 6)
    """

    rank = 3
    _reduce = staticmethod(ops.mean)


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over depth, height and width: ``(batch, d, h, w, c) -> (batch, c)``; tied maxima
    share the gradient equally. Arguments as :class:`GlobalAveragePooling3D`.

    >>> GlobalMaxPooling3D()(np.arange(16.0).reshape(1, 2, 2, 2, 2)).data
    array([[14., 15.]], dtype=float32)
    """

    rank = 3
    _reduce = staticmethod(ops.max)


MaxPool3D = MaxPooling3D
AvgPool3D = AveragePooling3D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool3D = GlobalAveragePooling3D
