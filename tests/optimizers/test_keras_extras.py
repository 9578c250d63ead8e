"""The optimizers added for Keras 3's breadth (Adadelta, Adamax, Ftrl, Lion, Lamb, Muon,
LossScaleOptimizer) and the options every optimizer has (use_ema, gradient accumulation,
loss_scale_factor, exclude_from_weight_decay, constraints): grouping, state round trips,
semantics, configs and errors. Keras's own numbers: tests/test_keras_train_parity.py;
PyTorch's: test_vs_torch.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers
from deepgrad.optimizers.updates_layerwise import newton_schulz
from deepgrad.tensor import Variable

SHAPES = [(4, 3), (3,), (2, 2, 2), (1,)]

FACTORIES = {
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0),
    "adamax": lambda: optimizers.Adamax(learning_rate=0.05, clipvalue=0.7),
    "ftrl": lambda: optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01,
                                    l2_shrinkage_regularization_strength=0.02),
    "lion": lambda: optimizers.Lion(learning_rate=0.01, weight_decay=0.1),
    "lamb": lambda: optimizers.Lamb(learning_rate=0.05, weight_decay=0.01),
    "muon": lambda: optimizers.Muon(learning_rate=0.02),
    "schedule-free": lambda: optimizers.ScheduleFreeAdamW(learning_rate=0.05,
                                                          use_ema=True),
    "adafactor": lambda: optimizers.Adafactor(learning_rate=0.05, gradient_accumulation_steps=2),
    "adam-ema": lambda: optimizers.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.8,
                                        ema_overwrite_frequency=3),
    "sgd-accumulate": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9,
                                             gradient_accumulation_steps=3),
    "nadam-accumulate-ema-scale": lambda: optimizers.Nadam(
        learning_rate=0.01, gradient_accumulation_steps=2, use_ema=True, loss_scale_factor=4.0),
    "lion-loss-scale": lambda: optimizers.LossScaleOptimizer(optimizers.Lion(0.01)),
}
ELEMENTWISE = ["schedule-free", "adadelta", "adamax", "ftrl", "lion", "adam-ema", "sgd-accumulate",
               "nadam-accumulate-ema-scale", "lion-loss-scale"]


def make_variables(seed=0):
    rng = np.random.default_rng(seed)
    return [Variable(rng.standard_normal(s).astype(np.float32), name=f"w{i}")
            for i, s in enumerate(SHAPES)]


def make_grads(step):
    rng = np.random.default_rng(100 + step)
    return [rng.uniform(-2, 2, s).astype(np.float32) for s in SHAPES]


def values(variables):
    return [v.numpy() for v in variables]


def assert_same(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_rules_do_not_depend_on_the_grouping(name):
    """Flat buckets, the per-variable path (another order) and one optimizer per variable
    give the same bits: the rules, the average and the accumulation are elementwise."""
    flat_vars, each_vars, single_vars = make_variables(), make_variables(), make_variables()
    flat, each = FACTORIES[name](), FACTORIES[name]()
    singles = [FACTORIES[name]() for _ in SHAPES]
    for step in range(7):
        grads = make_grads(step)
        flat.apply(grads, flat_vars)
        each.apply(grads[::-1], each_vars[::-1])
        for opt, grad, var in zip(singles, grads, single_vars, strict=True):
            opt.apply([grad], [var])
    assert_same(values(flat_vars), values(each_vars))
    assert_same(values(flat_vars), values(single_vars))


@pytest.mark.parametrize("name", list(FACTORIES))
def test_state_round_trip_continues_bit_identically(name):
    """Stop after 4 calls (mid-accumulation for the accumulating ones), move the state into
    a fresh optimizer through JSON-free arrays, continue 4 more: the same bits."""
    reference, restored = make_variables(), make_variables()
    first = FACTORIES[name]()
    for step in range(4):
        first.apply(make_grads(step), reference)
    for a, b in zip(restored, reference, strict=True):
        a.assign(b.numpy())
    second = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(first))))
    second.build(restored)
    second.set_state({k: v.copy() for k, v in first.get_state().items()})
    assert second.iterations == first.iterations
    for step in range(4, 8):
        first.apply(make_grads(step), reference)
        second.apply(make_grads(step), restored)
    assert_same(values(reference), values(restored))
    for key, value in first.get_state().items():
        np.testing.assert_array_equal(second.get_state()[key], value, err_msg=key)


def test_state_names_the_average_and_the_accumulator():
    opt = optimizers.SGD(momentum=0.5, use_ema=True, gradient_accumulation_steps=2)
    opt.build([Variable(np.zeros(2, np.float32))])
    assert sorted(opt.get_state()) == ["average/0", "gradient_accumulator/0", "iterations",
                                       "learning_rate", "momentum/0"]


@pytest.mark.parametrize("wrap", [False, True])
def test_model_save_and_load_resumes_ema_and_accumulation(tmp_path, wrap):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(48, 5)).astype(np.float32), rng.normal(size=(48, 1)).astype(
        np.float32)

    def build():
        dg.utils.set_random_seed(3)
        model = dg.Sequential([dg.Input((5,)), dg.layers.Dense(4, activation="tanh"),
                               dg.layers.Dense(1)])
        optimizer = optimizers.Adamax(0.01, use_ema=True, ema_momentum=0.9,
                                      gradient_accumulation_steps=4)
        if wrap:
            optimizer = optimizers.LossScaleOptimizer(optimizer)
        model.compile(optimizer=optimizer, loss="mse")
        return model

    model = build()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)  # 3 calls: mid-way
    model.save(tmp_path / "m.deepgrad")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    loaded = dg.models.load_model(tmp_path / "m.deepgrad")
    inner = getattr(loaded.optimizer, "inner_optimizer", loaded.optimizer)
    assert inner.gradient_accumulation_steps == 4 and inner.use_ema
    loaded.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    assert_same(model.get_weights(), loaded.get_weights())


# -- semantics --------------------------------------------------------------------------

def test_gradient_accumulation_is_the_update_of_the_mean_gradient():
    accumulated, direct = make_variables(), make_variables()
    acc = optimizers.Adam(learning_rate=0.1, gradient_accumulation_steps=3)
    plain = optimizers.Adam(learning_rate=0.1)
    for update in range(2):
        micro = [make_grads(3 * update + k) for k in range(3)]
        for k, grads in enumerate(micro):
            before = values(accumulated)
            acc.apply(grads, accumulated)
            if k < 2:  # nothing moves until the third call
                assert_same(before, values(accumulated))
        mean = [((a + b) + c) / np.float32(3) for a, b, c in zip(*micro, strict=True)]
        plain.apply(mean, direct)
        assert acc.iterations == plain.iterations == update + 1
    assert_same(values(accumulated), values(direct))


def test_ema_first_call_copies_then_averages_and_finalize_copies_it_in():
    w = Variable(np.array([0.0], np.float32))
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.apply([np.array([-2.0], np.float32)], [w])  # w = 2, average = 2
    opt.apply([np.array([-2.0], np.float32)], [w])  # w = 4, average = 0.5*2 + 0.5*4
    assert float(opt.get_state()["average/0"][0]) == 3.0 and float(w.numpy()[0]) == 4.0
    opt.swap_ema_weights()
    assert float(w.numpy()[0]) == 3.0 and float(opt.get_state()["average/0"][0]) == 4.0
    opt.swap_ema_weights()
    opt.finalize_variable_values([w])
    assert float(w.numpy()[0]) == 3.0


def test_ema_overwrite_frequency_copies_the_average_every_n_updates():
    w = Variable(np.array([0.0], np.float32))
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5,
                         ema_overwrite_frequency=2)
    opt.apply([np.array([-2.0], np.float32)], [w])
    assert float(w.numpy()[0]) == 2.0
    opt.apply([np.array([-2.0], np.float32)], [w])  # the second update: w = average = 3
    assert float(w.numpy()[0]) == 3.0


def test_swap_needs_use_ema():
    with pytest.raises(ValueError, match="use_ema=False"):
        optimizers.Adam().swap_ema_weights()


def test_loss_scale_factor_divides_the_gradients():
    scaled, plain = make_variables(), make_variables()
    opt_scaled = optimizers.SGD(learning_rate=0.1, loss_scale_factor=4.0)
    opt_plain = optimizers.SGD(learning_rate=0.1)
    grads = make_grads(0)
    opt_scaled.apply([g * np.float32(4) for g in grads], scaled)
    opt_plain.apply(grads, plain)
    assert_same(values(scaled), values(plain))
    assert opt_scaled.scale_loss(2.5) == 10.0


def test_exclude_from_weight_decay_by_variable_and_by_name():
    kernel, bias = Variable(np.ones(2, np.float32), name="kernel"), Variable(
        np.ones(2, np.float32), name="bias")
    other = Variable(np.ones(2, np.float32), name="gamma")
    opt = optimizers.Adam(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bia"])
    zero = np.zeros(2, np.float32)
    opt.apply([zero, zero, zero], [kernel, bias, other])
    np.testing.assert_allclose(kernel.numpy(), 0.95)
    assert_same([bias.numpy(), other.numpy()], [np.ones(2, np.float32)] * 2)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_constraints_apply_after_each_step():
    w = Variable(np.array([[3.0], [4.0]], np.float32))
    w.constraint = dg.constraints.MaxNorm(1.0)
    optimizers.SGD(learning_rate=0.0).apply([np.zeros((2, 1), np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [[0.6], [0.8]], rtol=1e-6)


def test_lamb_trust_ratio_is_per_variable():
    """Two variables in one optimizer move as they would alone (their own norms)."""
    together, alone = make_variables(), make_variables()
    opt = optimizers.Lamb(learning_rate=0.1)
    singles = [optimizers.Lamb(learning_rate=0.1) for _ in SHAPES]
    for step in range(3):
        grads = make_grads(step)
        opt.apply(grads, together)
        for single, grad, var in zip(singles, grads, alone, strict=True):
            single.apply([grad], [var])
    assert_same(values(together), values(alone))


def test_schedule_free_adamw_is_the_papers_algorithm():
    """Defazio et al. (2024) with the average x kept explicitly (deepgrad recovers it from
    y and the old z, as Keras does): float64, several steps, warmup and decay."""
    rng = np.random.default_rng(4)
    start = rng.normal(size=(3, 2))
    w = Variable(start.copy())
    opt = optimizers.ScheduleFreeAdamW(learning_rate=0.1, warmup_steps=2, weight_decay=0.05)
    y, z, x, v = start.copy(), start.copy(), start.copy(), np.zeros_like(start)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, 7):
        g = rng.normal(size=start.shape)
        opt.apply([g], [w])
        lr = 0.1 * min(t / 2, 1.0)
        y = y - y * 0.05 * 0.1  # Keras's decoupled weight decay, on y, with the base lr
        x = (y - (1 - b1) * z) / b1
        v = b2 * v + (1 - b2) * g * g
        z = z - lr * g / (np.sqrt(v / (1 - b2**t)) + eps)
        x = (1 - 1 / t) * x + z / t
        y = (1 - b1) * z + b1 * x
        np.testing.assert_allclose(w.numpy(), y, rtol=1e-12, atol=1e-14)


def test_newton_schulz_keeps_the_singular_vectors():
    rng = np.random.default_rng(1)
    for shape in [(6, 4), (4, 6), (5, 5)]:
        g = rng.normal(size=shape)
        u, s, vt = np.linalg.svd(g, full_matrices=False)
        out = newton_schulz(g, 5)
        core = u.T @ out @ vt.T  # diagonal if the singular vectors are kept
        assert np.allclose(core, np.diag(np.diag(core)), atol=1e-10)
        assert np.all((np.diag(core) > 0.5) & (np.diag(core) < 1.3))


def test_muon_routes_variables_as_keras_does():
    opt = optimizers.Muon(exclude_layers=["head"])
    kernel = Variable(np.zeros((3, 2), np.float32))
    kernel.path = "dense/kernel"
    head = Variable(np.zeros((3, 2), np.float32))
    head.path = "head/kernel"
    embedding = Variable(np.zeros((5, 2), np.float32))
    embedding.path = "token_embedding/embeddings"
    assert not opt._uses_adam(kernel)
    assert opt._uses_adam(head) and opt._uses_adam(embedding)
    assert opt._uses_adam(Variable(np.zeros(3, np.float32)))


def test_loss_scale_optimizer_passes_everything_through():
    inner = optimizers.Adam(0.01)
    opt = optimizers.LossScaleOptimizer(inner)
    w = make_variables()
    opt.apply(make_grads(0), w)
    assert inner.iterations == opt.iterations == 1 and opt.built
    opt.learning_rate = 0.5
    assert inner.learning_rate == 0.5
    config = optimizers.serialize(opt)
    assert config["config"]["inner_optimizer"]["class_name"] == "Adam"
    again = optimizers.deserialize(json.loads(json.dumps(config)))
    assert type(again.inner_optimizer) is optimizers.Adam and again.initial_scale == 2.0**15


# -- configs, names, errors -----------------------------------------------------------

@pytest.mark.parametrize("name", list(FACTORIES))
def test_config_round_trip(name):
    opt = FACTORIES[name]()
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert type(again) is type(opt) and again.get_config() == opt.get_config()


@pytest.mark.parametrize("name, cls", [
    ("adadelta", optimizers.Adadelta), ("Adamax", optimizers.Adamax), ("ftrl", optimizers.Ftrl),
    ("lion", optimizers.Lion), ("lamb", optimizers.Lamb), ("muon", optimizers.Muon),
    ("adafactor", optimizers.Adafactor)])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


@pytest.mark.parametrize("make, match", [
    (lambda: optimizers.SGD(gradient_accumulation_steps=1),
     "`gradient_accumulation_steps` must be an int >= 2"),
    (lambda: optimizers.SGD(use_ema=True, ema_momentum=1.5), "`ema_momentum` must be in"),
    (lambda: optimizers.SGD(ema_overwrite_frequency=0), "`ema_overwrite_frequency` must be"),
    (lambda: optimizers.SGD(loss_scale_factor=0.0), "`loss_scale_factor` must be in"),
    (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0),
     "`l1_regularization_strength` must be in"),
    (lambda: optimizers.Ftrl(initial_accumulator_value=-0.1),
     "`initial_accumulator_value` must be in"),
    (lambda: optimizers.Lion(beta_1=1.5), "`beta_1` must be in \\(0, 1\\]"),
    (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False),
     "no longer supports `dynamic=False`"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_loss_scale_optimizer_needs_an_optimizer():
    with pytest.raises(TypeError, match="`inner_optimizer` must be an Optimizer"):
        optimizers.LossScaleOptimizer("adam")


# -- MultiOptimizer ----------------------------------------------------------------------

def _named(values, names):
    out = []
    for value, name in zip(values, names, strict=True):
        variable = Variable(value.copy())
        variable.path = name
        out.append(variable)
    return out


def test_multi_optimizer_equals_its_optimizers_run_apart():
    start = make_variables()
    names = ["dense/kernel", "dense/bias", "conv/kernel", "head/bias"]
    together = _named([v.numpy() for v in start], names)
    apart = _named([v.numpy() for v in start], names)
    multi = optimizers.MultiOptimizer(optimizers.OptimizerMap(
        optimizers.SGD(0.1, momentum=0.9), {".*/bias": optimizers.Adam(0.05)}))
    sgd, adam = optimizers.SGD(0.1, momentum=0.9), optimizers.Adam(0.05)
    for step in range(4):
        grads = make_grads(step)
        multi.apply(grads, together)
        sgd.apply([grads[0], grads[2]], [apart[0], apart[2]])
        adam.apply([grads[1], grads[3]], [apart[1], apart[3]])
    assert_same(values(together), values(apart))
    assert multi.iterations == 4 and len(multi.optimizers) == 2


def test_multi_optimizer_saves_and_resumes_in_a_model(tmp_path):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 4)).astype(np.float32), rng.normal(size=(32, 1)).astype(
        np.float32)

    def build():
        dg.utils.set_random_seed(5)
        model = dg.Sequential([dg.Input((4,)), dg.layers.Dense(3, name="body"),
                               dg.layers.Dense(1, name="head")])
        model.compile(optimizers.MultiOptimizer(optimizers.OptimizerMap(
            optimizers.Adam(0.01, use_ema=True), {"head/.*": optimizers.Lion(0.001)})), "mse")
        return model

    model = build()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / "multi.deepgrad")
    loaded = dg.models.load_model(tmp_path / "multi.deepgrad")
    assert [type(o).__name__ for o in loaded.optimizer.optimizers] == ["Lion", "Adam"]
    for m in (model, loaded):
        m.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert_same(model.get_weights(), loaded.get_weights())


def test_multi_optimizer_refuses_what_keras_refuses():
    multi = optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD()))
    with pytest.raises(AttributeError, match="Learning rate cannot be accessed"):
        multi.learning_rate  # noqa: B018
    with pytest.raises(ValueError, match="cannot be a LossScaleOptimizer"):
        optimizers.OptimizerMap(optimizers.SGD(), {"x": optimizers.LossScaleOptimizer(
            optimizers.SGD())})
    with pytest.raises(ValueError, match="several optimizers are assigned"):
        optimizers.OptimizerMap(optimizers.SGD(), {"a.*": optimizers.Adam(),
                                                   ".*b": optimizers.Lion()})["ab"]
    with pytest.raises(TypeError, match="cannot be saved"):
        optimizers.MultiOptimizer(lambda v: optimizers.SGD()).get_config()
    built = optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD()))
    built.build(make_variables())
    with pytest.raises(ValueError, match="unknown variable"):
        built.apply([np.zeros(3, np.float32)], [Variable(np.zeros(3, np.float32))])


# -- in fit ---------------------------------------------------------------------------------

def _fit_data():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-1.0], [2.0]], np.float32))


def _fitted(optimizer, epochs=2):
    dg.utils.set_random_seed(9)
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(4, activation="tanh"),
                           dg.layers.Dense(1)])
    model.compile(optimizer, "mse")
    history = model.fit(*_fit_data(), batch_size=8, epochs=epochs, verbose=0, shuffle=False)
    return model, history


def test_fit_ends_with_the_moving_average_in_the_weights():
    model, _ = _fitted(optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9))
    averages = {id(v): a for v, a in model.optimizer._averages()}
    for variable in model.trainable_weights:
        np.testing.assert_array_equal(variable.numpy(), averages[id(variable)])
    plain, _ = _fitted(optimizers.Adam(0.01))
    assert not np.array_equal(model.get_weights()[0], plain.get_weights()[0])


def test_fit_scales_the_loss_and_unscales_the_gradients():
    """A power-of-two scale is exact both ways: the same weights and the same logged loss."""
    scaled, scaled_history = _fitted(optimizers.SGD(0.05, loss_scale_factor=8.0))
    plain, plain_history = _fitted(optimizers.SGD(0.05))
    assert_same(scaled.get_weights(), plain.get_weights())
    assert scaled_history.history["loss"] == plain_history.history["loss"]
