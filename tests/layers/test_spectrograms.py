"""MelSpectrogram and STFTSpectrogram: Keras 3.15 parity on seeded audio (tests/fixtures/
make_keras_audio_parity.py; STFT kernels too), the mel matrix, gradients, shapes,
config, errors."""

import json
import pathlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.mel_spectrogram import linear_to_mel_weight_matrix
from deepgrad.utils.gradcheck import gradient_check

L = dg.layers
FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_audio_parity.npz")
CASES = json.loads(str(FIXTURE["cases"]))
STFT_CASES = json.loads(str(FIXTURE["stft_cases"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_keras(name):
    out = L.MelSpectrogram(**CASES[name])(FIXTURE["audio"]).data
    expected = FIXTURE[f"{name}/output"]
    assert out.shape == expected.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())


def test_mel_matrix_triangles():
    m = linear_to_mel_weight_matrix(10, 129, 16000, 20.0, 8000.0, dtype="float64")
    assert m.shape == (129, 10) and (m >= 0).all() and (m <= 1).all()
    assert not m[0].any()  # the DC bin gets no weight
    for column in m.T:  # each filter rises to one peak, then falls
        peak = column.argmax()
        assert (np.diff(column[:peak + 1]) >= 0).all() and (np.diff(column[peak:]) <= 0).all()


def test_gradient_reaches_the_audio():
    layer = L.MelSpectrogram(fft_length=32, sequence_stride=8, num_mel_bins=6,
                             sampling_rate=8000, power_to_db=False, dtype="float64")
    audio = np.random.default_rng(0).normal(size=(1, 48))
    assert gradient_check(lambda t: layer(t), [audio], rtol=1e-4, atol=1e-6)


def test_shapes_config_and_model(tmp_path):
    layer = L.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8)
    assert layer(np.zeros(128, "float32")).shape == (8, 9)
    assert layer.compute_output_shape((None, 128)) == (None, 8, 9)
    config = layer.get_config()
    assert L.MelSpectrogram.from_config(config).get_config() == config
    inputs = dg.Input((128,))
    model = dg.Model(inputs, L.Flatten()(L.MelSpectrogram(64, 16, num_mel_bins=8)(inputs)))
    path = tmp_path / "mel.keras"
    model.save(path)
    x = np.random.default_rng(1).normal(size=(2, 128)).astype("float32")
    np.testing.assert_allclose(dg.saving.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"MelSpectrogram '.*': `fft_length` must be >= "
                                         r"`sequence_length`"):
        L.MelSpectrogram(fft_length=64, sequence_length=128)
    with pytest.raises(ValueError, match=r"`window` must be 'hann', 'hamming' or None"):
        L.MelSpectrogram(window="kaiser")
    with pytest.raises(ValueError, match=r"`num_mel_bins` must be a positive int"):
        L.MelSpectrogram(num_mel_bins=0)


@pytest.mark.parametrize("name", sorted(STFT_CASES))
def test_stft_spectrogram_equals_keras(name):
    config = STFT_CASES[name]
    layer = L.STFTSpectrogram(**config)
    x = FIXTURE["channels"]
    if config.get("data_format") == "channels_first":
        x = np.transpose(x, (0, 2, 1))
    out = layer(x).data
    for i, w in enumerate(layer.get_weights()):
        np.testing.assert_allclose(w, FIXTURE[f"{name}/weight/{i}"], atol=3e-6)
    expected = FIXTURE[f"{name}/output"]
    assert out.shape == expected.shape
    if config.get("mode") == "angle":  # the same angle may come out as -pi or pi
        out, expected = np.exp(1j * out), np.exp(1j * expected)
    np.testing.assert_allclose(out, expected, atol=1e-4 * np.abs(expected).max() + 1e-5)
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:]))[1:] == out.shape[1:]


def test_stft_spectrogram_gradients_and_training(tmp_path):
    rng = np.random.default_rng(2)
    layer = L.STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=4,
                              dtype="float64")
    x = rng.normal(size=(1, 24, 1))
    assert gradient_check(lambda t: layer(t), [x], rtol=1e-4, atol=1e-6)
    inputs = dg.Input((64, 1))
    model = dg.Model(inputs, L.GlobalAveragePooling1D()(L.STFTSpectrogram(frame_length=16)(
        inputs)))
    assert len(model.trainable_weights) == 2  # the kernels learn, as in Keras
    path = tmp_path / "stft.keras"
    model.save(path)
    audio = rng.normal(size=(2, 64, 1)).astype("float32")
    np.testing.assert_allclose(dg.saving.load_model(path).predict(audio, verbose=0),
                               model.predict(audio, verbose=0), rtol=1e-6)


def test_stft_initializer_and_errors():
    kernel = dg.initializers.STFT("real", window=None)((4, 1, 3))
    np.testing.assert_allclose(kernel[:, 0, 1], [1, 0, -1, 0], atol=1e-7)
    init = dg.initializers.STFT("imag", "hamming", "spectrum", periodic=True)
    again = dg.initializers.deserialize(dg.initializers.serialize(init))
    np.testing.assert_array_equal(again((16, 1, 9)), init((16, 1, 9)))
    assert type(dg.initializers.get("STFTInitializer")) is dg.initializers.STFT
    with pytest.raises(ValueError, match=r"STFT: `side` must be 'real' or 'imag'"):
        dg.initializers.STFT("complex")
    with pytest.raises(ValueError, match=r"STFTSpectrogram '.*': `mode` must be one of"):
        L.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match=r"`frame_step` must be a positive int not greater "
                                         r"than `frame_length`"):
        L.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match=r"`fft_length` must be >= `frame_length`"):
        L.STFTSpectrogram(frame_length=64, fft_length=32)
    assert L.STFTSpectrogram(frame_length=4)(np.ones((1, 8, 1), "int32")).dtype == np.float32
