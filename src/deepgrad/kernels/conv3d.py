"""3-D convolution on raw arrays, as depth taps of the 2-D convolution.

A 3-D kernel ``(kd, kh, kw, cin, cout)`` is ``kd`` 2-D kernels, one per depth tap. Tap
``i`` reads the depth slices ``i * dd, i * dd + sd, ...`` of the depth-padded input, one
per output depth: a strided slab ``(N, out_d, H, W, cin)`` that is a batch of
``N * out_d`` images for the 2-D convolution with kernel ``i``. The output is the sum
over the taps. This is the im2col product of the full 3-D column matrix with its
``kd * kh * kw * cin`` rows split into ``kd`` blocks, so the arithmetic is the same and
each block goes through :mod:`deepgrad.kernels.conv`'s choice of path (Winograd, 1x1,
chunked im2col). The backward pass runs the taps again: each adds its input gradient
into its slab of the padded input gradient and writes its slice of the kernel gradient.
The plain version, one 3-D im2col, is :func:`deepgrad.kernels.reference.conv3d`.

>>> x = np.ones((1, 3, 3, 3, 1), np.float32)
>>> geo = conv3d_geometry(x.shape, (2, 2, 2, 1, 1))
>>> forward(x, np.ones((2, 2, 2, 1, 1), np.float32), geo)[0, :, :, :, 0].tolist()
[[[8.0, 8.0], [8.0, 8.0]], [[8.0, 8.0], [8.0, 8.0]]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepgrad.kernels.conv import conv_backward, conv_forward, conv_input_grad
from deepgrad.kernels.geometry import ConvGeometry, conv_geometry, resolve_padding

__all__ = ["Conv3DGeometry", "conv3d_geometry", "forward", "backward", "input_grad"]


@dataclass(frozen=True)
class Conv3DGeometry:
    """A 3-D convolution: the depth axis (size, kernel, stride, dilation, padding, output)
    and the 2-D convolution each depth tap runs over ``batch * out_d`` images."""

    batch: int
    in_d: int
    kd: int
    sd: int
    dd: int
    pad_d: tuple[int, int]
    out_d: int
    plane: ConvGeometry

    def slab(self, tap: int) -> slice:
        """The depth slices of the padded input that tap ``tap`` reads."""
        start = tap * self.dd
        return slice(start, start + (self.out_d - 1) * self.sd + 1, self.sd)


def conv3d_geometry(x_shape, kernel_shape, strides=(1, 1, 1), padding="valid",
                    dilation=(1, 1, 1), name: str = "conv3d") -> Conv3DGeometry:
    """Check shapes and work out the geometry of a 3-D convolution.

    Args:
        x_shape: ``(N, D, H, W, Cin)``; kernel_shape: ``(kd, kh, kw, Cin, Cout)``.
        strides, dilation: three positive ints.
        padding: ``'valid'``, ``'same'`` or three ``(before, after)`` pairs.

    Raises:
        ValueError: on wrong ranks or channels, or a kernel larger than the padded input.

    >>> g = conv3d_geometry((2, 5, 8, 8, 3), (3, 3, 3, 3, 4), (2, 1, 1), "same")
    >>> g.out_d, g.pad_d, (g.plane.batch, g.plane.out_h, g.plane.out_w)
    (3, (1, 1), (6, 8, 8))
    """
    if len(x_shape) != 5 or len(kernel_shape) != 5:
        raise ValueError(
            f"{name}: expected an input (batch, depth, height, width, channels) and a kernel "
            "(kernel_d, kernel_h, kernel_w, in_channels, out_channels), both of rank 5. "
            f"Received: input shape {tuple(x_shape)}, kernel shape {tuple(kernel_shape)}"
        )
    n, d = int(x_shape[0]), int(x_shape[1])
    kd, sd, dd = int(kernel_shape[0]), int(strides[0]), int(dilation[0])
    pads = resolve_padding(padding, tuple(x_shape[1:4]), tuple(kernel_shape[:3]),
                           tuple(strides), tuple(dilation), name)
    span = (kd - 1) * dd + 1
    out_d = (d + sum(pads[0]) - span) // sd + 1
    if out_d < 1:
        raise ValueError(
            f"{name}: the kernel's depth {kd} with dilation {dd} spans {span}, more than the "
            f"padded input depth {d + sum(pads[0])} (input shape {tuple(x_shape)})."
        )
    plane = conv_geometry((n * out_d,) + tuple(x_shape[2:]), kernel_shape[1:], strides[1:],
                          pads[1:], dilation[1:], name)
    return Conv3DGeometry(n, d, kd, sd, dd, pads[0], out_d, plane)


def _padded(x: np.ndarray, geo: Conv3DGeometry) -> np.ndarray:
    if geo.pad_d == (0, 0):
        return x
    return np.pad(x, ((0, 0), geo.pad_d, (0, 0), (0, 0), (0, 0)))


def _images(slab: np.ndarray) -> np.ndarray:
    """A slab ``(N, out_d, H, W, C)`` as ``N * out_d`` contiguous images."""
    return np.ascontiguousarray(slab).reshape((-1,) + slab.shape[2:])


def _taps(kernel: np.ndarray) -> list[np.ndarray]:
    """The kernel ``(kd, kh, kw, Cin, Cout)`` as one 2-D kernel matrix per depth tap."""
    return [k.reshape(-1, kernel.shape[-1]) for k in kernel]


def forward(x: np.ndarray, kernel: np.ndarray, geo: Conv3DGeometry,
            bias: np.ndarray | None = None, relu: bool = False) -> np.ndarray:
    """Convolve ``x`` (N, D, H, W, Cin) with ``kernel`` (kd, kh, kw, Cin, Cout); bias and
    ReLU applied in place. Returns ``(N, out_d, out_h, out_w, Cout)``."""
    xp = _padded(x, geo)
    out = None
    for tap, w2 in enumerate(_taps(kernel)):
        part = conv_forward(_images(xp[:, geo.slab(tap)]), w2, geo.plane)
        out = part if out is None else np.add(out, part, out=out)
    if bias is not None:
        out += bias
    if relu:
        np.maximum(out, 0, out=out)
    p = geo.plane
    return out.reshape(geo.batch, geo.out_d, p.out_h, p.out_w, p.out_c)


def input_grad(grad: np.ndarray, kernel: np.ndarray, geo: Conv3DGeometry) -> np.ndarray:
    """Gradient of :func:`forward` for its input (the transposed convolution of ``grad``):
    ``(N, D, H, W, Cin)``."""
    p = geo.plane
    g = np.ascontiguousarray(grad).reshape(p.batch, p.out_h, p.out_w, p.out_c)
    dxp = np.zeros((geo.batch, geo.in_d + sum(geo.pad_d), p.in_h, p.in_w, p.in_c),
                   np.result_type(grad.dtype, kernel.dtype))
    for tap, w2 in enumerate(_taps(kernel)):
        dxp[:, geo.slab(tap)] += conv_input_grad(g, w2, p).reshape(
            geo.batch, geo.out_d, p.in_h, p.in_w, p.in_c)
    return dxp[:, geo.pad_d[0]: geo.pad_d[0] + geo.in_d]


def backward(x: np.ndarray, kernel: np.ndarray, grad: np.ndarray, geo: Conv3DGeometry,
             need_input: bool = True, need_weight: bool = True) -> tuple:
    """Gradients ``(dx, dkernel)`` of :func:`forward` (no bias or ReLU: the op applies
    those), each None when not requested."""
    p = geo.plane
    g = np.ascontiguousarray(grad).reshape(p.batch, p.out_h, p.out_w, p.out_c)
    dkernel = None
    if need_weight:
        xp = _padded(x, geo)
        dkernel = np.empty(kernel.shape, np.result_type(grad.dtype, kernel.dtype))
        for tap, w2 in enumerate(_taps(kernel)):
            _, dw, _ = conv_backward(_images(xp[:, geo.slab(tap)]), w2, g, p,
                                     need_input=False)
            dkernel[tap] = dw.reshape(kernel.shape[1:])
    return (input_grad(grad, kernel, geo) if need_input else None), dkernel
