"""Fourier transforms in Keras's form (``keras.ops`` math): complex values travel as a
``(real, imag)`` pair of float tensors. ``fft, fft2, ifft2, rfft, irfft, stft, istft``.

The transforms are linear, so each is a primitive whose backward is the adjoint transform
(``n * ifft`` for ``fft``, and so on); ``stft``/``istft`` are composites of framing,
windowing, ``rfft``/``irfft`` and overlap-add, with Keras's (SciPy's) conventions.

>>> import deepgrad as dg
>>> real, imag = dg.ops.rfft(dg.Tensor([1.0, 0.0, 0.0, 0.0]))
>>> real, imag
(Tensor([1., 1., 1.], dtype=float32), Tensor([0., 0., 0.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops import elementwise as ew
from deepgrad.ops.core import float_tensor
from deepgrad.ops.shaping import getitem, pad, reshape
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft"]


def _pair(x, name: str) -> tuple[Tensor, Tensor]:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{name}: `x` must be a (real, imag) pair of tensors. Received: {x!r}")
    real, imag = float_tensor(x[0]), float_tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            f"{name}: the real and imaginary parts must have the same shape. Received: "
            f"{real.shape} and {imag.shape}"
        )
    if real.dtype != imag.dtype:
        imag = float_tensor(imag.data.astype(real.dtype))
    return real, imag


def _complex_linear(real: Tensor, imag: Tensor, forward, adjoint) -> tuple[Tensor, Tensor]:
    """A complex-linear map ``y = forward(x)``; the gradient of a real loss flows back as
    ``adjoint(g_real + 1j * g_imag)``, split into real and imaginary parts."""
    y = forward(real.data + 1j * imag.data)
    dtype = real.dtype

    def grads(g: np.ndarray) -> tuple:
        back = adjoint(g)
        return back.real.astype(dtype), back.imag.astype(dtype)

    out_real = make_result(y.real.astype(dtype), (real, imag), lambda g: grads(g + 0j))
    out_imag = make_result(y.imag.astype(dtype), (real, imag), lambda g: grads(1j * g))
    return out_real, out_imag


@op
def fft(x) -> tuple[Tensor, Tensor]:
    """Discrete Fourier transform along the last axis of ``(real, imag)``.

    >>> fft((Tensor([1.0, 1.0]), Tensor([0.0, 0.0])))[0]
    Tensor([2., 0.], dtype=float32)
    """
    real, imag = _pair(x, "fft")
    n = real.shape[-1]
    return _complex_linear(real, imag, np.fft.fft, lambda g: n * np.fft.ifft(g))


@op
def fft2(x) -> tuple[Tensor, Tensor]:
    """2-D discrete Fourier transform over the last two axes of ``(real, imag)``.

    >>> fft2((Tensor(np.ones((2, 2))), Tensor(np.zeros((2, 2)))))[0]
    Tensor([[4., 0.],
            [0., 0.]], dtype=float64)
    """
    real, imag = _pair(x, "fft2")
    size = real.shape[-1] * real.shape[-2]
    return _complex_linear(real, imag, np.fft.fft2, lambda g: size * np.fft.ifft2(g))


@op
def ifft2(x) -> tuple[Tensor, Tensor]:
    """Inverse 2-D discrete Fourier transform over the last two axes of ``(real, imag)``.

    >>> ifft2((Tensor([[4.0, 0.0], [0.0, 0.0]]), Tensor(np.zeros((2, 2)))))[0]
    Tensor([[1., 1.],
            [1., 1.]], dtype=float32)
    """
    real, imag = _pair(x, "ifft2")
    size = real.shape[-1] * real.shape[-2]
    return _complex_linear(real, imag, np.fft.ifft2, lambda g: np.fft.fft2(g) / size)


@op
def rfft(x, fft_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Fourier transform of a real signal along the last axis: the ``n // 2 + 1``
    non-negative frequencies (the signal cut or zero-padded to ``fft_length``).

    >>> rfft(Tensor([1.0, 1.0, 1.0, 1.0]))[0]
    Tensor([4., 0., 0.], dtype=float32)
    """
    x = float_tensor(x)
    n = x.shape[-1] if fft_length is None else int(fft_length)
    y = np.fft.rfft(x.data, n=n, axis=-1)
    length = x.shape[-1]

    def adjoint(g: np.ndarray) -> np.ndarray:
        full = np.zeros(g.shape[:-1] + (n,), complex)
        full[..., : g.shape[-1]] = g
        back = (n * np.fft.ifft(full)).real
        if length > n:
            return np.concatenate([back, np.zeros(back.shape[:-1] + (length - n,))], -1)
        return back[..., :length]

    real = make_result(y.real.astype(x.dtype), (x,), lambda g: (adjoint(g).astype(x.dtype),))
    imag = make_result(y.imag.astype(x.dtype), (x,),
                       lambda g: (adjoint(1j * g).astype(x.dtype),))
    return real, imag


