"""The graph executor: one plan per graph, fusion asked of the layers, Sequential through
its graph, O(1) ``add``, chains of a thousand layers, tensors let go after their last
reader."""

import weakref

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.base import FusedCall

L = dg.layers
rng = np.random.default_rng(0)


class Scale(L.Layer):
    """``x * factor``; it fuses with a following :class:`AddOne` (a toy fusion)."""

    fused_runs = 0

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def fuse(self, following):
        if following.epilogue() != ("add", 1.0):
            return None

        def run(inputs, training=None):
            if getattr(self, "decline", False):
                return None
            Scale.fused_runs += 1
            return dg.ops.add(inputs * self.factor, 1.0)

        return run


class AddOne(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_training = []

    def call(self, inputs, training=None):
        self.seen_training.append(training)
        return inputs + 1.0

    def compute_output_shape(self, input_shape):
        return input_shape

    def epilogue(self):
        return ("add", 1.0)


def _steps(model):
    return [type(step.call).__name__ for step in model._graph.plan.steps]


def test_a_plan_fuses_the_pairs_a_layer_accepts(monkeypatch):
    model = dg.Sequential([L.Input((3,)), Scale(), AddOne(), L.Dense(2), Scale(), L.Dense(1)])
    assert _steps(model) == ["FusedCall", "Dense", "Scale", "Dense"]
    x = rng.normal(size=(4, 3)).astype(np.float32)
    before = Scale.fused_runs
    dense, _, last = model.layers[2:]
    expected = last(dense(x * 2.0 + 1.0) * 2.0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.data, rtol=1e-6)
    assert Scale.fused_runs == before + 1


def test_a_declining_fusion_runs_the_two_calls_and_keeps_training():
    scale, add = Scale(), AddOne()
    model = dg.Sequential([L.Input((3,)), scale, add])
    scale.decline = True
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(model(x, training=True).data, np.full((2, 3), 3.0))
    assert add.seen_training == [True]


def test_fused_calls_keep_layer_call_features():
    add, scale = AddOne(), Scale()
    add.activity_regularizer = dg.regularizers.L1(0.5)
    call = FusedCall(scale, add, scale.fuse(add))
    out = call(np.array([[1.0, 2.0]]))  # not built yet: the two calls, which build them
    assert out.data.tolist() == [[3.0, 5.0]] and scale.built and add.built
    before = Scale.fused_runs
    out = call(np.array([[2.0, 3.0]]))  # float64, converted to the first layer's dtype
    assert Scale.fused_runs == before + 1
    assert out.dtype == np.float32 and out.data.tolist() == [[5.0, 7.0]]
    assert float(add.losses[0].data) == pytest.approx(0.5 * 12.0)


def test_fused_conv_and_pool_check_their_inputs_as_their_calls_do():
    model = dg.Sequential([L.Input((6, 6, 2)), L.Conv2D(3, 3, name="conv"), L.MaxPooling2D(2)])
    assert _steps(model) == ["FusedCall"]
    with pytest.raises(ValueError, match="Conv2D 'conv': the layer was built for inputs with 2 "
                                         "channels"):
        model.predict(np.zeros((1, 6, 6, 3), np.float32), verbose=0)


def test_fused_calls_check_each_new_shape_after_a_good_one():
    model = dg.Sequential([L.Input((None, None, 2)), L.Conv2D(3, 3, name="conv"),
                           L.MaxPooling2D(2, name="pool")])
    model.predict_on_batch(np.zeros((1, 6, 6, 2), np.float32))
    model.predict_on_batch(np.zeros((2, 6, 6, 2), np.float32))
    with pytest.raises(ValueError, match="Conv2D 'conv': the layer was built for inputs with 2 "
                                         "channels"):
        model.predict_on_batch(np.zeros((1, 6, 6, 3), np.float32))
    with pytest.raises(ValueError, match="MaxPooling2D 'pool'"):
        model.predict_on_batch(np.zeros((1, 3, 3, 2), np.float32))
    assert model.predict_on_batch(np.zeros((1, 6, 6, 2), np.float32)).shape == (1, 2, 2, 3)


def test_outputs_read_twice_or_returned_are_not_fused():
    inputs = dg.Input((3,))
    scaled = Scale()(inputs)
    model = dg.Model(inputs, [AddOne()(scaled), scaled])
    assert "FusedCall" not in _steps(model)
    inputs = dg.Input((3,))
    scaled = Scale()(inputs)
    model = dg.Model(inputs, L.Add()([AddOne()(scaled), AddOne()(scaled)]))
    assert "FusedCall" not in _steps(model)


def test_sequential_runs_through_its_graph_once_built():
    model = dg.Sequential([L.Dense(3), L.Dense(2)])
    assert model._graph is None  # no input shape yet
    x = np.ones((4, 5), np.float32)
    assert model(x).shape == (4, 2)  # the first call builds it
    assert model._graph is not None and model.input.shape == (None, 5)
    assert [type(s.call).__name__ for s in model._graph.plan.steps] == ["Dense", "Dense"]
    with pytest.raises(ValueError, match="Dense 'dense.*': expected input with last dimension 5"):
        model(np.ones((4, 6), np.float32))


def test_sequential_add_calls_only_the_new_layer(monkeypatch):
    calls = []
    real = L.Dense.compute_output_shape
    monkeypatch.setattr(L.Dense, "compute_output_shape", lambda self, shape: (
        calls.append(self.name), real(self, shape))[1])
    model = dg.Sequential([L.Input((4,))])
    for _ in range(60):
        model.add(L.Dense(4))
    assert len(calls) == 60  # one symbolic call per add, not a rebuild of the stack
    assert model.output_shape == (None, 4) and len(model.layers) == 60
    assert model.predict(np.ones((2, 4), np.float32), verbose=0).shape == (2, 4)


def test_sequential_add_of_a_layer_that_does_not_fit_leaves_the_model_as_it_was():
    model = dg.Sequential([L.Input((4,)), L.Dense(3)])
    with pytest.raises(ValueError):
        model.add(L.Conv2D(2, 3))
    assert len(model.layers) == 1 and model.built and model.output_shape == (None, 3)
    model.add(L.Dense(2))
    assert model.predict(np.ones((1, 4)), verbose=0).shape == (1, 2)


def _chain(n):
    return [L.Dense(2, name=f"d{i}") for i in range(n)]


def test_a_thousand_layer_sequential_builds_runs_trains_and_summarises():
    model = dg.Sequential([L.Input((2,)), *_chain(1000)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), np.float32)
    model.fit(x, x, epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 2)
    lines = []
    model.summary(print_fn=lines.append)
    assert len(model.layers) == 1000 and any("d999" in line for line in lines)


def test_a_thousand_layer_functional_model_builds_and_runs():
    inputs = x = dg.Input((2,))
    for layer in _chain(1000):
        x = layer(x)
    model = dg.Model(inputs, x)
    assert len(model.layers) == 1001
    assert model.predict(np.ones((3, 2), np.float32), verbose=0).shape == (3, 2)


class Remember(L.Layer):
    """``x * 2``, keeping only a weak reference to its output (``Remember.output``)."""

    output = None

    def call(self, inputs):
        out = inputs * 2.0
        Remember.output = weakref.ref(out)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape


class Probe(L.Layer):
    """Notes whether :class:`Remember`'s output was freed by the time it runs."""

    freed = None

    def call(self, inputs):
        Probe.freed = Remember.output() is None
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def test_a_run_lets_go_of_a_tensor_after_its_last_reader():
    # `doubled` is read by the sum alone, whose backward saves nothing of it: neither the
    # run nor the graph holds it after the sum, so it is freed before the probe runs.
    x = L.Input((3,))
    h = L.Dense(3)(x)
    doubled = Remember()(h)
    out = L.Dense(2)(Probe()(L.Add()([doubled, h])))
    model = dg.Model(x, out)
    y = model(np.ones((2, 3), "f4"), training=True)
    assert Probe.freed is True
    assert y.requires_grad and model(np.ones((2, 3), "f4")).shape == (2, 2)


def test_an_output_that_later_layers_also_read_is_kept_by_the_run():
    # `h` is a model output and the last reader's input: the run must not let go of it.
    x = L.Input((3,))
    h = L.Dense(4, name="h")(x)
    out = L.Dense(2)(L.Add()([h, L.Dense(4)(h)]))
    model = dg.Model(x, [out, h])
    data = np.arange(6.0, dtype="f4").reshape(2, 3)
    got_out, got_h = model(data, training=True)
    np.testing.assert_allclose(got_h.data, model.get_layer("h")(data).data)
    assert got_out.shape == (2, 2)
