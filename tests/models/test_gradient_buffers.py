"""The training step sums gradients straight into the optimizer's flat gradient buffer
(``tensor.grad(out=...)`` with ``Optimizer.gradient_buffers``), and ops that can write
their weights' gradients there themselves (``tensor.gradient_destination``): the same
weights, bit for bit, as copying them there, and no weight-sized gradient array besides
the buffer."""

import tracemalloc

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.tensor import Tensor, grad, gradient_destination, make_result

L = dg.layers


def shared_conv_model(seed=0):
    dg.utils.set_random_seed(seed)
    x = L.Input((8, 8, 2))
    conv = L.Conv2D(3, 3, padding="same", activation="relu")
    h = conv(L.Conv2D(3, 1)(x))
    h = conv(h)  # one layer used twice: its gradients are summed into the same buffer
    out = L.Dense(4)(L.Flatten()(L.BatchNormalization()(h)))
    model = dg.Model(x, out)
    model.compile(optimizer=dg.optimizers.Adam(1e-2), loss="mse")
    return model


@pytest.mark.parametrize("build, x_shape, y_shape", [
    ("shared_conv_model", (6, 8, 8, 2), (6, 4)),
    ("dense_model", (5, 6), (5, 3)),  # Dense writes its weights' gradients in place
])
def test_same_weights_as_copying_the_gradients(build, x_shape, y_shape, monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=x_shape).astype("f4"), rng.normal(size=y_shape).astype("f4")
    direct, copied = globals()[build](), globals()[build]()
    monkeypatch.setattr(copied.optimizer, "gradient_buffers", lambda variables: None)
    for _ in range(3):
        direct.train_on_batch(x, y)
        copied.train_on_batch(x, y)
    for a, b in zip(direct.get_weights(), copied.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_apply_receives_the_buffers_themselves(monkeypatch):
    model = shared_conv_model()
    seen = {}
    apply = model.optimizer.apply

    def spy(grads, variables):
        seen["grads"] = list(grads)
        apply(grads, variables)

    monkeypatch.setattr(model.optimizer, "apply", spy)
    model.train_on_batch(np.ones((2, 8, 8, 2), "f4"), np.ones((2, 4), "f4"))
    buffers = model.optimizer.gradient_buffers(model.trainable_variables)
    assert all(g is b for g, b in zip(seen["grads"], buffers, strict=True))


def test_no_buffers_where_apply_needs_its_own_copy():
    w = dg.Variable(np.ones(3, "f4"))
    assert dg.optimizers.SGD(gradient_accumulation_steps=2).gradient_buffers([w]) is None
    assert dg.optimizers.SGD(loss_scale_factor=8.0).gradient_buffers([w]) is None
    opt = dg.optimizers.SGD()
    opt.build([w])
    assert opt.gradient_buffers([dg.Variable(np.ones(3, "f4"))]) is None  # not built with it


def test_grad_out_sums_in_place_and_leaves_misfits_alone():
    x = Tensor(np.array([1.0, 2.0], "f4"), requires_grad=True)
    y = Tensor(np.array([3.0], "f4"), requires_grad=True)
    buffer, wrong = np.full(2, 99.0, "f4"), np.zeros(5, "f4")
    gx, gy = grad((x * x).sum() + (x * 3.0).sum() + (y * y).sum(), [x, y], out=[buffer, wrong])
    assert gx is buffer
    np.testing.assert_array_equal(buffer, [5.0, 7.0])
    assert gy is not wrong and np.count_nonzero(wrong) == 0
    np.testing.assert_array_equal(gy, [6.0])
    with pytest.raises(ValueError, match="one array"):
        grad((x * x).sum(), [x, y], out=[buffer])


def dense_model(seed=0):
    """Dense layers on the tape (run_eagerly: not the compiled Dense step): one used
    twice, one frozen, so each kind of gradient meets its buffer."""
    dg.utils.set_random_seed(seed)
    x = L.Input((6,))
    shared = L.Dense(6, activation="relu")
    frozen = L.Dense(6)
    frozen.trainable = False
    h = shared(shared(x))
    out = L.Dense(3)(frozen(h))
    model = dg.Model(x, out)
    model.compile(optimizer=dg.optimizers.Adam(1e-2), loss="mse", run_eagerly=True)
    return model


def test_dense_gradients_in_the_offered_buffers_equal_the_reference():
    rng = np.random.default_rng(2)
    x = Tensor(rng.normal(size=(4, 5)).astype("f4"))
    w, b = dg.Variable(rng.normal(size=(5, 3)), dtype="float32"), dg.Variable(np.zeros(3, "f4"))
    w2 = dg.Variable(rng.normal(size=(3, 3)), dtype="float32")

    def loss():  # w2 used twice: the second gradient is summed onto the first
        h = ops.dense(x, w, b, activation="relu")
        return ops.sum(ops.dense(ops.dense(h, w2), w2))

    reference = grad(loss(), [w, b, w2])
    buffers = [np.full(v.shape, 7.0, "f4") for v in (w, b, w2)]
    written = grad(loss(), [w, b, w2], out=buffers, release=True)
    for got, buffer, expected in zip(written, buffers, reference, strict=True):
        assert got is buffer
        np.testing.assert_array_equal(got, expected)


def _peak_during(fn) -> int:
    """The most bytes allocated (NumPy's arrays included) while ``fn`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_dense_writes_its_kernel_gradient_without_a_second_kernel_sized_array():
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(2, 512)).astype("f4"))
    w = dg.Variable(rng.normal(size=(512, 1024)), dtype="float32")  # 2 MiB
    buffer = np.empty(w.shape, "f4")

    def step(out):
        return lambda: grad(ops.sum(ops.dense(x, w)), [w], out=out, release=True)

    assert _peak_during(step(None)) >= w.data.nbytes  # the copy path: a fresh gradient
    assert _peak_during(step([buffer])) < w.data.nbytes // 8
    np.testing.assert_array_equal(buffer, grad(ops.sum(ops.dense(x, w)), [w])[0])


def test_an_input_twice_in_one_op_or_with_a_gradient_already_gets_no_destination():
    w = dg.Variable(np.array([1.0, 2.0], "f4"))
    offered = []

    def square(a, b):
        def backward(g):
            offered.append((gradient_destination(a), gradient_destination(b)))
            return g * b.data, g * a.data

        return make_result(a.data * b.data, (a, b), backward)

    buffer = np.zeros(2, "f4")
    [g] = grad(ops.sum(square(w, w)), [w], out=[buffer])
    assert offered == [(None, None)] and g is buffer
    np.testing.assert_array_equal(buffer, [2.0, 4.0])


def test_a_destination_is_offered_to_the_first_op_only_and_filled_whole():
    w = dg.Variable(np.array([1.0, 2.0], "f4"))
    seen = []

    def scaled(a, factor):
        def backward(g):
            into = gradient_destination(a)
            seen.append(into is not None)
            return (np.multiply(g, factor, out=into),)

        return make_result(a.data * factor, (a,), backward)

    buffer = np.full(2, 99.0, "f4")
    # The later op runs its backward first, gets the buffer; the earlier op is summed in.
    [g] = grad(ops.sum(ops.add(scaled(w, 2.0), scaled(w, 3.0))), [w], out=[buffer])
    assert seen == [True, False] and g is buffer
    np.testing.assert_array_equal(buffer, [5.0, 5.0])
    assert gradient_destination(w) is None  # nothing offered outside a backward function


def _offered(tensor, buffer, node, g):
    """``node``'s backward run with ``buffer`` offered for ``tensor``, as grad(out=) does."""
    from deepgrad import tensor as tensor_module

    tensor_module._destinations.offered = {id(tensor): buffer}
    try:
        return node.backward(g)
    finally:
        tensor_module._destinations.offered = {}


@pytest.mark.parametrize("kernel_size, strides, channels, activation", [
    (3, 1, 8, "relu"),  # Winograd
    (1, 1, 4, None),  # a 1x1 kernel: one matrix product
    (3, 2, 4, "relu"),  # im2col
])
def test_conv_kernel_gradient_written_into_the_offered_buffer(kernel_size, strides, channels,
                                                              activation):
    from deepgrad.ops.convolution import conv2d

    rng = np.random.default_rng(4)
    x = Tensor(rng.normal(size=(3, 9, 9, channels)).astype("f4"), requires_grad=True)
    kernel = dg.Variable(rng.normal(size=(kernel_size, kernel_size, channels, 5)), dtype="float32")
    bias = dg.Variable(np.zeros(5, "f4"))
    y = conv2d(x, kernel, bias, strides=strides, padding="same", activation=activation)
    g = rng.normal(size=y.shape).astype("f4")
    expected = y._node.backward(g)
    buffer = np.full(kernel.shape, 7.0, "f4")
    got = _offered(kernel, buffer, y._node, g)
    assert got[1] is buffer
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_dense_kernel_and_bias_gradients_written_into_the_offered_buffers():
    rng = np.random.default_rng(5)
    x = Tensor(rng.normal(size=(4, 6)).astype("f4"))
    w, b = dg.Variable(rng.normal(size=(6, 3)), dtype="float32"), dg.Variable(np.ones(3, "f4"))
    y = ops.dense(x, w, b)
    g = rng.normal(size=y.shape).astype("f4")
    expected = y._node.backward(g)
    into = np.empty(w.shape, "f4")
    assert _offered(w, into, y._node, g)[1] is into
    np.testing.assert_array_equal(into, expected[1])
    into = np.empty(3, "f4")
    assert _offered(b, into, y._node, g)[2] is into
    np.testing.assert_array_equal(into, expected[2])


def nested_model(seed=0):
    """A sub-model called twice (its conv, Winograd-sized, and its Dense on a 3-D input
    each make two gradients for one buffer), a pad the convolution does, a residual sum
    with its ReLU fused."""
    dg.utils.set_random_seed(seed)
    inner_in = L.Input((6, 6, 8))
    h = L.Conv2D(8, 3, padding="same")(inner_in)
    h = L.Dense(8, activation="relu")(h)
    inner = dg.Model(inner_in, h)
    x = L.Input((6, 6, 8))
    h = L.ReLU()(L.Add()([inner(inner(x)), x]))
    h = L.Conv2D(4, 3, strides=2)(L.ZeroPadding2D(((1, 2), (0, 1)))(h))
    model = dg.Model(x, L.Dense(3)(L.GlobalAveragePooling2D()(h)))
    model.compile(optimizer=dg.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    return model


def test_a_nested_model_called_twice_gets_the_same_weights_as_copying():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 6, 6, 8)).astype("f4"), rng.normal(size=(4, 3)).astype("f4")
    direct, copied = nested_model(), nested_model()
    copied.optimizer.gradient_buffers = lambda variables: None
    for _ in range(3):
        direct.train_on_batch(x, y)
        copied.train_on_batch(x, y)
    for a, b in zip(direct.get_weights(), copied.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
