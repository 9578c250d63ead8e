"""pad_sequences and timeseries_dataset_from_array, with Keras 3's answers on the same input."""

import numpy as np
import pytest

import deepgrad as dg


def test_pad_sequences_like_keras():
    # Keras 3.15: keras.utils.pad_sequences gave these results on the same calls.
    assert dg.utils.pad_sequences([[1, 2, 3], [4], []], maxlen=2).tolist() == [
        [2, 3], [0, 4], [0, 0]
    ]
    out = dg.utils.pad_sequences([[[1, 2], [3, 4]], [[5, 6]]], padding="post", value=-1)
    assert out.tolist() == [[[1, 2], [3, 4]], [[5, 6], [-1, -1]]]
    words = dg.utils.pad_sequences([["a", "bb"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "bb"], ["<pad>", "c"]]
    post = dg.utils.pad_sequences([[1, 2, 3, 4], [5]], maxlen=3, truncating="post")
    assert post.dtype == np.int32 and post.tolist() == [[1, 2, 3], [0, 0, 5]]
    floats = dg.utils.pad_sequences([np.array([0.5, 1.5])], maxlen=3, dtype="float32")
    assert floats.tolist() == [[0.0, 0.5, 1.5]]
    assert dg.utils.pad_sequences([[1], [2]], maxlen=0).shape == (2, 0)
    assert dg.utils.pad_sequences([]).shape == (0, 0)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((5,), {}, "`sequences` must be a list"),
        (([[1], 2],), {}, "Found non-iterable 2 at position 1"),
        (([[1]],), {"padding": "middle"}, "`padding` must be 'pre' or 'post'"),
        (([[1]],), {"truncating": "both"}, "`truncating` must be 'pre' or 'post'"),
        (([[1]],), {"maxlen": -1}, "`maxlen` must be None or an int >= 0"),
        (([[1]],), {"value": "x"}, "cannot hold the string padding value 'x'"),
        (([[[1, 2]], [[1, 2, 3]]],), {}, r"sequence 1 have shape \(3,\)"),
    ],
)
def test_pad_sequences_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dg.utils.pad_sequences(*args, **kwargs)


def test_timeseries_windows_like_keras():
    # Keras 3.15, keras.utils.timeseries_dataset_from_array with the same arguments.
    ds = dg.utils.timeseries_dataset_from_array(
        np.arange(20), np.arange(20) * 10, 3, sequence_stride=2, sampling_rate=2,
        start_index=1, end_index=15, batch_size=3,
    )
    got = [(x.tolist(), y.tolist()) for x, y in ds]
    assert got == [
        ([[1, 3, 5], [3, 5, 7], [5, 7, 9]], [10, 30, 50]),
        ([[7, 9, 11], [9, 11, 13]], [70, 90]),
    ]
    single = list(dg.utils.timeseries_dataset_from_array(
        np.arange(20).reshape(10, 2), None, 4, batch_size=None
    ))
    assert len(single) == 7 and single[1].tolist() == [[2, 3], [4, 5], [6, 7], [8, 9]]


def test_timeseries_shuffle_keeps_targets_with_windows():
    data = np.arange(100, dtype="float32")
    ds = dg.utils.timeseries_dataset_from_array(
        data[:-4], data[4:], sequence_length=4, batch_size=8, shuffle=True, seed=3
    )
    windows, targets = map(np.concatenate, zip(*ds))
    assert len(windows) == 93
    np.testing.assert_array_equal(windows[:, -1] + 1, targets)  # the next value follows
    assert not np.array_equal(windows[:, 0], np.sort(windows[:, 0]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start_index": 50}, "`start_index` must be at least 0 and lower than"),
        ({"end_index": 0, "start_index": 2}, None),
        ({"start_index": 5, "end_index": 3}, "`end_index` must be higher than `start_index`"),
        ({"sampling_rate": 0}, "`sampling_rate` must be at least 1"),
        ({"sequence_stride": 20}, "`sequence_stride` must be at least 1 and lower"),
    ],
)
def test_timeseries_errors(kwargs, message):
    if message is None:  # end_index=0 means "to the end", as in Keras
        assert len(list(dg.utils.timeseries_dataset_from_array(
            np.arange(20), None, 3, batch_size=None, **kwargs
        ))) == 16
        return
    with pytest.raises(ValueError, match=message):
        dg.utils.timeseries_dataset_from_array(np.arange(20), None, 3, **kwargs)
