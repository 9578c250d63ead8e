"""The names that course code written for Keras and TensorFlow 2 reaches for (issue 12).

Each test is a reproducer: the line as the course (or Keras's documentation) writes it,
with ``tf``/``keras`` replaced by ``dg``.
"""

import inspect

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import tf_style


def test_dtype_names():
    assert (dg.float16, dg.float32, dg.float64) == (np.float16, np.float32, np.float64)
    assert (dg.int8, dg.int16, dg.int32, dg.int64, dg.uint8) == (
        np.int8, np.int16, np.int32, np.int64, np.uint8)
    assert dg.bool is np.bool_ and dg.string == "string"
    x = dg.cast(np.arange(3), dg.float32)
    assert x.dtype == dg.float32
    assert dg.Input((1,), dtype=dg.string).dtype == "string"
    assert dg.Input((3,), dtype=dg.int32).dtype == "int32"


def test_autotune_in_both_places_the_course_uses():
    ds = dg.data.Dataset.from_tensor_slices(np.arange(10, dtype="float32"))
    ds = ds.map(lambda v: v * 2, num_parallel_calls=dg.data.experimental.AUTOTUNE)
    ds = ds.batch(4).prefetch(dg.data.AUTOTUNE)
    assert [b.tolist() for b in ds][0] == [0.0, 2.0, 4.0, 6.0]
    assert dg.data.experimental.AUTOTUNE == dg.data.AUTOTUNE == -1
    assert dg.data.experimental.cardinality(ds) == 3


@pytest.mark.parametrize("name, where", [
    ("Layer", dg.layers), ("InputSpec", dg.layers), ("KerasTensor", dg.layers),
    ("Loss", dg.losses), ("Metric", dg.metrics), ("Optimizer", dg.optimizers),
    ("Initializer", dg.initializers), ("Regularizer", dg.regularizers),
    ("TensorSpec", dg.data)])  # tf.TensorSpec, from_generator's output_signature
def test_keras_top_level_base_classes(name, where):
    assert getattr(dg, name) is getattr(where, name)
    assert name in dir(dg)


def test_a_course_subclass_of_the_top_level_layer():
    class Scale(dg.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    assert Scale()(np.ones((2, 3), "float32")).shape == (2, 3)


# keras.metrics's functions (Keras 3.15's list): the loss functions are among them.
KERAS_METRIC_FUNCTIONS = [
    "binary_accuracy", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_accuracy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_hinge", "concordance_correlation", "hinge", "huber", "kl_divergence",
    "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "pearson_correlation",
    "poisson", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
]


@pytest.mark.parametrize("name", KERAS_METRIC_FUNCTIONS)
def test_metric_functions_as_keras_has_them(name):
    assert callable(getattr(dg.metrics, name))


def test_top_level_names_are_tf_styles():
    from deepgrad import _ATTRIBUTES

    listed = {n for n, module in _ATTRIBUTES.items() if module == "deepgrad.tf_style"}
    assert listed == set(tf_style.__all__)
    for name in tf_style.__all__:
        assert getattr(dg, name) is getattr(tf_style, name)


def test_the_course_accuracy_line():
    logits = dg.constant([[0.1, 2.0, 0.3], [1.5, 0.2, 0.1], [0.0, 0.1, 3.0]])
    labels = np.array([1, 0, 0])
    correct = dg.equal(dg.argmax(logits, 1), labels)
    accuracy = dg.reduce_mean(dg.cast(correct, dg.float32))
    assert float(accuracy) == pytest.approx(2 / 3)
    assert dg.argmax(logits).numpy().tolist() == [1, 0, 2]  # TensorFlow's axis 0
    assert dg.reduce_sum(dg.ones((2, 3)), axis=1).numpy().tolist() == [3.0, 3.0]


def test_the_course_low_level_cnn_trains_with_tape_nn_and_minimize():
    """The course's eager CNN: weights from truncated_normal and constant, dg.nn ops,
    GradientTape for one step and optimizer.minimize for the next; the loss falls."""
    dg.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = rng.random((16, 8, 8, 1), dtype=np.float32)
    labels = (images.mean(axis=(1, 2, 3)) > 0.5).astype("int64")

    def weight(shape):
        return dg.Variable(dg.random.truncated_normal(shape, stddev=0.1))

    def bias(shape):
        return dg.Variable(dg.constant(0.1, shape=shape))

    w_conv, b_conv = weight([3, 3, 1, 4]), bias([4])
    w_out, b_out = weight([4 * 4 * 4, 2]), bias([2])
    variables = [w_conv, b_conv, w_out, b_out]

    def loss_fn():
        h = dg.nn.relu(dg.nn.conv2d(images, w_conv, strides=1, padding="SAME") + b_conv)
        h = dg.nn.max_pool2d(h, ksize=2, strides=2, padding="SAME")
        logits = dg.matmul(dg.reshape(h, [-1, 4 * 4 * 4]), w_out) + b_out
        return dg.reduce_mean(
            dg.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))

    optimizer = dg.optimizers.Adam(0.05)
    first = float(loss_fn())
    with dg.GradientTape() as tape:
        loss = loss_fn()
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    for _ in range(20):
        optimizer.minimize(loss_fn, var_list=variables)
    assert float(loss_fn()) < 0.8 * first
    assert int(optimizer.iterations) == 21