@op
def irfft(x, fft_length: int | None = None) -> Tensor:
    """The real signal of a half spectrum ``(real, imag)`` (inverse of :func:`rfft`),
    ``fft_length`` samples (``2 * (bins - 1)`` by default).

    >>> irfft((Tensor([4.0, 0.0, 0.0]), Tensor([0.0, 0.0, 0.0])))
    Tensor([1., 1., 1., 1.], dtype=float32)
    """
    real, imag = _pair(x, "irfft")
    bins = real.shape[-1]
    n = 2 * (bins - 1) if fft_length is None else int(fft_length)
    out = np.fft.irfft(real.data + 1j * imag.data, n=n, axis=-1)
    used = n // 2 + 1
    weight = np.full(used, 2.0)
    weight[0] = 1
    if n % 2 == 0:
        weight[-1] = 1

    def backward(g):
        spectrum = np.fft.rfft(g, n=n, axis=-1) * weight / n
        keep = min(bins, used)
        gr = np.zeros(real.shape, real.dtype)
        gi = np.zeros(real.shape, real.dtype)
        gr[..., :keep] = spectrum.real[..., :keep]
        gi[..., :keep] = spectrum.imag[..., :keep]
        gi[..., 0] = 0
        if n % 2 == 0 and keep == used:
            gi[..., used - 1] = 0
        return gr, gi

    return make_result(out.astype(real.dtype), (real, imag), backward)


def _window(window, sequence_length: int, fft_length: int, dtype) -> np.ndarray:
    if window is None:
        values = np.ones(sequence_length)
    elif isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"stft: `window` must be 'hann' or 'hamming'. Received: {window!r}")
        phase = 2 * np.pi * np.arange(sequence_length) / sequence_length  # periodic
        values = 0.5 - 0.5 * np.cos(phase) if window == "hann" else 0.54 - 0.46 * np.cos(phase)
    else:
        values = np.asarray(getattr(window, "data", window), dtype=np.float64)
        if values.shape != (sequence_length,):
            raise ValueError(
                "stft: the window must have shape (sequence_length,). "
                f"Received: {values.shape}"
            )
    left = (fft_length - sequence_length) // 2
    return np.pad(values, (left, fft_length - sequence_length - left)).astype(dtype)


def _frame_index(frames: int, stride: int, length: int) -> np.ndarray:
    return np.arange(frames)[:, None] * stride + np.arange(length)[None, :]


@op
def stft(x, sequence_length: int, sequence_stride: int, fft_length: int,
         window: str | None = "hann", center: bool = True) -> tuple[Tensor, Tensor]:
    """Short-time Fourier transform of the last axis: ``(real, imag)`` of shape
    ``(..., frames, fft_length // 2 + 1)`` (reflect-padded by ``fft_length // 2`` when
    ``center``; a periodic Hann window by default).

    >>> real, imag = stft(Tensor(np.ones(8)), 4, 2, 4)
    >>> real.shape
    (5, 3)
    """
    x = float_tensor(x)
    if fft_length < sequence_length:
        raise ValueError(
            "stft: `fft_length` must be at least `sequence_length`. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}"
        )
    if center:
        x = pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)],
                mode="reflect")
    win = _window(window, sequence_length, fft_length, x.dtype)
    frames = (x.shape[-1] - fft_length) // sequence_stride + 1
    windows = getitem(x, (Ellipsis, _frame_index(frames, sequence_stride, fft_length)))
    return rfft(ew.multiply(windows, win), fft_length)


@op
def istft(x, sequence_length: int, sequence_stride: int, fft_length: int,
          length: int | None = None, window: str | None = "hann", center: bool = True):
    """Inverse of :func:`stft`: inverse transforms of the frames, windowed and
    overlap-added, divided by the summed squared window (SciPy's ``istft``).

    >>> signal = Tensor(np.sin(np.arange(16.0)))
    >>> back = istft(stft(signal, 8, 4, 8), 8, 4, 8, length=16)
    >>> bool(np.allclose(back.data, signal.data, atol=1e-5))
    True
    """
    from deepgrad.ops.indexing import scatter
    from deepgrad.ops.shaping import moveaxis

    real, _ = _pair(x, "istft")
    frames = real.shape[-2]
    win = _window(window, sequence_length, fft_length, real.dtype)
    pieces = ew.multiply(irfft(x, fft_length), win)  # (..., frames, fft_length)
    total = fft_length + sequence_stride * (frames - 1)
    index = _frame_index(frames, sequence_stride, fft_length).reshape(-1)
    lead = pieces.shape[:-2]
    flat = reshape(moveaxis(reshape(pieces, lead + (-1,)), -1, 0), (index.size, -1))
    summed = scatter(index[:, None], flat, (total, flat.shape[-1]))
    signal = reshape(moveaxis(summed, 0, -1), lead + (total,))
    norm = np.zeros(total, real.dtype)
    np.add.at(norm, index, np.tile(win * win, frames))
    norm = np.where(norm > 1e-10, norm, 1)
    if window is None:
        # Keras scales SciPy's result by sum(window) / sequence_stride without a window.
        norm = norm * sequence_stride / fft_length
    norm = norm.astype(real.dtype)
    signal = ew.divide(signal, norm)
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else (total - fft_length // 2 if center else total)
    return getitem(signal, (Ellipsis, slice(start, end)))
