"""Dataset.shard(num_shards, index): tf.data's every num_shards-th element."""

import numpy as np
import pytest

from deepgrad.data import Dataset


def test_shards_are_disjoint_and_cover_the_dataset():
    data = Dataset.from_tensor_slices(np.arange(10))
    shards = [[int(v) for v in data.shard(3, i)] for i in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert [data.shard(3, i).cardinality() for i in range(3)] == [4, 3, 3]


def test_shard_of_batches_and_of_an_unknown_length():
    assert [b.tolist() for b in Dataset.range(6).batch(2).shard(2, 1)] == [[2, 3]]
    filtered = Dataset.range(10).filter(lambda v: v % 2 == 0).shard(2, 0)
    assert filtered.cardinality() == -2
    assert [int(v) for v in filtered] == [0, 4, 8]
    assert Dataset.range(3).repeat().shard(2, 0).cardinality() == -1


@pytest.mark.parametrize("args, error, match", [
    ((0, 0), ValueError, "`num_shards` must be an int >= 1"),
    ((2, 2), ValueError, "`index` must be less than `num_shards`"),
    ((2, -1), ValueError, "`index` must be an int >= 0"),
    ((2.0, 0), TypeError, "`num_shards` must be an int"),
])
def test_bad_arguments_are_named(args, error, match):
    with pytest.raises(error, match=match):
        Dataset.range(4).shard(*args)