def test_minimize_with_a_tape_and_a_var_list_function():
    w = dg.Variable(np.array([2.0], np.float32))
    optimizer = dg.optimizers.SGD(0.5)
    with dg.GradientTape() as tape:
        loss = (w * w).sum()
    optimizer.minimize(loss, lambda: [w], tape=tape)
    assert w.numpy().tolist() == [0.0]
    with pytest.raises(TypeError, match="SGD.minimize: `loss` must be a function"):
        optimizer.minimize((w * w).sum(), [w])


# keras.random's signatures (Keras 3.15), which are tf.random's argument names too
KERAS_RANDOM = {
    "normal": ["shape", "mean", "stddev", "dtype", "seed"],
    "uniform": ["shape", "minval", "maxval", "dtype", "seed"],
    "truncated_normal": ["shape", "mean", "stddev", "dtype", "seed"],
    "randint": ["shape", "minval", "maxval", "dtype", "seed"],
    "shuffle": ["x", "axis", "seed"],
}


@pytest.mark.parametrize("name", sorted(KERAS_RANDOM))
def test_random_draws_have_kerass_arguments(name):
    assert list(inspect.signature(getattr(dg.random, name)).parameters) == KERAS_RANDOM[name]


def test_random_draws_follow_the_seed_and_their_distributions():
    dg.utils.set_random_seed(1)
    a = dg.random.normal((4000,), mean=2.0, stddev=0.5)
    dg.utils.set_random_seed(1)
    assert np.array_equal(a, dg.random.normal((4000,), mean=2.0, stddev=0.5))
    assert a.dtype == np.float32 and abs(a.mean() - 2.0) < 0.05 and abs(a.std() - 0.5) < 0.05
    t = dg.random.truncated_normal([5, 5, 1, 32], stddev=0.1, seed=3)
    assert t.shape == (5, 5, 1, 32) and np.abs(t).max() <= 0.2 and t.std() > 0.07
    assert np.array_equal(t, dg.random.truncated_normal([5, 5, 1, 32], stddev=0.1, seed=3))
    u = dg.random.uniform((1000,), minval=-1, maxval=1, seed=0)
    assert u.min() >= -1 and u.max() < 1 and u.dtype == np.float32
    ints = dg.random.uniform((1000,), 0, 3, dtype="int32", seed=0)
    assert ints.dtype == np.int32 and set(np.unique(ints).tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="random.normal: `shape` must hold sizes >= 0"):
        dg.random.normal((2, -1))


def test_list_physical_devices():
    devices = dg.config.list_physical_devices()
    assert [d.device_type for d in devices] == ["CPU"]
    assert devices[0].name == "/physical_device:CPU:0"
    assert dg.config.list_physical_devices("GPU") == []
    assert len(dg.config.list_physical_devices("CPU")) == 1


