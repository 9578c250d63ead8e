"""shuffle: tf's buffer semantics, the vectorised index path, seeds and epochs."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad.random
from deepgrad.data import Dataset
from deepgrad.data import pipeline as pipeline_module
from deepgrad.data.shuffle import SlotDraws, shuffle_indices


def ints(ds):
    return [int(v) for v in ds]


def slices(n):
    return Dataset.from_tensor_slices(np.arange(n))


def element_path(n):
    """The same elements with no index plan (a map hides the arrays)."""
    return Dataset.from_tensor_slices(np.arange(n)).map(lambda x: x)


def reference_shuffle(values, buffer_size, rng):
    """tf's algorithm written plainly: fill, then emit a random slot and refill it, then drain."""
    draws = SlotDraws(rng, buffer_size)
    buffer, out = list(values[:buffer_size]), []
    for value in values[buffer_size:]:
        slot = draws.one()
        out.append(buffer[slot])
        buffer[slot] = value
    return out + [buffer[i] for i in rng.permutation(len(buffer))]


@pytest.mark.parametrize("n,buffer_size", [(50, 1), (50, 7), (50, 50), (50, 80), (3000, 64)])
def test_vectorised_blocks_match_the_plain_algorithm(n, buffer_size):
    chunking = np.random.default_rng(n + buffer_size)
    cuts = np.sort(chunking.choice(np.arange(1, n), size=min(5, n - 1), replace=False))
    chunks = np.split(np.arange(n), cuts)
    got = np.concatenate(list(shuffle_indices(iter(chunks), buffer_size, np.random.default_rng(4))))
    want = reference_shuffle(list(range(n)), buffer_size, np.random.default_rng(4))
    assert got.tolist() == want


@pytest.mark.parametrize("buffer_size", [1, 3, 10, 25, 100])
def test_index_path_and_element_path_agree(buffer_size):
    fast = ints(slices(25).shuffle(buffer_size, seed=7))
    slow = ints(element_path(25).shuffle(buffer_size, seed=7))
    assert fast == slow and sorted(fast) == list(range(25))
    batched = [b.tolist() for b in slices(25).shuffle(buffer_size, seed=7).batch(4)]
    assert sum(batched, []) == fast


def test_buffer_of_one_keeps_order_and_small_buffers_mix_locally():
    assert ints(slices(20).shuffle(1, seed=0)) == list(range(20))
    buffer_size = 4
    for seed in range(20):
        order = ints(slices(40).shuffle(buffer_size, seed=seed))
        position = {value: k for k, value in enumerate(order)}
        # element i is read only after i - buffer_size outputs, so it cannot come earlier
        assert all(position[i] >= i - buffer_size + 1 for i in range(40))
        assert order[0] < buffer_size


def test_first_output_is_uniform_over_the_buffer():
    firsts = [
        int(next(shuffle_indices(iter([np.arange(8)]), 4, np.random.default_rng(s)))[0])
        for s in range(2000)
    ]
    counts = np.bincount(firsts, minlength=8)
    assert counts[4:].sum() == 0
    assert np.all(np.abs(counts[:4] / 2000 - 0.25) < 0.04)


def test_buffer_at_least_dataset_size_is_a_full_permutation():
    orders = {tuple(ints(slices(6).shuffle(6, seed=s))) for s in range(200)}
    assert all(sorted(o) == list(range(6)) for o in orders)
    assert len(orders) > 150  # 720 permutations: nearly all draws differ


def test_seed_is_deterministic_and_reshuffle_controls_epochs():
    again = ints(slices(30).shuffle(30, seed=3))
    assert ints(slices(30).shuffle(30, seed=3)) == again
    reshuffled = slices(30).shuffle(30, seed=3)
    assert ints(reshuffled) != ints(reshuffled)
    fixed = slices(30).shuffle(30, seed=3, reshuffle_each_iteration=False)
    assert ints(fixed) == ints(fixed)


def test_global_seed_makes_unseeded_shuffles_reproducible():
    deepgrad.random.set_random_seed(11)
    first = slices(30).shuffle(30)
    a = [ints(first), ints(first)]
    deepgrad.random.set_random_seed(11)
    second = slices(30).shuffle(30)
    assert [ints(second), ints(second)] == a and a[0] != a[1]


def test_shuffle_then_repeat_versus_repeat_then_shuffle():
    per_epoch = ints(slices(10).shuffle(10, seed=1).repeat(3))
    epochs = [per_epoch[k : k + 10] for k in (0, 10, 20)]
    assert all(sorted(e) == list(range(10)) for e in epochs)
    assert epochs[0] != epochs[1]  # reshuffled each repetition
    same = ints(slices(10).shuffle(10, seed=1, reshuffle_each_iteration=False).repeat(3))
    assert same[:10] == same[10:20] == same[20:]
    # repeat first: the buffer spans epoch boundaries, so an epoch-sized window can hold
    # duplicates; with some seed it must
    mixed = [ints(slices(10).repeat(2).shuffle(20, seed=s))[:10] for s in range(10)]
    assert any(len(set(window)) < 10 for window in mixed)
    assert all(
        sorted(ints(slices(10).repeat(2).shuffle(20, seed=s))) == sorted(list(range(10)) * 2)
        for s in range(3)
    )


def test_endless_repeat_then_shuffle_streams():
    batches = list(slices(10).repeat().shuffle(5, seed=0).batch(4).take(30))
    values = np.concatenate(batches)
    assert len(batches) == 30 and np.bincount(values, minlength=10).min() >= 8
    same = list(element_path(10).repeat().shuffle(5, seed=0).batch(4).take(30))
    assert [b.tolist() for b in batches] == [b.tolist() for b in same]


def test_shuffle_batch_takes_the_vectorised_path(monkeypatch):
    x = np.arange(3000, dtype=np.float32).reshape(1000, 3)
    y = np.arange(1000)

    def refuse(self, index):
        raise AssertionError("batch fell back to one element at a time")

    monkeypatch.setattr(pipeline_module.Columns, "element", refuse)
    batches = list(Dataset.from_tensor_slices((x, y)).shuffle(1000, seed=0).batch(128))
    assert [len(b[1]) for b in batches] == [128] * 7 + [104]
    labels = np.concatenate([b[1] for b in batches])
    assert sorted(labels.tolist()) == list(range(1000))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x[labels])
    cached = Dataset.from_tensor_slices((x, y)).cache()
    monkeypatch.undo()
    list(cached)  # the first pass fills the cache element by element
    monkeypatch.setattr(pipeline_module.Columns, "element", refuse)
    assert len(list(cached.shuffle(500, seed=1).repeat(2).batch(100, drop_remainder=True))) == 20


def test_argument_errors():
    msg = r"`buffer_size` must be a positive int. Received: buffer_size=0"
    with pytest.raises(ValueError, match=msg):
        slices(3).shuffle(0)
    with pytest.raises(ValueError, match="`seed` must be an int >= 0"):
        slices(3).shuffle(3, seed=-1)
    with pytest.raises(TypeError, match="`reshuffle_each_iteration` must be a bool"):
        slices(3).shuffle(3, reshuffle_each_iteration="yes")
