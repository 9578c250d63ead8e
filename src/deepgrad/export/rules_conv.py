"""Export rules: convolutions (1-D, 2-D, 3-D, transposed, depthwise, separable) as ONNX Conv.

ONNX's Conv is channels-first with kernels ``(out, in / groups, *window)``; Keras's kernels
are ``(*window, in / groups, out)``, so each kernel is transposed once, here. Keras's
``'same'`` padding (the odd pixel after) becomes explicit pads; depthwise and separable
convolutions are grouped Convs.

>>> transposed_kernel(np.zeros((3, 3, 4, 8))).shape
(8, 4, 3, 3)
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.registry import ExportError
from deepgrad.export.rules_core import apply_activation
from deepgrad.kernels.geometry import deconv_output_length, same_padding

__all__ = ["RULES", "transposed_kernel", "conv_pads", "channels_first_input"]


def transposed_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras's ``(*window, a, b)`` kernel as ONNX's ``(b, a, *window)``."""
    rank = kernel.ndim - 2
    return np.ascontiguousarray(kernel.transpose(rank + 1, rank, *range(rank)))


def channels_first_input(b: GraphBuilder, layer, x: Value) -> tuple[str, bool, tuple]:
    """``x`` with its channels at axis 1, as ONNX's Conv and pooling read it: the graph's
    channels-first form of a channels_last layer's input, or the model's own tensor for a
    ``data_format='channels_first'`` layer. Returns the name, the layout key the output
    Value takes, and the spatial sizes."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return b.last(x), False, tuple(x.shape[2:])
    return b.first(x), True, tuple(x.shape[1:-1])


def _spatial(layer, sizes) -> tuple:
    if any(s is None for s in sizes):
        raise ExportError(
            f"export: layer '{layer.name}' of class {type(layer).__name__} needs known spatial "
            f"sizes to fix its padding; its spatial sizes are {tuple(sizes)}. To fix, give the "
            "model's Input a full shape, or pass input_signature= with the sizes."
        )
    return tuple(sizes)


def conv_pads(layer, sizes, kernel_size, strides, dilation, padding: str) -> list[int]:
    """ONNX's ``pads`` (all begins, then all ends) for Keras's padding name."""
    rank = len(kernel_size)
    if padding == "valid":
        return [0] * (2 * rank)
    if padding == "causal":  # only the past is padded
        return [(kernel_size[0] - 1) * dilation[0], 0]
    pairs = [same_padding(size, k, s, d) for size, k, s, d in
             zip(_spatial(layer, sizes), kernel_size, strides, dilation)]
    return [p[0] for p in pairs] + [p[1] for p in pairs]


def _conv(b: GraphBuilder, layer, x: Value, kernel: np.ndarray, bias, group: int,
          strides, padding: str, dilation, hint: str = "kernel") -> tuple[str, bool]:
    window = kernel.shape[2:]
    name, key, sizes = channels_first_input(b, layer, x)
    inputs = [name, b.const(kernel, hint)]
    if bias is not None:
        inputs.append(b.const(bias, "bias"))
    pads = conv_pads(layer, sizes, window, strides, dilation, padding)
    return b.node("Conv", inputs, kernel_shape=list(window), strides=list(strides),
                  dilations=list(dilation), pads=pads, group=group), key


def _bias(layer):
    return layer.bias.numpy() if layer.use_bias else None


def conv(b: GraphBuilder, layer, x: Value) -> Value:
    """Conv1D, Conv2D, Conv3D (with groups)."""
    out, key = _conv(b, layer, x, transposed_kernel(layer.kernel.numpy()), _bias(layer),
                     getattr(layer, "groups", 1), layer.strides, layer.padding,
                     layer.dilation_rate)
    return apply_activation(b, layer, layer.activation, Value({key: out}, x.shape))


def conv_transpose(b: GraphBuilder, layer, x: Value) -> Value:
    """Conv1DTranspose, Conv2DTranspose, Conv3DTranspose: ONNX ConvTranspose with the pads
    of the convolution they are the gradient of."""
    name, key, sizes = channels_first_input(b, layer, x)
    kernel = transposed_kernel(layer.kernel.numpy())  # (in, out, *window)
    window, strides, dilation = kernel.shape[2:], layer.strides, layer.dilation_rate
    extra = layer.output_padding or (None,) * len(window)
    begins, ends, output_padding = [], [], []
    for size, k, s, d, e in zip(_spatial(layer, sizes), window, strides, dilation, extra):
        out = deconv_output_length(size, k, layer.padding, e, s, d)
        before = same_padding(out, k, s, d)[0] if layer.padding == "same" else 0
        full = (size - 1) * s + (k - 1) * d + 1
        after = full - before - out
        begins.append(before)
        ends.append(max(after, 0))
        output_padding.append(max(-after, 0))
    inputs = [name, b.const(kernel, "kernel")]
    if layer.use_bias:
        inputs.append(b.const(layer.bias.numpy(), "bias"))
    out = b.node("ConvTranspose", inputs, kernel_shape=list(window), strides=list(strides),
                 dilations=list(dilation), pads=begins + ends,
                 output_padding=output_padding if any(output_padding) else None)
    return apply_activation(b, layer, layer.activation, Value({key: out}, x.shape))


def _depthwise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras's ``(*window, in, multiplier)`` as ONNX's ``(in * multiplier, 1, *window)``:
    output channel ``c * multiplier + m``, as Keras orders them."""
    window = kernel.shape[:-2]
    flat = kernel.reshape(*window, 1, kernel.shape[-2] * kernel.shape[-1])
    return transposed_kernel(flat)


def depthwise(b: GraphBuilder, layer, x: Value) -> Value:
    """DepthwiseConv1D, DepthwiseConv2D: a Conv with one group per input channel."""
    kernel = layer.kernel.numpy()
    out, key = _conv(b, layer, x, _depthwise_kernel(kernel), _bias(layer), kernel.shape[-2],
                     layer.strides, layer.padding, layer.dilation_rate)
    return apply_activation(b, layer, layer.activation, Value({key: out}, x.shape))


def separable(b: GraphBuilder, layer, x: Value) -> Value:
    """SeparableConv1D, SeparableConv2D: the depthwise Conv, then a 1x1 Conv with the bias."""
    kernel = layer.depthwise_kernel.numpy()
    rank = kernel.ndim - 2
    mid, key = _conv(b, layer, x, _depthwise_kernel(kernel), None, kernel.shape[-2], layer.strides,
                     layer.padding, layer.dilation_rate, hint="depthwise_kernel")
    pointwise = transposed_kernel(layer.pointwise_kernel.numpy())
    inputs = [mid, b.const(pointwise, "pointwise_kernel")]
    if layer.use_bias:
        inputs.append(b.const(layer.bias.numpy(), "bias"))
    out = b.node("Conv", inputs, kernel_shape=[1] * rank)
    return apply_activation(b, layer, layer.activation, Value({key: out}, x.shape))


RULES = {
    L.Conv1D: conv, L.Conv2D: conv, L.Conv3D: conv,
    L.Conv1DTranspose: conv_transpose, L.Conv2DTranspose: conv_transpose,
    L.Conv3DTranspose: conv_transpose,
    L.DepthwiseConv1D: depthwise, L.DepthwiseConv2D: depthwise,
    L.SeparableConv1D: separable, L.SeparableConv2D: separable,
}
