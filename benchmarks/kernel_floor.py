"""The floor of a NumPy framework on an application model: its products alone.

``floor_calls(model, batch)`` returns ``(predict, train)``: calls that run only the
model's convolution and dense kernels on inputs of the right shapes, made once. What a
NumPy framework cannot do without, whatever it does around them:

- ``predict``: each ``Conv2D``, ``DepthwiseConv2D``, ``SeparableConv2D`` (its depthwise
  then its pointwise part) and ``Dense`` forward, in the model's order, with deepgrad's
  kernels (:mod:`deepgrad.kernels.conv`, :mod:`deepgrad.kernels.depthwise`): no bias, no
  batch normalization, no activation, no padding copy, no pooling, no residual sum, no
  framework (tensors, plan, checks).
- ``train``: the same forwards, then each layer's backward kernels in reverse order (the
  kernel's gradient everywhere, the input's everywhere but the first layer); and for each
  ``BatchNormalization``, which training cannot fold into a convolution, the fewest
  memory passes it needs (:func:`_norm_passes`), as single NumPy passes with no
  arithmetic to speak of. No loss, no optimizer update, nothing saved for a real backward.
  (In ``predict``, batch normalization folds into the convolution before it: nothing.)

Why these kernels are a floor for NumPy: a 1x1 convolution is one BLAS product; a larger
one is the faster of Winograd and im2col products (``benchmarks/kernel_choices.py``); a
depthwise convolution is one multiply and one add per kernel tap over cache-sized chunks
of the images, and NumPy has no fused multiply-add nor a product that takes one weight
per channel, so that is the fewest passes it can make; a dense layer is one product. All
of them run on deepgrad's threads as in a model (:func:`deepgrad.kernels.parallel.own_threads`).

So a peer's whole step faster than this floor is a target NumPy cannot meet on this
machine, whatever the framework does around its products (``models.py --floor`` prints
the peers' time over the floor's).

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.Input((8, 8, 3)), dg.layers.Conv2D(4, 3),
...                        dg.layers.BatchNormalization(), dg.layers.Flatten(), dg.layers.Dense(2)])
>>> predict, train = floor_calls(model, batch=2)
>>> predict(); train()
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import conv, depthwise, parallel
from deepgrad.kernels.geometry import conv_geometry


def _conv(x: np.ndarray, kernel: np.ndarray, strides, padding, first: bool, rng):
    """Forward and backward calls of a full convolution with a Keras kernel on ``x``."""
    geo = conv_geometry(x.shape, kernel.shape, strides=tuple(strides), padding=padding)
    w2 = np.ascontiguousarray(kernel.reshape(-1, kernel.shape[-1]))
    grad = rng.random((geo.batch, geo.out_h, geo.out_w, geo.out_c), dtype=np.float32)
    dw = np.empty_like(w2)  # the kernel's gradient goes to one buffer, as into an optimizer's
    return (lambda: conv.conv_forward(x, w2, geo),
            lambda: conv.conv_backward(x, w2, grad, geo, need_input=not first, dw_out=dw))


def _depthwise(x: np.ndarray, kernel: np.ndarray, strides, padding, first: bool, rng):
    """Forward and backward calls of a depthwise convolution (kernel (kh, kw, C, m))."""
    kh, kw, c, m = kernel.shape
    geo = conv_geometry(x.shape, (kh, kw, c, c * m), strides=tuple(strides), padding=padding)
    grad = rng.random((geo.batch, geo.out_h, geo.out_w, geo.out_c), dtype=np.float32)
    return (lambda: depthwise.depthwise_forward(x, kernel, geo),
            lambda: depthwise.depthwise_backward(x, kernel, grad, geo, need_input=not first))


def _dense(x: np.ndarray, kernel: np.ndarray, first: bool, rng):
    """Forward and backward products of a dense layer on 2-D ``x``."""
    grad = rng.random((x.shape[0], kernel.shape[1]), dtype=np.float32)
    dw = np.empty_like(kernel)

    def backward():
        parallel.matmul(x.T, grad, out=dw)
        if not first:
            parallel.matmul(grad, kernel.T)

    return lambda: parallel.matmul(x, kernel), backward


def _norm_passes(x: np.ndarray):
    """Forward and backward calls touching memory as training batch normalization must,
    at least: forward, read ``x`` (the statistics), then read it and write the output
    (the normalization, its activation in the same pass); backward, read the gradient,
    the output (the activation's mask) and ``x`` (the two sums), then read the gradient
    and ``x`` and write the input's gradient. Each pass is one ufunc over the flat
    arrays, split over deepgrad's threads."""
    flat = x.reshape(-1)
    out, grad, dx = (np.empty_like(flat) for _ in range(3))
    parts = parallel.split(flat.size)

    def reads(*arrays):
        parallel.run_parts(lambda p: [np.add.reduce(a[p]) for a in arrays], parts)

    def forward():
        reads(flat)
        parallel.run_parts(lambda p: np.multiply(flat[p], 2, out=out[p]), parts)

    def backward():
        reads(grad, out, flat)
        parallel.run_parts(lambda p: np.add(grad[p], flat[p], out=dx[p]), parts)

    return forward, backward


def floor_calls(model, batch: int, seed: int = 0):
    """``(predict, train)`` for ``model``'s products alone (see the module), on random
    float32 inputs of each layer's input shape with ``batch`` rows."""
    rng = np.random.default_rng(seed)
    forwards, backwards, norm_forwards = [], [], []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            pair = _norm_passes(rng.random((batch, *layer.input.shape[1:]), dtype=np.float32))
            norm_forwards.append(pair[0])
            backwards.append(pair[1])
            continue
        if kind not in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"):
            continue
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ValueError(f"floor_calls: {layer.name} is not channels_last")
        first = not forwards
        x = rng.random((batch, *layer.input.shape[1:]), dtype=np.float32)
        if kind == "Dense":
            pair = _dense(x.reshape(batch, -1), layer.kernel.numpy(), first, rng)
        elif kind == "Conv2D":
            pair = _conv(x, layer.kernel.numpy(), layer.strides, layer.padding, first, rng)
        else:
            pair = _depthwise(x, (layer.depthwise_kernel if kind == "SeparableConv2D"
                                  else layer.kernel).numpy(), layer.strides, layer.padding,
                              first, rng)
        forwards.append(pair[0])
        backwards.append(pair[1])
        if kind == "SeparableConv2D":
            mid = rng.random((batch, *layer.output.shape[1:-1],
                              layer.pointwise_kernel.shape[2]), dtype=np.float32)
            pair = _conv(mid, layer.pointwise_kernel.numpy(), (1, 1), "valid", False, rng)
            forwards.append(pair[0])
            backwards.append(pair[1])

    def predict() -> None:
        with parallel.own_threads():
            for call in forwards:
                call()

    def train() -> None:
        with parallel.own_threads():
            for call in forwards + norm_forwards:
                call()
            for call in reversed(backwards):
                call()

    return predict, train
