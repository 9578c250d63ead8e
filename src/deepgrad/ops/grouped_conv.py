"""Grouped convolution (Keras's ``groups`` of Conv1D, Conv2D and Conv3D), composed from ops.

The input channels are split into ``groups`` equal parts and each part is convolved with
its own slice of the filters; the outputs are joined in group order, so output channel
``o`` belongs to group ``o // (filters // groups)`` as in Keras (and PyTorch). The kernel
has Keras's shape ``(*kernel_size, channels // groups, filters)``.

One group per input channel (ConvNeXt's 7x7 "depthwise" ``Conv2D(groups=channels)``) is
exactly :func:`~deepgrad.ops.depthwise_conv2d` with the kernel reshaped to
``(kh, kw, channels, filters // channels)``, and runs as that one fused op. Other group
counts slice the input and kernel, convolve each group and concatenate: composites of
differentiable ops, so they need no backward of their own.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.ones((1, 3, 3, 2), np.float32))
>>> kernel = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))], -1)[:, :, None, :]
>>> kernel = dg.Tensor(kernel, dtype="float32")
>>> grouped_conv(x, kernel, groups=2).data.ravel()  # one filter per channel
array([ 9., 18.], dtype=float32)
"""

from __future__ import annotations

from deepgrad.ops.conv3d import conv3d
from deepgrad.ops.convolution import conv1d, conv2d, depthwise_conv2d
from deepgrad.ops.shaping import concatenate, reshape
from deepgrad.tensor import Tensor, as_tensor

__all__ = ["grouped_conv"]


def grouped_conv(
    x,
    kernel,
    bias=None,
    *,
    groups: int,
    strides=1,
    padding: str = "valid",
    dilation_rate=1,
    activation: str | None = None,
) -> Tensor:
    """Convolve ``x`` (``(N, steps, C)``, ``(N, H, W, C)`` or ``(N, D, H, W, C)``) in
    ``groups`` channel groups.

    Args:
        x: the input, channels last; its channels must divide by ``groups``.
        kernel: ``(*kernel_size, C // groups, filters)``; ``filters`` must divide by
            ``groups``.
        bias: optional ``(filters,)``.
        groups: the number of groups.
        strides, padding, dilation_rate, activation: as in :func:`deepgrad.ops.conv2d`
            (:func:`deepgrad.ops.conv1d` for 3-D inputs, ``conv3d`` for 5-D ones).

    Returns:
        The output, ``filters`` channels.

    Raises:
        ValueError: when the channels or filters do not divide by ``groups``, or the
            kernel's input depth is not ``channels // groups``.
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    channels, filters = x.shape[-1], kernel.shape[-1]
    if channels % groups or filters % groups or kernel.shape[-2] * groups != channels:
        raise ValueError(
            f"grouped_conv: with groups={groups} the input channels ({channels}) and the "
            f"filters ({filters}) must divide by groups, and the kernel's input depth must "
            f"be channels // groups = {channels // groups}. Received: input shape {x.shape}, "
            f"kernel shape {kernel.shape}"
        )
    options = dict(strides=strides, padding=padding, dilation_rate=dilation_rate,
                   activation=activation)
    if x.ndim == 4 and groups == channels and padding != "causal":
        depthwise = reshape(kernel, kernel.shape[:2] + (channels, filters // channels))
        return depthwise_conv2d(x, depthwise, bias, **options)
    conv = {3: conv1d, 4: conv2d, 5: conv3d}[x.ndim]
    per_in, per_out = channels // groups, filters // groups
    outputs = []
    for g in range(groups):
        out = slice(g * per_out, (g + 1) * per_out)
        part_bias = None if bias is None else as_tensor(bias)[out]
        outputs.append(conv(x[..., g * per_in:(g + 1) * per_in], kernel[..., out], part_bias,
                            **options))
    return concatenate(outputs, axis=-1)
