"""``STFTSpectrogram``: spectrograms as a 1-D convolution with Fourier kernels (Keras 3's).

The short-time Fourier transform of each channel is two convolutions with stride
``frame_step``: with ``real_kernel`` (cosines) and ``imag_kernel`` (sines), made by
``dg.initializers.STFT`` (window and scaling included). They are trainable weights, as
in Keras (``trainable=False`` keeps the transform fixed). Modes: ``'log'``
(default, log magnitude), ``'magnitude'``, ``'psd'``, ``'real'``, ``'imag'``,
``'angle'``, ``'stft'`` (real and imaginary parts stacked).

>>> import deepgrad as dg
>>> audio = np.random.default_rng(0).normal(size=(2, 1000, 1)).astype("float32")
>>> dg.layers.STFTSpectrogram(frame_length=128)(audio).shape  # (batch, frames, bins)
(2, 14, 65)
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import config, initializers, ops
from deepgrad.layers.base import Layer
from deepgrad.layers.data_format import standardize_data_format
from deepgrad.tensor import Tensor

__all__ = ["STFTSpectrogram"]

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Short-time Fourier transform of ``(batch, time, channels)`` signals, Keras 3's layer.

    Args:
        mode: the output, one of ``'log'``, ``'magnitude'``, ``'psd'``, ``'real'``,
            ``'imag'``, ``'angle'``, ``'stft'``.
        frame_length: the window length in samples.
        frame_step: the hop between frames (``frame_length // 2`` by default).
        fft_length: the FFT size (the next power of two from ``frame_length`` by default).
        window: a ``scipy.signal`` window name, an array, or None.
        periodic: a periodic window (as scipy's ``fftbins``).
        scaling: ``'density'``, ``'spectrum'`` or None (see ``dg.initializers.STFT``).
        padding: ``'valid'`` or ``'same'``.
        expand_dims: keep channels and frequencies apart: ``(batch, frames, bins,
            channels)`` instead of ``(batch, frames, bins * channels)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Integer audio is cast to float32 (Keras raises a TypeError).

    Output: ``(batch, frames, bins * channels)`` with ``bins = fft_length // 2 + 1``
    (twice that for ``'stft'``); channels first: ``(batch, bins * channels, frames)``.

    >>> STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=4)(
    ...     np.ones((1, 16, 2), "float32")).shape
    (1, 3, 10)
    """

    def __init__(self, mode: str = "log", frame_length: int = 256,
                 frame_step: int | None = None, fft_length: int | None = None,
                 window="hann", periodic: bool = False, scaling: str | None = "density",
                 padding: str = "valid", expand_dims: bool = False, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        who = f"STFTSpectrogram '{self.name}'"
        if mode not in _MODES:
            raise ValueError(f"{who}: `mode` must be one of {', '.join(map(repr, _MODES))}. "
                             f"Received: mode={mode!r}")
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(f"{who}: `frame_step` must be a positive int not greater than "
                             f"`frame_length`. Received: frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"{who}: `fft_length` must be >= `frame_length`. Received: "
                             f"fft_length={fft_length}, frame_length={frame_length}")
        if padding not in ("valid", "same"):
            raise ValueError(f"{who}: `padding` must be 'valid' or 'same'. "
                             f"Received: padding={padding!r}")
        self._stft = initializers.STFT("real", window, scaling, periodic)  # validates
        self.mode, self.frame_length, self.frame_step = mode, int(frame_length), frame_step
        self._frame_step = frame_step or self.frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling = window, bool(periodic), scaling
        self.padding, self.expand_dims = padding, bool(expand_dims)
        self.data_format = standardize_data_format(who, data_format)

    def build(self, input_shape) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        self.real_kernel = self.imag_kernel = None
        for side in ("real", "imag"):
            if self.mode != {"real": "imag", "imag": "real"}[side]:
                init = initializers.STFT(side, self.window, self.scaling, self.periodic)
                setattr(self, f"{side}_kernel", self.add_weight(shape, init,
                                                                name=f"{side}_kernel"))

    def _conv(self, inputs: Tensor, kernel) -> Tensor:
        """``(batch, channels, bins, frames)`` of one kernel over every channel."""
        x = inputs if self.data_format == "channels_first" else ops.transpose(inputs, (0, 2, 1))
        batch, channels, steps = x.shape
        x = ops.reshape(x, (-1, steps, 1))
        out = ops.conv(x, ops.cast(kernel, x.dtype), strides=self._frame_step,
                       padding=self.padding)
        out = ops.transpose(out, (0, 2, 1))
        return ops.reshape(out, (-1, channels) + tuple(out.shape[1:]))

    def _arrange(self, out: Tensor) -> Tensor:
        _, channels, bins, frames = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(out, (0, 3, 2, 1))
            return ops.transpose(ops.reshape(out, (-1, channels * bins, frames)), (0, 2, 1))
        if self.expand_dims:
            return ops.transpose(out, (0, 1, 3, 2))
        return ops.reshape(out, (-1, channels * bins, frames))

    def call(self, inputs) -> Tensor:
        real = None if self.mode == "imag" else self._conv(inputs, self.real_kernel)
        imag = None if self.mode == "real" else self._conv(inputs, self.imag_kernel)
        if self.mode in ("real", "imag"):
            return self._arrange(real if self.mode == "real" else imag)
        if self.mode == "angle":
            return self._arrange(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":
            inner = ops.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]])
            return self._arrange(ops.add(power, inner))
        magnitude = self._arrange(ops.sqrt(ops.maximum(power, config.epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return ops.log(ops.maximum(magnitude, config.epsilon()))

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        batch, steps, channels = ((input_shape[0], input_shape[2], input_shape[1]) if first
                                  else tuple(input_shape))
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if steps is None:
            frames = None
        elif self.padding == "same":
            frames = -(-steps // self._frame_step)
        else:
            frames = (steps - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            return (batch, channels, frames, bins) if first else (batch, frames, bins, channels)
        return (batch, bins * channels, frames) if first else (batch, frames, bins * channels)

    def get_config(self) -> dict:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length,
                "window": window, "periodic": self.periodic, "scaling": self.scaling,
                "padding": self.padding, "expand_dims": self.expand_dims,
                "data_format": self.data_format}