def test_constant_zeros_ones_as_tensorflow():
    assert dg.constant(1.5).dtype == np.float32 and dg.constant(3).dtype == np.int32
    assert dg.constant([1, 2, 3, 4], shape=(2, 2)).numpy().tolist() == [[1, 2], [3, 4]]
    assert dg.constant(np.arange(3.0)).dtype == np.float64  # an array keeps its dtype
    with pytest.raises(ValueError, match="constant: 3 values cannot fill `shape`=\\(2, 2\\)"):
        dg.constant([1, 2, 3], shape=(2, 2))
    assert dg.zeros((2, 3)).dtype == np.float32 and dg.ones([2], dg.int64).dtype == np.int64
    assert dg.concat([dg.zeros((1, 2)), dg.ones((2, 2))], axis=0).shape == (3, 2)


def test_tf_function_shape_range_and_newaxis_as_keras_io_examples_use_them():
    # keras.io's TF-backend examples (convnet filters, GAN, Grad-CAM) write @tf.function,
    # tf.random.uniform(tf.shape(labels)), tf.range(n) and pooled[..., tf.newaxis]. The
    # values are TensorFlow 2.21's.
    @dg.function
    def step(x):
        return x + 1

    assert step(1) == 2 and dg.function(jit_compile=True)(step)(2) == 3
    x = dg.ops.ones((2, 3))
    assert dg.shape(x).tolist() == [2, 3] and dg.shape(x).dtype == np.int32
    assert dg.random.uniform(dg.shape(x)).shape == (2, 3)
    assert dg.shape(dg.Input((3,))) == (None, 3)
    assert dg.range(5).numpy().tolist() == [0, 1, 2, 3, 4] and dg.range(5).dtype == np.int32
    assert dg.range(0.0, 1.0, 0.25).numpy().tolist() == [0.0, 0.25, 0.5, 0.75]
    assert dg.range(0.0, 1.0, 0.25).dtype == np.float32
    assert dg.range(2, 7, 2, dtype="int64").dtype == np.int64
    assert x[..., dg.newaxis].shape == (2, 3, 1)


def test_tf_math_as_keras_io_tf_examples_use_it():
    # tf.math.l2_normalize (filter visualization), reduce_max (Grad-CAM), not_equal (the
    # translation Transformer's mask). The values are TensorFlow 2.21's.
    x = np.array([[3.0, -4.0], [1.0, 2.0]], "float32")
    np.testing.assert_allclose(dg.math.l2_normalize(x).numpy(),
                               [[0.54772, -0.7303], [0.18257, 0.36515]], atol=1e-5)
    np.testing.assert_allclose(dg.math.l2_normalize(x, axis=1).numpy(),
                               [[0.6, -0.8], [0.44721, 0.89443]], atol=1e-5)
    assert dg.math.l2_normalize(np.zeros(2, "float32")).numpy().tolist() == [0.0, 0.0]
    assert float(dg.math.reduce_max(x)) == 3.0
    assert dg.math.reduce_sum(x, axis=0).numpy().tolist() == [4.0, -2.0]
    np.testing.assert_allclose(float(dg.math.reduce_std(x)), 2.69258, rtol=1e-5)
    np.testing.assert_allclose(dg.math.reduce_logsumexp(x, axis=1).numpy(),
                               [3.00091, 2.31326], rtol=1e-5)
    assert dg.math.argmax(x).numpy().tolist() == [0, 1]  # TensorFlow's default axis 0
    assert dg.math.not_equal(x, 1.0).numpy().tolist() == [[True, True], [False, True]]
    assert dg.math.floordiv(x, 2.0).numpy().tolist() == [[1.0, -2.0], [0.0, 1.0]]
    pixels = dg.Tensor(x)
    with dg.GradientTape() as tape:
        tape.watch(pixels)
        total = dg.ops.sum(dg.math.l2_normalize(pixels) * np.array([1.0, 0.0], "float32"))
    assert tape.gradient(total, pixels).shape == (2, 2)


def test_tf_one_hot_as_tensorflow():
    # older keras.io guides one-hot their labels with tf.one_hot. Values: TensorFlow 2.21's.
    assert dg.one_hot([0, 2, 5, -1], depth=3).numpy().tolist() == [
        [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    assert dg.one_hot([[0, 1]], depth=3, axis=0).numpy().tolist() == [
        [[1.0, 0.0]], [[0.0, 1.0]], [[0.0, 0.0]]]
    hot = dg.one_hot([1], 2, on_value=5, off_value=-1)
    assert hot.numpy().tolist() == [[-1, 5]] and hot.dtype == np.int32
