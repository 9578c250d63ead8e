"""Ops on symbolic tensors (issue 12, item 5): every dg.ops function called on a
KerasTensor is a node of the functional graph that runs, trains, saves and loads."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.layers.op_layer import OpLayer

rng = np.random.default_rng(0)


def _reloaded(model, tmp_path):
    path = tmp_path / "model.keras"
    model.save(path)
    return dg.saving.load_model(path)


def test_relu_of_dense_runs_trains_saves_and_loads(tmp_path):
    """The issue's example: dg.ops.relu(Dense(1)(Input((10,))))."""
    dg.utils.set_random_seed(0)
    inputs = dg.Input((10,))
    dense = dg.layers.Dense(1)
    outputs = ops.relu(dense(inputs))
    assert outputs.shape == (None, 1)
    model = dg.Model(inputs, outputs)
    x = rng.normal(size=(16, 10)).astype(np.float32)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0),
                               rtol=1e-6)
    model.compile("sgd", "mse")
    before = dense.get_weights()[0].copy()
    model.fit(x, np.ones((16, 1), np.float32), epochs=2, verbose=0)
    assert not np.array_equal(before, dense.get_weights()[0])
    loaded = _reloaded(model, tmp_path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "InputLayer", "Dense", "OpLayer"]


def test_python_operators_are_ops(tmp_path):
    a, b = dg.Input((3, 4)), dg.Input((1, 4))
    parts = [
        -(a * 2.0 + 1.0) / (abs(b) + 1.0),
        (a - b) ** 2,
        1.0 - a,
        a @ ops.swapaxes(b, 1, 2),
        a[:, 1:, ::2],
        a[..., None, 0],
        ops.cast(a > b, "float32"),
        ops.cast(a <= 0.5, "float32"),
    ]
    model = dg.Model([a, b], parts)
    x, y = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 1, 4))
    expected = [
        -(x * 2 + 1) / (np.abs(y) + 1),
        (x - y) ** 2,
        1 - x,
        x @ np.swapaxes(y, 1, 2),
        x[:, 1:, ::2],
        x[..., None, 0],
        (x > y).astype(np.float32),
        (x <= 0.5).astype(np.float32),
    ]
    for got, want in zip(model.predict([x, y], verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    for got, want in zip(_reloaded(model, tmp_path).predict([x, y], verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_shapes_are_inferred_with_unknown_batch():
    x = dg.Input((6, 4))
    assert ops.reshape(x, (-1, 24)).shape == (None, 24)
    assert ops.sum(x, axis=1).shape == (None, 4)
    assert ops.transpose(x, (0, 2, 1)).shape == (None, 4, 6)
    assert ops.mean(x).shape == ()
    assert ops.image.resize(ops.expand_dims(x, -1), (3, 2)).shape == (None, 3, 2, 1)
    assert ops.argmax(x, axis=-1).dtype == ops.argmax(np.zeros((2, 6, 4)), axis=-1).dtype


def test_lists_several_outputs_and_sub_namespaces_save_and_load(tmp_path):
    a, b = dg.Input((4,)), dg.Input((4,))
    joined = ops.concatenate([a, b], axis=-1)
    values, indices = ops.top_k(joined, 3)
    left, right = ops.split(joined, 2, axis=-1)
    image = ops.image.resize(ops.reshape(joined, (-1, 2, 4, 1)), (4, 8))
    where = ops.where(np.array([True, False, True, False]), a, b)
    model = dg.Model([a, b], [values, ops.cast(indices, "float32"), left * right, image, where])
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    before = model.predict([x, y], verbose=0)
    after = _reloaded(model, tmp_path).predict([x, y], verbose=0)
    for got, want in zip(after, before):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(before[2], x * y, rtol=1e-6)
    np.testing.assert_allclose(before[4], np.where([True, False, True, False], x, y), rtol=1e-6)


def test_gradients_reach_layers_through_ops():
    inputs = dg.Input((5,))
    dense = dg.layers.Dense(3)
    outputs = ops.logsumexp(ops.softmax(dense(inputs)) * 3.0, axis=-1, keepdims=True)
    model = dg.Model(inputs, outputs)
    model.compile("sgd", "mse")
    before = dense.get_weights()[0].copy()
    model.train_on_batch(rng.normal(size=(4, 5)), np.zeros((4, 1)))
    assert not np.allclose(before, dense.get_weights()[0])


def test_every_public_op_names_itself_for_saved_models():
    """Each op that takes tensors records under a name that load_model finds again."""
    from deepgrad.layers.op_layer import _resolve

    namespaces = [ops, ops.image, ops.linalg, ops.nn, ops.numpy]
    checked = 0
    for namespace in namespaces:
        for name in namespace.__all__:
            fn = getattr(namespace, name)
            op_name = getattr(fn, "_op_name", None)
            if op_name is not None:
                assert _resolve(op_name) is fn, (namespace.__name__, name, op_name)
                checked += 1
    assert checked > 300


def test_an_argument_a_config_cannot_hold_is_refused_at_save(tmp_path):
    inputs = dg.Input((3,))
    outputs = ops.map(lambda row: row * 2.0, inputs)
    model = dg.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(np.ones((2, 3)), verbose=0), 2.0)
    with pytest.raises(TypeError, match=r"OpLayer 'map.*' \(dg.ops.map\): cannot save"):
        model.save(tmp_path / "m.keras")


def test_symbolic_tensors_refuse_bool_and_iteration():
    x = dg.Input((3,))
    with pytest.raises(TypeError, match="cannot be used as a boolean"):
        bool(x)
    with pytest.raises(TypeError, match="Iterating over a symbolic KerasTensor"):
        list(x)


def test_unknown_op_in_a_config_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown op 'no_such_op'"):
        OpLayer("no_such_op")


def test_an_output_count_that_depends_on_the_batch_is_a_clear_error():
    x = dg.Input((3,))
    with pytest.raises(ValueError, match=r"dg.ops.unstack\): the number of outputs depends on"):
        ops.unstack(x)
    assert len(ops.unstack(x, axis=1)) == 3


_X = rng.normal(size=(3, 4)).astype(np.float32)
_ARGUMENT_SETS = [(_X,), (_X, rng.normal(size=(3, 4)).astype(np.float32)),
                  (rng.integers(0, 4, size=(3, 4)).astype(np.int32),),
                  (rng.uniform(size=(2, 5, 6, 3)).astype(np.float32),)]


def test_every_op_gives_on_symbolic_tensors_what_it_gives_eagerly():
    """Each public op, on each argument set it accepts eagerly (default arguments), is
    called on dg.Input tensors of the same shapes; the model gives the eager values."""
    checked = []
    for name in ops.__all__:
        fn = getattr(ops, name)
        if getattr(fn, "_op_name", None) is None:
            continue  # creation ops and helpers that take no tensors
        for arrays in _ARGUMENT_SETS:
            try:
                eager = fn(*[dg.Tensor(a) for a in arrays])
            except Exception:
                continue  # not a valid call of this op
            inputs = [dg.Input(a.shape[1:], dtype=a.dtype.name) for a in arrays]
            try:
                symbolic = fn(*inputs)
            except ValueError as error:
                assert "the number of outputs depends on" in str(error), (name, error)
                continue
            got = dg.Model(inputs, symbolic)(list(arrays) if len(arrays) > 1 else arrays[0])
            want = eager if isinstance(eager, (list, tuple)) else [eager]
            got = got if isinstance(got, (list, tuple)) else [got]
            for g, w in zip(got, want, strict=True):
                np.testing.assert_allclose(np.asarray(g.data), w.data, rtol=1e-6, atol=1e-6,
                                           err_msg=name)
            checked.append(name)
    assert len(set(checked)) > 200, len(set(checked))
