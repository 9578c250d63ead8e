"""``MelSpectrogram``: audio to a mel-scale (log) power spectrogram (Keras 3's layer).

The short-time Fourier transform (``dg.ops.stft``, centred, Hann window by default)
gives magnitudes, raised to ``mag_exp``, projected on ``num_mel_bins`` triangular
filters of the HTK mel scale (``mel = 1127 ln(1 + f / 700)``) and, with
``power_to_db``, turned to decibels clipped ``top_db`` below the batch's maximum (as
Keras). Built from differentiable ops, so gradients reach the audio.

>>> import deepgrad as dg
>>> audio = np.sin(np.linspace(0, 2000, 16000)).astype("float32")[None]
>>> dg.layers.MelSpectrogram(num_mel_bins=40)(audio).shape  # (batch, mels, frames)
(1, 40, 32)
"""

from __future__ import annotations

import numpy as np

from deepgrad import ops
from deepgrad.layers.base import Layer
from deepgrad.tensor import Tensor

__all__ = ["MelSpectrogram", "linear_to_mel_weight_matrix"]

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies):
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + np.asarray(frequencies) /
                                          _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins: int = 20, num_spectrogram_bins: int = 129,
                                sampling_rate: float = 8000, lower_edge_hertz: float = 125.0,
                                upper_edge_hertz: float = 3800.0,
                                dtype="float32") -> np.ndarray:
    """The ``(num_spectrogram_bins, num_mel_bins)`` matrix of triangular mel filters
    (peak 1; the DC bin gets no weight), as Keras's and ``tf.signal``'s.

    >>> m = linear_to_mel_weight_matrix(4, 9, 8000, 100.0, 4000.0)
    >>> m.shape, float(m[0].sum())
    ((9, 4), 0.0)
    """
    dtype = np.dtype(dtype)
    frequencies = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, dtype=dtype)[1:]
    bins_mel = _hertz_to_mel(frequencies).astype(dtype)[:, None]
    edges = np.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz),
                        num_mel_bins + 2).astype(dtype)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0, np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(dtype)


def _positive_int(layer, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"MelSpectrogram '{layer.name}': `{name}` must be a positive int. "
                         f"Received: {name}={value!r}")
    return int(value)


class MelSpectrogram(Layer):
    """Mel-scale spectrograms of raw audio with Keras 3's arguments and numbers.

    Args:
        fft_length: the FFT size (frequency bins ``fft_length // 2 + 1``).
        sequence_stride: the hop between frames, in samples.
        sequence_length: the frame (window) length; ``fft_length`` by default.
        window: ``'hann'``, ``'hamming'`` or None.
        sampling_rate: samples per second.
        num_mel_bins: the number of mel filters.
        min_freq, max_freq: the filters' range in Hz (``max_freq`` defaults to half the
            sampling rate).
        power_to_db: convert to decibels.
        top_db: the dynamic range kept below the batch's maximum, in dB.
        mag_exp: the exponent on the magnitudes (2: power).
        min_power: the floor before the logarithm.
        ref_power: the reference power (0 dB).

    Input: ``(samples,)`` or ``(batch, samples)``.
    Output: ``(num_mel_bins, frames)`` or ``(batch, num_mel_bins, frames)``, with
    ``frames = 1 + samples // sequence_stride``.

    >>> MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8)(
    ...     np.zeros((2, 128), "float32")).shape
    (2, 8, 9)
    """

    def __init__(self, fft_length: int = 2048, sequence_stride: int = 512,
                 sequence_length: int | None = None, window: str | None = "hann",
                 sampling_rate: int = 16000, num_mel_bins: int = 128, min_freq: float = 20.0,
                 max_freq: float | None = None, power_to_db: bool = True, top_db: float = 80.0,
                 mag_exp: float = 2.0, min_power: float = 1e-10, ref_power: float = 1.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.fft_length = _positive_int(self, "fft_length", fft_length)
        self.sequence_stride = _positive_int(self, "sequence_stride", sequence_stride)
        self.sequence_length = _positive_int(self, "sequence_length",
                                             sequence_length or fft_length)
        if self.fft_length < self.sequence_length:
            raise ValueError(
                f"MelSpectrogram '{self.name}': `fft_length` must be >= `sequence_length`. "
                f"Received: sequence_length={self.sequence_length}, "
                f"fft_length={self.fft_length}"
            )
        if window not in ("hann", "hamming", None):
            raise ValueError(f"MelSpectrogram '{self.name}': `window` must be 'hann', "
                             f"'hamming' or None. Received: window={window!r}")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = _positive_int(self, "num_mel_bins", num_mel_bins)
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = bool(power_to_db)
        self.top_db, self.mag_exp = top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power

    def call(self, inputs) -> Tensor:
        x = inputs if inputs.dtype in (np.float32, np.float64) else ops.cast(inputs, "float32")
        real, imag = ops.stft(x, sequence_length=self.sequence_length,
                              sequence_stride=self.sequence_stride,
                              fft_length=self.fft_length, window=self.window, center=True)
        magnitude = ops.sqrt(ops.add(ops.square(real), ops.square(imag)))
        spec = ops.power(magnitude, self.mag_exp)
        matrix = linear_to_mel_weight_matrix(
            self.num_mel_bins, spec.shape[-1], self.sampling_rate, self.min_freq,
            self.max_freq, dtype=spec.dtype)
        mel = ops.tensordot(spec, Tensor(matrix), axes=1)
        if self.power_to_db:
            mel = self._db(mel)
        return ops.swapaxes(mel, -1, -2)

    def _db(self, power: Tensor) -> Tensor:
        db = ops.multiply(ops.log10(ops.maximum(power, self.min_power)), 10.0)
        ref = float(10.0 * np.log10(max(abs(self.ref_power), self.min_power)))
        db = ops.subtract(db, ref)
        floor = float(db.data.max()) - self.top_db  # the batch's maximum, as Keras
        return ops.maximum(db, floor)

    def compute_output_shape(self, input_shape):
        *batch, samples = tuple(input_shape)
        frames = None if samples is None else (samples + self.sequence_stride + 1
                                               ) // self.sequence_stride
        return tuple(batch) + (self.num_mel_bins, frames)

    def get_config(self) -> dict:
        return {**super().get_config(), "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}
