import gc

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.tensor import Tensor, Variable, grad


def test_python_floats_default_to_float32_and_arrays_keep_dtype():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert Tensor([1, 2]).dtype.kind == "i"


def test_scalar_ops_do_not_upcast_float32():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * 2.5 + 1) / 3 - 0.5
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])


def test_shared_gradient_arrays_are_not_corrupted_by_accumulation():
    a = Tensor([1.0], requires_grad=True)
    b = Tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    (a * 5).sum().backward()
    np.testing.assert_allclose(b.grad, [1.0])
    np.testing.assert_allclose(a.grad, [6.0])


def test_diamond_graph_sums_both_paths():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    z = y + y * x
    z.backward()
    assert float(x.grad) == pytest.approx(2 * 2 + 3 * 4)


def test_deep_chain_has_no_recursion_limit():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.backward()
    assert float(x.grad) == 1.0


def test_non_scalar_backward_needs_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 1.0]))
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_backward_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_no_grad_records_nothing_and_restores():
    w = Tensor([1.0], requires_grad=True)
    with dg.no_grad():
        y = w * 2
    assert not y.requires_grad
    assert (w * 2).requires_grad


def test_no_grad_is_thread_local():
    import threading

    seen = []
    with dg.no_grad():
        t = threading.Thread(target=lambda: seen.append(dg.tensor.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_ndarray_on_the_left_dispatches_to_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_grad_function_and_unconnected_inputs():
    x = Tensor(3.0, requires_grad=True)
    unused = Tensor(1.0, requires_grad=True)
    gx, gu = grad(x * x, [x, unused])
    assert float(gx) == 6.0 and gu is None
    assert x.grad is None


def test_gradient_tape_like_tf():
    w = Variable([[1.0, 2.0]])
    x = Tensor([[3.0], [4.0]])
    with dg.GradientTape() as tape:
        loss = (w @ x).sum()
    (g,) = tape.gradient(loss, [w])
    np.testing.assert_allclose(g, [[3.0, 4.0]])
    with pytest.raises(RuntimeError, match="only be called once"):
        tape.gradient(loss, [w])


def test_gradient_tape_watch_constant():
    x = Tensor(2.0)
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x * x
    assert float(tape.gradient(y, x)) == 12.0
    assert float(tape.gradient(y, x)) == 12.0


def test_the_tape_gives_tensors_as_tensorflow_does():
    # keras.io "Integrated gradients" reads grads[0].numpy() (AttributeError on arrays).
    x = Tensor(np.array([[1.0, 2.0]], np.float32))
    unused = Tensor(np.zeros(2, np.float32))
    with dg.GradientTape(persistent=True) as tape:
        tape.watch([x, unused])
        y = dg.ops.sum(x * x)
    g = tape.gradient(y, x)
    assert isinstance(g, Tensor) and g._node is None
    np.testing.assert_array_equal(g[0].numpy(), [2.0, 4.0])
    listed = tape.gradient(y, [x, unused])
    assert isinstance(listed[0], Tensor) and listed[1] is None
    assert isinstance(tape.gradient(y, {"x": x})["x"], Tensor)


def test_watching_an_array_says_how_to_fix_it():
    with dg.GradientTape() as tape, pytest.raises(TypeError, match="convert_to_tensor"):
        tape.watch(dg.random.uniform((1, 2)))


def test_a_format_spec_formats_the_value_as_tensorflow_does():
    loss = Tensor(np.float32(0.25))
    assert f"{loss:.3f}" == "0.250" and f"{loss}" == str(loss)
    assert f"{Tensor(np.array([1, 2])):}" == str(Tensor(np.array([1, 2])))


def test_variable_assign_is_in_place_and_checks_shape():
    v = Variable(np.zeros((2, 2)), name="k")
    data = v.data
    v.assign(np.ones((2, 2)))
    assert v.data is data and v.data.sum() == 4
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2, 2\)"):
        v.assign(np.ones(3))


def test_variable_numpy_is_a_copy_and_tensor_numpy_is_not():
    """Keras's semantics: an array taken from a variable does not change with it."""
    v = Variable([1.0, 2.0])
    taken = v.numpy()
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(taken, [1.0, 2.0])
    taken[0] = 9.0
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    t = Tensor([1.0])
    assert t.numpy() is t.data


def test_array_taken_before_fit_keeps_its_values_and_the_model_trains():
    model = dg.Sequential([dg.layers.Input((3,)), dg.layers.Dense(2)])
    model.compile("sgd", "mse")
    kernel = model.layers[0].kernel
    taken, weights, storage = kernel.numpy(), model.get_weights(), kernel.data
    model.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    assert kernel.data is storage  # trained in place, never rebound
    assert not np.array_equal(kernel.numpy(), taken)
    np.testing.assert_array_equal(taken, weights[0])


def test_frozen_variable_gets_no_gradient():
    v = Variable([1.0, 2.0])
    v.trainable = False
    assert not (v * 2).requires_grad


def test_graph_is_freed_after_use():
    import weakref

    x = Tensor(np.ones(10), requires_grad=True)
    y = (x * 2).sum()
    ref = weakref.ref(y)
    y.backward()
    del y
    gc.collect()
    assert ref() is None


def test_grad_with_release_frees_each_op_as_it_runs_and_gives_the_same_gradients():
    import weakref

    w = Variable(np.array([0.5, -1.0, 2.0]))
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    hidden = w * x
    saved = hidden * hidden  # its backward keeps `hidden`'s array
    loss = (saved + hidden).sum()
    expected = grad(loss, [w])[0]
    ref = weakref.ref(hidden)
    released = grad(loss, [w], release=True)[0]
    np.testing.assert_allclose(released, expected)
    del hidden
    gc.collect()
    assert ref() is None and saved._node.inputs == () and loss._node.inputs == ()
    with pytest.raises(RuntimeError, match="released by an earlier gradient computation"):
        grad(loss, [w])


def test_the_graph_does_not_hold_an_ops_output_that_no_backward_saved():
    import weakref

    w = Variable(np.array([0.5, -1.0, 2.0]))
    hidden = w * 2.0
    ref = weakref.ref(hidden)
    loss = (hidden + w).sum()  # add's backward keeps shapes, not its inputs
    del hidden
    gc.collect()
    assert ref() is None
    np.testing.assert_array_equal(grad(loss, [w])[0], [3.0, 3.0, 3.0])


def test_grad_of_an_intermediate_tensor_and_of_the_output_itself():
    w = Variable(np.array([1.0, 2.0]))
    hidden = w * w
    loss = (hidden * 3.0).sum()
    g_hidden, g_w, g_loss = grad(loss, [hidden, w, loss])
    np.testing.assert_array_equal(g_hidden, [3.0, 3.0])
    np.testing.assert_array_equal(g_w, [6.0, 12.0])
    assert float(g_loss) == 1.0


def test_a_model_training_step_gives_the_same_weights_with_release(monkeypatch):
    from deepgrad.models import model as model_module

    def trained() -> list:
        dg.utils.set_random_seed(3)
        model = dg.Sequential([dg.layers.Input((4,)), dg.layers.Dense(5, activation="relu"),
                               dg.layers.Dense(3)])
        # run_eagerly: the tape's step, not the compiled Dense step (which has no tape)
        model.compile(optimizer="adam", loss=dg.losses.SparseCategoricalCrossentropy(
            from_logits=True), run_eagerly=True)
        x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(6, 4)
        for _ in range(3):
            model.train_on_batch(x, np.arange(6) % 3)
        return model.get_weights()

    released = trained()
    # The reference: no release, no buffers to write into (every gradient copied).
    monkeypatch.setattr(model_module, "grad",
                        lambda output, inputs, release, out: grad(output, inputs))
    kept = trained()
    for a, b in zip(kept, released, strict=True):
        np.testing.assert_array_equal(a, b)


# -- NumPy functions on Tensors (Keras code calls np.max(predictions) and the like) ---------
@pytest.mark.parametrize("name", ["max", "min", "sum", "mean", "argmax", "argmin", "std",
                                  "round", "abs", "exp", "square", "cumsum", "sort"])
@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": -1}])
def test_numpy_functions_on_tensors_give_numpys_answers(name, kwargs):
    data = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    if name in ("round", "abs", "exp", "square") and kwargs:
        return  # no axis argument
    for tensor in (Tensor(data), Variable(data)):
        got = getattr(np, name)(tensor, **kwargs)
        expected = getattr(np, name)(data, **kwargs)
        assert type(got) is type(expected)
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(got, expected)


def test_numpy_functions_take_keywords_and_lists_of_tensors():
    a = Tensor(np.arange(6, dtype="float32").reshape(2, 3))
    assert np.max(a, axis=1, keepdims=True).tolist() == [[2.0], [5.0]]
    assert np.sum(a, dtype=np.float64).dtype == np.float64
    out = np.empty(3, "float32")
    np.mean(a, axis=0, out=out)
    assert out.tolist() == [1.5, 2.5, 3.5]
    assert np.concatenate([a, a]).shape == (4, 3) and np.stack((a, a), axis=-1).shape == (2, 3, 2)
    assert np.allclose(a, a.data) and np.array_equal(np.where(a > 2, a, 0), [[0, 0, 0],
                                                                             [3, 4, 5]])
    np.testing.assert_allclose(a, a.data)
    assert float(np.max(a)) == 5.0 and int(np.argmax(a)) == 5


def test_operators_with_arrays_still_record_gradients():
    w = Tensor(np.ones(3, "float32"), requires_grad=True)
    y = np.arange(3, dtype="float32") * w  # ndarray first: Tensor.__rmul__, not NumPy
    assert isinstance(y, Tensor)
    y.sum().backward()
    assert w.grad.tolist() == [0.0, 1.0, 2.0]


def test_variable_takes_keras_and_tensorflow_keywords():
    # keras.io "Classification with Neural Decision Forests":
    # keras.Variable(initializer=keras.initializers.RandomNormal(), shape=[8, 2], ...)
    # raised TypeError (deepgrad took only a value).
    v = dg.Variable(initializer=dg.initializers.Constant(3.0), shape=[2, 2], dtype="float32",
                    trainable=False)
    assert v.numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]] and not v.trainable
    drawn = dg.Variable(initializer=dg.initializers.RandomNormal(seed=1), shape=(4, 2))
    assert drawn.shape == (4, 2)
    assert dg.Variable(initial_value=[1.0, 2.0]).numpy().tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="an initializer needs `shape`"):
        dg.Variable(initializer=dg.initializers.Zeros())
    with pytest.raises(TypeError, match=r"initializer=dg.initializers.get\('zeros'\)"):
        dg.Variable("zeros", shape=(2,))
    with pytest.raises(TypeError, match="give the initial value once"):
        dg.Variable([1.0], initial_value=[2.0])


def test_a_gradient_inside_another_tape_warns_it_is_first_order_only():
    # keras.io's WGAN-GP: gp_tape.gradient inside the outer tape, whose gradient of the
    # penalty TensorFlow gives through the inner gradient; deepgrad gave None silently.
    w = dg.Variable([2.0])
    x = dg.Tensor([3.0])
    with dg.GradientTape():
        with dg.GradientTape() as inner:
            inner.watch(x)
            y = (w * x * x).sum()
        with pytest.warns(UserWarning, match="first order only"):
            g = inner.gradient(y, x)
    assert g.numpy().tolist() == [12.0]
    with dg.GradientTape(persistent=True) as tape:
        y = (w * w).sum()
        assert tape.gradient(y, w).numpy().tolist() == [4.0]  # its own context: no warning
