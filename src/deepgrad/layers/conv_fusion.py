"""How a convolution takes the layers after it into its own op (deepgrad's addition).

A model's plan asks each call whether it can run the next ones in the same op
(:meth:`deepgrad.layers.Layer.fuse`); the later layers are known only by their
:meth:`~deepgrad.layers.Layer.epilogue`. A 2-D convolution (``Conv2D``,
``DepthwiseConv2D``, ``SeparableConv2D``, channels last, no activation of its own) takes:

- a batch normalization that runs on fixed statistics (``predict``, ``evaluate``,
  ``training=False``, or a frozen layer): its output is ``x * scale + shift`` per
  channel, so it folds into the convolution, ``kernel * scale`` and ``bias * scale +
  shift``. The convolution's output is the normalized one: no pass over it, no new
  array. The folded weights are built with ops on every call (a pass over the kernel,
  not the activations), so gradients still reach the kernel, ``gamma`` and ``beta``.
  In training the batch's statistics are needed: the call declines, the convolution
  runs alone and the normalization takes the activation itself
  (``BatchNormalization.fuse``).
- a ReLU or ReLU6 after either, clipped in place by the convolution's op.
- a residual ``Add`` after a chain that ends before any activation, and the ReLU after
  the sum (``Add.fuse_input``: the plan gives the sum the chain): the sum's other input
  is added to the convolution's output, on the 1x1 path block by block while each is in
  the cache (ResNet50's inference 1.05x, ``benchmarks/ab_commits.py resnet50_predict``).

A ``ZeroPadding2D`` before a ``'valid'`` convolution (MobileNetV2 and ResNet50 pad before
their strided convolutions) runs as the convolution's own padding
(:func:`fuse_padding`): the kernels read only the input a tap reaches, so the padded
copy is never made (MobileNetV2's four pads were 3.3 ms of a 52.6 ms ``predict_on_batch``
on two threads, as long as on one; ``benchmarks/models.py``).

The numbers are those of the separate layers to float32 rounding (the product is
scaled before the sum rather than after). Measured by ``benchmarks/models.py``
(MobileNetV2, ResNet50 and Xception ``predict_on_batch``); the plain layers are the
reference, ``tests/layers/test_conv_fusion.py`` holds the fused ones to them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from deepgrad import activations
from deepgrad.layers.base import Layer
from deepgrad.tensor import Tensor

__all__ = ["fuse", "fuse_padding"]

# The chains a convolution takes, by the epilogues' names.
CHAINS = {("batch_norm",), ("batch_norm", "activation"), ("activation",)}


def _definer(cls: type, name: str) -> type | None:
    return next((c for c in cls.__mro__ if name in vars(c)), None)


def _fusable(conv: Layer) -> bool:
    """Whether ``conv`` implements ``_convolve_scaled(inputs, scale, shift, activation,
    padding)`` in the same class as its ``_convolve`` (so a subclass that changes the
    convolution is not fused), is channels last, and has one group."""
    cls = type(conv)
    return (
        getattr(conv, "data_format", None) == "channels_last"
        and getattr(conv, "groups", 1) == 1
        and _definer(cls, "_convolve_scaled") is not None
        and _definer(cls, "_convolve_scaled") is _definer(cls, "_convolve")
        and _definer(cls, "call").__name__ == "BaseConv"
        and not getattr(conv, "_custom_convolution_op", False)
    )


def fuse(
    conv: Layer, following: Layer, *then: Layer, padding: tuple | None = None
) -> Callable | None:
    """``run(inputs, training)`` for ``conv`` and the chain after it, or None.

    ``conv`` must be :func:`_fusable` and have no activation of its own. ``padding``
    (``((top, bottom), (left, right))``) replaces the convolution's own (see
    :func:`fuse_padding`).

    >>> import deepgrad as dg
    >>> conv, bn = dg.layers.Conv2D(2, 3), dg.layers.BatchNormalization()
    >>> relu = dg.layers.ReLU(6.0)
    >>> fuse(conv, bn, relu) is not None, fuse(conv, dg.layers.Dense(2)) is None
    (True, True)
    """
    layers = (following, *then)
    steps = tuple(layer.epilogue() for layer in layers)
    if None in steps or tuple(step[0] for step in steps) not in CHAINS:
        return None
    if not _fusable(conv) or conv.activation is not activations.linear:
        return None
    activation = steps[-1][1] if steps[-1][0] == "activation" else None
    folds = steps[0][0] == "batch_norm"
    earlier = (conv, *layers[:-1])

    def run(inputs: Tensor, training=None, residual=None, after=None) -> Tensor | None:
        if (
            inputs.dtype != conv.dtype
            or conv.activation is not activations.linear  # set since the plan was made
            or any(layer.activity_regularizer is not None for layer in earlier)
            or tuple(layer.epilogue() for layer in layers) != steps
        ):
            return None
        scale = shift = None
        if folds:
            folded = steps[0][1](training)
            if folded is None:
                return None
            scale, shift = folded
            if scale.dtype != conv.dtype:
                return None
        if residual is not None:  # a sum's other input, then the sum's activation
            return conv._convolve_scaled(inputs, scale, shift, after, padding,
                                         residual=residual)
        return conv._convolve_scaled(inputs, scale, shift, activation, padding)

    # ``run(..., residual=r, after=act)``: ``act(chain(x) + r)``, for a residual sum that
    # takes this chain into its op (``Add.fuse_input``); only for a chain that ends before
    # any activation, with a convolution whose op takes a residual.
    run.takes_residual = activation is None and "residual" in inspect.signature(
        type(conv)._convolve_scaled).parameters
    return run


def fuse_padding(pad: Layer, conv: Layer, *then: Layer) -> Callable | None:
    """``run(inputs, training)`` for a ``ZeroPadding2D`` ``pad``, the ``'valid'``
    convolution ``conv`` after it and the chain after that (as :func:`fuse`), with the
    padding done by the convolution; or None.

    The numbers are the separate layers' (the padded zeros add nothing to the sums).

    >>> import deepgrad as dg
    >>> pad, conv = dg.layers.ZeroPadding2D(1), dg.layers.Conv2D(2, 3, strides=2)
    >>> fuse_padding(pad, conv) is not None
    True
    >>> fuse_padding(pad, dg.layers.Conv2D(2, 3, padding="same")) is None
    True
    """
    if (
        getattr(pad, "data_format", None) != "channels_last"
        or getattr(conv, "padding", None) != "valid"
        or not _fusable(conv)
    ):
        return None
    padding = tuple(tuple(int(v) for v in pair) for pair in pad.padding)
    if then:
        inner = fuse(conv, *then, padding=padding)
    elif conv.activation is activations.linear or conv._fused is not None:
        def inner(inputs: Tensor, training=None) -> Tensor | None:
            if (inputs.dtype != conv.dtype or conv.activity_regularizer is not None
                    or (conv.activation is not activations.linear and conv._fused is None)):
                return None
            return conv._convolve_scaled(inputs, None, None, conv._fused, padding)
    else:
        inner = None
    if inner is None:
        return None

    def run(inputs: Tensor, training=None) -> Tensor | None:
        if pad.activity_regularizer is not None:
            return None
        return inner(inputs, training)

    return run
