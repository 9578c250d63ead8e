"""Resume and randomness with ``dg.data.Dataset`` (issue 13, items 11 and 12).

Was: resuming ``fit`` on a shuffled Dataset differed from the uninterrupted run by up to
0.0068 (the shuffle's pass counter restarted), and ``map(fn, num_parallel_calls>1)`` with a
random ``fn`` gave 5 different results in 5 runs. Now each epoch's shuffle and each
element's draws are functions of the seeds, the epoch and the element's index.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import deepgrad as dg


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(96, 6)).astype("float32"), rng.integers(0, 3, 96)


def _jitter(x, y):
    """A random augmentation drawing from deepgrad's generator, as map functions do."""
    noise = dg.random.generator().normal(0.0, 0.1, size=x.shape).astype("float32")
    return x + noise, y


def _pipeline(parallel, form="plain"):
    x, y = _data()
    dataset = dg.data.Dataset.from_tensor_slices((x, y))
    if form == "cache":  # random draws cached in the first pass, reshuffled every epoch
        dataset = dataset.map(_jitter, num_parallel_calls=parallel).cache().shuffle(64)
        return dataset.batch(16).prefetch(2)
    dataset = dataset.shuffle(64).map(_jitter, num_parallel_calls=parallel).batch(16)
    if form == "repeat":  # one stream across epochs: 6 batches a pass, 4 an epoch
        dataset = dataset.repeat()
    return dataset.prefetch(2)


def _make(parallel, form="plain"):
    """Seed, then the dataset, then the model: the order a script keeps when it resumes."""
    dg.utils.set_random_seed(11)
    dg.layers.clear_session()
    dataset = _pipeline(parallel, form)
    model = dg.Sequential([dg.layers.Dense(16, activation="relu", input_shape=(6,)),
                           dg.layers.Dropout(0.3), dg.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=dg.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model, dataset


@pytest.mark.parametrize("parallel, form", [(None, "plain"), (3, "plain"), (3, "repeat"),
                                            (None, "cache")])
def test_resume_on_a_dataset_is_bit_identical(tmp_path, parallel, form):
    steps = 4 if form == "repeat" else None
    straight, dataset = _make(parallel, form)
    straight.fit(dataset, epochs=4, steps_per_epoch=steps, verbose=0)

    first, dataset = _make(parallel, form)
    first.fit(dataset, epochs=2, steps_per_epoch=steps, verbose=0)
    first.save(tmp_path / "checkpoint.deepgrad")

    dg.utils.set_random_seed(11)  # a new script: same seed, same dataset, then the checkpoint
    dg.layers.clear_session()
    dataset = _pipeline(parallel, form)
    resumed = dg.models.load_model(tmp_path / "checkpoint.deepgrad")
    resumed.fit(dataset, epochs=4, initial_epoch=resumed._epoch, steps_per_epoch=steps,
                verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _slow_random(x):
    time.sleep(float(np.random.default_rng().uniform(0, 2e-3)))  # shuffle thread timing
    return x + dg.random.generator().normal(size=x.shape)


def _mapped(parallel, seed=5):
    dg.utils.set_random_seed(seed)
    dataset = dg.data.Dataset.range(40).map(lambda i: np.float64(i))
    return np.array(list(dataset.map(_slow_random, num_parallel_calls=parallel)))


def test_parallel_map_with_random_fn_is_deterministic():
    runs = [_mapped(4) for _ in range(3)]
    for run in runs[1:]:
        np.testing.assert_array_equal(run, runs[0])
    np.testing.assert_array_equal(_mapped(None), runs[0])  # any parallelism, same numbers
    assert not np.array_equal(_mapped(4, seed=6), runs[0])  # and the seed matters


def test_each_pass_draws_afresh_and_repeats_by_epoch():
    dg.utils.set_random_seed(3)
    dataset = dg.data.Dataset.range(5).map(lambda i: dg.random.generator().random())
    first, second = list(dataset), list(dataset)
    assert first != second  # a new pass, new draws (as a reshuffling shuffle)
    from deepgrad.data.pipeline import epoch_scope

    with epoch_scope(7):
        a = list(dataset)
    with epoch_scope(7):
        b = list(dataset)
    assert a == b  # within fit, the epoch decides


@pytest.mark.parametrize("seed", [None, 9])
def test_augmentation_layers_in_a_parallel_map(seed):
    """Unseeded layers draw from the element's stream; seeded ones from one made of the
    element's key and their seed (they shared one generator among the threads before)."""
    images = np.arange(32 * 4 * 4 * 1, dtype="float32").reshape(32, 4, 4, 1)

    def run(parallel):
        dg.utils.set_random_seed(2)
        flip = dg.layers.RandomFlip("horizontal", seed=seed)
        noise = dg.layers.GaussianNoise(0.1, seed=seed)

        def augment(image):
            time.sleep(float(np.random.default_rng().uniform(0, 1e-3)))  # scramble threads
            return noise(flip(image[None], training=True), training=True)[0]

        dataset = dg.data.Dataset.from_tensor_slices(images)
        return np.stack(list(dataset.map(augment, num_parallel_calls=parallel)))

    reference = run(None)
    assert not np.array_equal(reference, images)  # it did augment
    for _ in range(3):
        np.testing.assert_array_equal(run(4), reference)
