"""``timeseries_dataset_from_array``: sliding windows over a series as a Dataset, as Keras.

Window ``i`` holds ``data[p_i], data[p_i + sampling_rate], ...`` (``sequence_length``
steps) with ``p_i = start_index + i * sequence_stride``; its target is
``targets[p_i]`` (Keras's rule: the target of the window that *starts* at ``p_i``;
to predict the step after a window, pass ``targets=data[sequence_length:]``).
Windows are cut lazily, a batch at a time.

>>> ds = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3, batch_size=4)
>>> [batch.tolist() for batch in ds][0]
[[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
"""

from __future__ import annotations

import numpy as np

from deepgrad.data import Dataset
from deepgrad.random import generator

__all__ = ["timeseries_dataset_from_array"]

_WHERE = "timeseries_dataset_from_array"


def _check_index(name: str, value, length: int, low: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{_WHERE}: `{name}` must be an int. Received: {name}={value!r}")
    if not low <= value < length:
        raise ValueError(
            f"{_WHERE}: `{name}` must be at least {low} and lower than the length of the "
            f"data ({length}). Received: {name}={value}"
        )


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> Dataset:
    """Make a Dataset of sliding windows over ``data`` (with their targets), as Keras does.

    Args:
        data: an array (or list) whose first axis is time.
        targets: one target per time step (``targets[p]`` goes with the window starting
            at ``p``), or None for windows alone.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between the samples inside a window.
        batch_size: windows per batch, or None for single windows.
        shuffle: shuffle the windows (their start positions once, by ``seed``, as Keras;
            then each epoch's order within a buffer of ``batch_size * 8``).
        seed: the shuffle's seed; None draws one from deepgrad's global generator.
        start_index, end_index: use ``data[start_index:end_index]`` only.

    Returns:
        A Dataset of windows ``(batch, sequence_length) + data.shape[1:]`` (and targets).

    Raises:
        ValueError: a stride, rate or index out of range.

    >>> x = np.arange(20, dtype="float32")
    >>> ds = timeseries_dataset_from_array(x[:-5], x[5:], sequence_length=5, batch_size=2)
    >>> window, target = next(iter(ds))
    >>> window[0].tolist(), target[0].item()
    ([0.0, 1.0, 2.0, 3.0, 4.0], 5.0)
    """
    data = np.asarray(data)
    length = len(data)
    if start_index:
        _check_index("start_index", start_index, length)
    if end_index:
        _check_index("end_index", end_index, length, low=1)
        if start_index and end_index <= start_index:
            raise ValueError(
                f"{_WHERE}: `end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, end_index={end_index}"
            )
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        _check_index(name, value, length, low=1)
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, np.integer)):
        raise ValueError(
            f"{_WHERE}: `sequence_length` must be a positive int. "
            f"Received: sequence_length={sequence_length!r}"
        )
    start = start_index or 0
    end = end_index or length
    num_windows = end - start - (sequence_length - 1) * sampling_rate
    target_array = None
    if targets is not None:
        target_array = np.asarray(targets)[start:end]
        num_windows = min(num_windows, len(target_array))
    starts = np.arange(0, max(num_windows, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = int(generator().integers(1_000_000))
        np.random.RandomState(seed).shuffle(starts)
    series = data[start:end]
    offsets = np.arange(sequence_length) * sampling_rate

    def windows(positions):
        return series[positions[..., None] + offsets]

    ds = Dataset.from_tensor_slices(starts)
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size else 1024, seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    if target_array is None:
        return ds.map(windows)
    return ds.map(lambda positions: (windows(positions), target_array[positions]))
