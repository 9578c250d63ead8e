"""``audio_dataset_from_directory``: a Dataset of ``(audio, label)`` batches from WAV files.

The folder is indexed, shuffled and split as for images and text
(:mod:`deepgrad.utils.directory_dataset`); each ``.wav`` file is read with
``scipy.io.wavfile`` (SciPy comes with scikit-learn) and scaled to float32 in [-1, 1], as
Keras's ``format="grain"`` path reads it: 16-bit by 32768, 32-bit by 2**31, 8-bit as
``(x - 128) / 128``. ``sampling_rate`` resamples with ``scipy.signal.resample``;
``output_sequence_length`` trims or zero-pads every clip, otherwise each batch is
zero-padded to its longest clip.

>>> import os, tempfile
>>> from scipy.io import wavfile
>>> root = tempfile.mkdtemp()
>>> for label, length in (("no", 3), ("yes", 5)):
...     os.makedirs(os.path.join(root, label))
...     clip = np.full(length, 16384, dtype=np.int16)
...     wavfile.write(os.path.join(root, label, "a.wav"), 8000, clip)
>>> ds = audio_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False)
>>> audio, labels = next(iter(ds))
>>> audio.shape, audio[0, :, 0].tolist(), labels.tolist(), ds.class_names
((2, 5, 1), [0.5, 0.5, 0.5, 0.0, 0.0], [0, 1], ['no', 'yes'])
"""

from __future__ import annotations

import os

import numpy as np

from deepgrad.utils.directory_dataset import FolderDataset, check_labels, folder_datasets

__all__ = ["audio_dataset_from_directory", "read_audio"]

_WHERE = "audio_dataset_from_directory"


def read_audio(path, sampling_rate: int | None = None,
               output_sequence_length: int | None = None) -> np.ndarray:
    """One WAV file as float32 ``(samples, channels)`` in [-1, 1], resampled and trimmed/padded.

    Raises:
        ValueError: for a file that is not a WAV file scipy reads.
    """
    from scipy.io import wavfile

    path = path.decode("utf-8") if isinstance(path, bytes) else str(path)
    try:
        rate, audio = wavfile.read(path)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{_WHERE}: cannot read {path!r} as a WAV file: {error}") from None
    if audio.dtype == np.int16:
        audio = audio.astype(np.float32) / 32768.0
    elif audio.dtype == np.int32:
        audio = audio.astype(np.float32) / 2147483648.0
    elif audio.dtype == np.uint8:
        audio = (audio.astype(np.float32) - 128.0) / 128.0
    else:
        audio = audio.astype(np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if sampling_rate is not None and rate != sampling_rate and len(audio):
        from scipy import signal

        samples = max(1, int(round(len(audio) * sampling_rate / rate)))
        audio = signal.resample(audio, samples, axis=0).astype(np.float32)
    if output_sequence_length is not None:
        missing = output_sequence_length - len(audio)
        if missing > 0:
            audio = np.concatenate([audio, np.zeros((missing, audio.shape[1]), np.float32)])
        audio = audio[:output_sequence_length]
    return audio


def _positive(name: str, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                              or value <= 0):
        raise ValueError(f"`{name}` should be a positive integer. Received: {name}={value!r}")


def audio_dataset_from_directory(
    directory: str | os.PathLike,
    labels="inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",
    verbose: bool = True,
):
    """Make a Dataset of ``(audio, labels)`` batches from a folder per class, as Keras does.

    Args:
        directory: the folder; with ``labels='inferred'`` one subfolder per class.
        labels: ``'inferred'``, None (audio only), or a list of int labels, one per
            ``.wav`` file in sorted path order.
        label_mode: ``'int'``, ``'categorical'``, ``'binary'`` or None (as for images).
        class_names: with inferred labels, the subfolders in label order.
        batch_size: clips per batch, or None for single clips.
        sampling_rate: resample every clip to this rate (samples per second).
        output_sequence_length: trim or zero-pad every clip to this many samples
            (after resampling); None pads each batch to its longest clip.
        ragged: must be False: deepgrad has no ragged tensors (pad, or set
            ``output_sequence_length``).
        shuffle, seed, validation_split, subset, follow_links, verbose: as in
            ``text_dataset_from_directory``.
        format: ``'tf'`` or ``'grain'``, accepted for Keras compatibility; either way the
            result is a ``dg.data.Dataset`` of NumPy arrays.

    Returns:
        A Dataset (with ``class_names`` and ``file_paths``) of float32 audio
        ``(batch, samples, channels)`` and labels; for ``subset='both'``, a pair.

    Raises:
        ValueError: for bad arguments, no ``.wav`` files, or ``ragged=True``.
    """
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if ragged:
        raise ValueError(f"{_WHERE}: deepgrad has no ragged tensors (ragged=True). To fix, "
                         "let each batch be zero-padded (the default) or set "
                         "`output_sequence_length`.")
    _positive("sampling_rate", sampling_rate)
    _positive("output_sequence_length", output_sequence_length)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_labels(_WHERE, labels, label_mode, class_names)

    def load(path):
        return read_audio(path, sampling_rate, output_sequence_length)

    made = folder_datasets(_WHERE, "audio", directory, labels, label_mode, class_names,
                           (".wav",), load, None, shuffle, seed, validation_split, subset,
                           follow_links, verbose)
    if batch_size is None:
        return made

    def batched(dataset):
        if output_sequence_length is None:
            out = dataset.padded_batch(batch_size)
        else:
            out = dataset.batch(batch_size)
        result = FolderDataset(out._node)
        result.class_names, result.file_paths = dataset.class_names, dataset.file_paths
        return result

    return tuple(batched(d) for d in made) if isinstance(made, tuple) else batched(made)
