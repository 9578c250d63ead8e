"""audio_dataset_from_directory on WAV files written here. Keras 3.15 (TensorFlow) gave the
same arrays on these files (shuffle=False, batch_size=2): batches padded to 7, 9 and 4
samples, or all 6 with output_sequence_length=6, values int16 / 32768."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

wavfile = pytest.importorskip("scipy.io.wavfile", reason="SciPy comes with scikit-learn")

LENGTHS = {"cat": (7, 3), "dog": (5, 9, 4)}


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    clips = []
    root = tmp_path / "clips"
    for label, lengths in LENGTHS.items():
        (root / label).mkdir(parents=True)
        for index, n in enumerate(lengths):
            clip = rng.integers(-32768, 32767, (n, 2), dtype=np.int16)
            wavfile.write(root / label / f"{index}.wav", 8000, clip)
            clips.append(clip.astype(np.float32) / 32768.0)
    return root, clips


def padded(clips, length):
    out = np.zeros((len(clips), length, 2), np.float32)
    for row, clip in enumerate(clips):
        out[row, : min(length, len(clip))] = clip[:length]
    return out


def test_batches_padded_to_their_longest_clip(folder):
    root, clips = folder
    ds = dg.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False,
                                               verbose=False)
    batches = list(ds)
    assert [a.shape for a, _ in batches] == [(2, 7, 2), (2, 9, 2), (1, 4, 2)]
    assert [labels.tolist() for _, labels in batches] == [[0, 0], [1, 1], [1]]
    for (audio, _), group, length in zip(batches, (clips[:2], clips[2:4], clips[4:]),
                                         (7, 9, 4), strict=True):
        np.testing.assert_array_equal(audio, padded(group, length))
    assert ds.class_names == ["cat", "dog"] and len(ds.file_paths) == 5
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int32


def test_fixed_length_categorical_and_resampling(folder):
    root, clips = folder
    ds = dg.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False,
                                               output_sequence_length=6,
                                               label_mode="categorical", verbose=False)
    audio, labels = next(iter(ds))
    np.testing.assert_array_equal(audio, padded(clips[:2], 6))
    assert labels.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    from scipy import signal

    half = dg.utils.audio_dataset_from_directory(root, batch_size=None, shuffle=False,
                                                 sampling_rate=4000, labels=None,
                                                 verbose=False)
    first = next(iter(half))
    np.testing.assert_allclose(first, signal.resample(clips[0], 4, axis=0), rtol=1e-6)


def test_sample_formats_split_and_errors(tmp_path, folder):
    for dtype, value, expected in ((np.uint8, 192, 0.5), (np.int32, 2**30, 0.5),
                                   (np.float32, 0.25, 0.25)):
        (tmp_path / "kinds").mkdir(exist_ok=True)
        wavfile.write(tmp_path / "kinds" / "x.wav", 100, np.full(3, value, dtype=dtype))
        clip = next(iter(dg.utils.audio_dataset_from_directory(
            tmp_path / "kinds", labels=None, batch_size=None, verbose=False)))
        assert clip.shape == (3, 1) and clip[0, 0] == pytest.approx(expected)
    root, _ = folder
    train, val = dg.utils.audio_dataset_from_directory(
        root, validation_split=0.4, subset="both", seed=3, verbose=False)
    assert len(train.file_paths) == 3 and len(val.file_paths) == 2
    with pytest.raises(ValueError, match="no ragged tensors"):
        dg.utils.audio_dataset_from_directory(root, ragged=True)
    with pytest.raises(ValueError, match="`sampling_rate` should be a positive integer"):
        dg.utils.audio_dataset_from_directory(root, sampling_rate=0)
    (root / "cat" / "bad.wav").write_bytes(b"not a wav file")
    with pytest.raises(ValueError, match="cannot read .*bad.wav.* as a WAV file"):
        list(dg.utils.audio_dataset_from_directory(root, shuffle=False, verbose=False))
