"""The Optimizer classes: flat storage, None gradients, clipping, state, config, errors."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers
from deepgrad.optimizers import schedules
from deepgrad.tensor import Tensor, Variable

SHAPES = [(4, 3), (3,), (2, 2, 2), (1,)]

FACTORIES = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd-nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adam-amsgrad-clipnorm": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True,
                                                     clipnorm=1.0),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.01, global_clipnorm=2.0),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1, clipvalue=0.5),
    "adam-schedule": lambda: optimizers.Adam(
        learning_rate=schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)
    ),
}


def make_variables(dtype=np.float32, seed=0) -> list[Variable]:
    rng = np.random.default_rng(seed)
    return [Variable(rng.standard_normal(s).astype(dtype)) for s in SHAPES]


def make_grads(step: int, dtype=np.float32) -> list[np.ndarray]:
    rng = np.random.default_rng(100 + step)
    return [rng.uniform(-2, 2, s).astype(dtype) for s in SHAPES]


def values(variables) -> list[np.ndarray]:
    return [v.numpy().copy() for v in variables]


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


# -- the flat buffer ---------------------------------------------------------------------
@pytest.mark.parametrize("name", FACTORIES)
def test_flat_path_equals_per_variable_path(name):
    """One call on the flat buffer == the same rule per variable (a view each) == one
    optimizer per variable: elementwise arithmetic does not depend on the grouping."""
    flat_vars, each_vars = make_variables(), make_variables()
    single_vars = make_variables()
    flat_opt, each_opt = FACTORIES[name](), FACTORIES[name]()
    single_opts = [FACTORIES[name]() for _ in SHAPES]
    for step in range(4):
        grads = make_grads(step)
        flat_opt.apply(grads, flat_vars)
        # Reversed order is not the built order, so the per-variable path runs.
        each_opt.apply(grads[::-1], each_vars[::-1])
        for opt, grad, var in zip(single_opts, grads, single_vars):
            opt.apply([grad], [var])
    if name == "nadam":
        # Its global norm is one dot product on the flat path and a sum of per-variable
        # ones on the other: equal up to float32 rounding. It spans all variables, so
        # one optimizer per variable would clip differently.
        for a, b in zip(values(flat_vars), values(each_vars), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        return
    assert_same(values(flat_vars), values(each_vars))
    assert_same(values(flat_vars), values(single_vars))


def test_variables_keep_their_own_arrays():
    """The optimizer owns its slots, not the model's storage: each variable keeps its
    array, updated in place; a copy from ``numpy()`` does not change with training."""
    variables = make_variables()
    arrays = [v.data for v in variables]
    copies = [v.numpy() for v in variables]
    opt = optimizers.Adam()
    opt.build(variables)
    opt.apply(make_grads(0), variables)
    state = [opt._storage.groups[0].grad, opt._storage.groups[0].params,
             *opt._storage.groups[0].slots.values()]
    for v, array, copy in zip(variables, arrays, copies, strict=True):
        assert v.data is array
        assert not any(np.shares_memory(array, buffer) for buffer in state)
        assert not np.array_equal(array, copy)  # updated in place; the copy kept its values


@pytest.mark.parametrize("limit,bucket", [(0, 1 << 40), (5, 1 << 40), (1 << 40, 1 << 40),
                                          (1 << 40, 10), (9, 4)])
def test_packed_and_in_place_variables_update_alike(monkeypatch, limit, bucket):
    """Packing small variables into scratch arrays (tinygrad), in one bucket or several,
    updating large ones in place (PyTorch), or a mixture: the same values bit for bit,
    as one optimizer per variable gives."""
    from deepgrad.optimizers import flat

    monkeypatch.setattr(flat, "PACK_LIMIT", limit)
    monkeypatch.setattr(flat, "BUCKET", bucket)
    variables, singles = make_variables(), make_variables()
    opt = optimizers.Adam(learning_rate=0.01, weight_decay=0.1)
    single_opts = [optimizers.Adam(learning_rate=0.01, weight_decay=0.1) for _ in SHAPES]
    for step in range(3):
        opt.apply(make_grads(step), variables)
        for one, grad, var in zip(single_opts, make_grads(step), singles, strict=True):
            one.apply([grad], [var])
    (group,) = opt._storage.groups
    expected_packed = sum(int(np.prod(s)) for s in SHAPES if np.prod(s) < limit)
    assert group.packed == expected_packed
    assert_same(values(variables), values(singles))


def test_two_optimizers_can_train_the_same_variables():
    shared, reference = make_variables(), make_variables()
    first, second = optimizers.SGD(0.1, momentum=0.9), optimizers.Adam(0.01)
    ref_first, ref_second = optimizers.SGD(0.1, momentum=0.9), optimizers.Adam(0.01)
    for step in range(3):
        first.apply(make_grads(step), shared)
        second.apply(make_grads(step + 10), shared)
        ref_first.apply(make_grads(step), reference)
        ref_second.apply(make_grads(step + 10), reference)
    assert_same(values(shared), values(reference))


def test_values_are_kept_when_building():
    variables = make_variables()
    before = values(variables)
    optimizers.SGD().build(variables)
    assert_same(values(variables), before)


def test_float32_stays_float32():
    variables = make_variables(np.float32)
    opt = optimizers.Nadam()
    opt.apply(make_grads(0, np.float64), variables)  # float64 grads are cast, as Keras does
    assert all(v.dtype == np.float32 for v in variables)
    assert all(a.dtype == np.float32 for k, a in opt.get_state().items() if "/" in k)
    assert opt.get_state()["u_product"].dtype == np.float32


def test_mixed_dtypes_are_grouped_and_match_separate_optimizers():
    v32, v64 = make_variables(np.float32), make_variables(np.float64, seed=1)
    mixed = [v32[0], v64[0], v32[1], v64[1]]
    ref32, ref64 = make_variables(np.float32), make_variables(np.float64, seed=1)
    opt, opt32, opt64 = optimizers.Adam(), optimizers.Adam(), optimizers.Adam()
    for step in range(3):
        g32, g64 = make_grads(step, np.float32), make_grads(step, np.float64)
        opt.apply([g32[0], g64[0], g32[1], g64[1]], mixed)
        opt32.apply(g32[:2], ref32[:2])
        opt64.apply(g64[:2], ref64[:2])
    assert len(opt._storage.groups) == 2
    assert_same(values(mixed), values([ref32[0], ref64[0], ref32[1], ref64[1]]))
    assert [v.dtype for v in mixed] == [np.float32, np.float64] * 2


@pytest.mark.parametrize("limit", [0, 1 << 40])  # in place, packed
def test_replaced_array_is_used_from_the_next_step(monkeypatch, limit):
    from deepgrad.optimizers import flat

    monkeypatch.setattr(flat, "PACK_LIMIT", limit)
    replaced, assigned = make_variables(), make_variables()
    opt_a, opt_b = optimizers.Adam(), optimizers.Adam()
    opt_a.apply(make_grads(0), replaced)
    opt_b.apply(make_grads(0), assigned)
    new = np.full(SHAPES[1], 5.0, dtype=np.float32)
    replaced[1].data = new  # not the public way, but same shape and dtype: accepted
    assigned[1].assign(np.full(SHAPES[1], 5.0, dtype=np.float32))
    opt_a.apply(make_grads(1), replaced)
    opt_b.apply(make_grads(1), assigned)
    assert_same(values(replaced), values(assigned))
    assert replaced[1].data is new


@pytest.mark.parametrize("replacement,message", [
    (np.zeros(7, np.float32), r"changed from shape \(3,\) and dtype float32 to shape \(7,\)"),
    (np.zeros(3, np.float64), r"to shape \(3,\) and dtype float64"),
    (np.zeros(6, np.float32)[::2], "must be one C-contiguous array"),
])
def test_changed_shape_dtype_or_layout_is_an_error(replacement, message):
    variables = make_variables()
    opt = optimizers.SGD()
    opt.apply(make_grads(0), variables)
    variables[1].data = replacement
    with pytest.raises(ValueError, match=message):
        opt.apply(make_grads(1), variables)


def test_fortran_ordered_values_become_one_c_contiguous_array():
    v = Variable(np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    assert v.data.flags.c_contiguous
    optimizers.SGD(1.0).apply([np.ones((2, 3))], [v])
    np.testing.assert_array_equal(v.numpy(), np.arange(6.0).reshape(2, 3) - 1)


def test_zero_size_variable_is_accepted():
    variables = [Variable(np.zeros((0, 3), np.float32)), Variable(np.ones(2, np.float32))]
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply([np.zeros((0, 3), np.float32), np.ones(2, np.float32)], variables)
    np.testing.assert_allclose(variables[1].numpy(), 0.9, rtol=1e-6)
    assert opt.get_state()["momentum/0"].shape == (0, 3)


# -- gradients: None, Tensors, shapes ----------------------------------------------------
@pytest.mark.parametrize("name", ["sgd-nesterov", "adam", "nadam", "rmsprop", "adagrad"])
def test_none_gradient_leaves_variable_and_slots_untouched(name):
    variables = make_variables()
    opt = FACTORIES[name]()
    opt.apply(make_grads(0), variables)
    before_values, before_state = values(variables), opt.get_state()
    grads = make_grads(1)
    grads[2] = None
    opt.apply(grads, variables)
    after = opt.get_state()
    np.testing.assert_array_equal(variables[2].numpy(), before_values[2])
    for key in before_state:
        if key.endswith("/2"):
            np.testing.assert_array_equal(after[key], before_state[key])
    for i in (0, 1, 3):
        assert not np.array_equal(variables[i].numpy(), before_values[i])
    assert opt.iterations == 2


def test_none_gradient_step_equals_step_on_the_others():
    with_none, without = make_variables(), make_variables()
    opt_a, opt_b = optimizers.Adam(), optimizers.Adam()
    opt_a.build(with_none)
    opt_b.build(without)
    grads = make_grads(0)
    opt_a.apply_gradients(zip([grads[0], None, grads[2], None], with_none))
    opt_b.apply_gradients([(grads[0], without[0]), (grads[2], without[2])])
    assert_same(values(with_none), values(without))


def test_all_none_is_an_error():
    variables = make_variables()
    with pytest.raises(ValueError, match="no gradients provided"):
        optimizers.SGD().apply([None] * len(variables), variables)


def test_tensor_and_list_gradients_are_accepted():
    a, b = make_variables(), make_variables()
    grads = make_grads(0)
    optimizers.SGD(0.1).apply([Tensor(g) for g in grads], a)
    optimizers.SGD(0.1).apply([g.tolist() for g in grads], b)
    assert_same(values(a), values(b))


def test_gradient_shape_mismatch_is_an_error():
    variables = make_variables()
    grads = make_grads(0)
    grads[0] = grads[0].T.copy()  # same size, wrong shape: must not pass silently
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(3, 4\)"):
        optimizers.SGD().apply(grads, variables)


def test_count_mismatch_and_unknown_variable_are_errors():
    variables = make_variables()
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="one gradient per variable"):
        opt.apply(make_grads(0)[:2], variables)
    opt.apply(make_grads(0), variables)
    stranger = Variable(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.zeros(3, np.float32)], [stranger])


def test_apply_without_variables_needs_a_built_optimizer():
    with pytest.raises(ValueError, match="must already be built"):
        optimizers.SGD().apply(make_grads(0))
    variables = make_variables()
    a, b = optimizers.SGD(), optimizers.SGD()
    a.build(variables)
    ref = make_variables()
    a.apply(make_grads(0))
    b.apply(make_grads(0), ref)
    assert_same(values(variables), values(ref))


def test_build_rejects_bad_variables():
    with pytest.raises(TypeError, match="floating-point"):
        optimizers.SGD().build([Variable(np.arange(3))])
    with pytest.raises(TypeError, match="expected Variables"):
        optimizers.SGD().build([np.zeros(3)])
    v = Variable(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="appears twice"):
        optimizers.SGD().build([v, v])


def test_empty_gradients_are_a_no_op():
    opt = optimizers.SGD()
    opt.apply([], [])
    assert opt.iterations == 0


def test_constraint_is_applied_after_the_update():
    v = Variable(np.array([0.5, -0.5], np.float32))
    v.constraint = lambda variable: np.clip(np.asarray(variable), 0.0, None)
    optimizers.SGD(learning_rate=1.0).apply([np.array([1.0, -1.0], np.float32)], [v])
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.5])


# -- clipping ------------------------------------------------------------------------------
def _sgd_delta(grads, **clip):
    variables = [Variable(np.zeros(np.shape(g), np.float64)) for g in grads]
    optimizers.SGD(learning_rate=1.0, **clip).apply(
        [None if g is None else np.array(g, np.float64) for g in grads], variables
    )
    return [-v.numpy() for v in variables]


@pytest.mark.parametrize("with_none", [False, True])
def test_clipnorm_clips_each_gradient_by_its_own_norm(with_none):
    grads = [[3.0, 4.0], [0.3, 0.4], [[6.0, 8.0]]] + ([None] if with_none else [])
    clipped = _sgd_delta(grads, clipnorm=1.0)
    np.testing.assert_allclose(clipped[0], [0.6, 0.8])
    np.testing.assert_allclose(clipped[1], [0.3, 0.4])  # norm 0.5 < 1: unchanged
    np.testing.assert_allclose(clipped[2], [[0.6, 0.8]])


@pytest.mark.parametrize("with_none", [False, True])
def test_global_clipnorm_scales_all_gradients_together(with_none):
    grads = [[3.0], [4.0]] + ([None] if with_none else [])
    clipped = _sgd_delta(grads, global_clipnorm=1.0)
    np.testing.assert_allclose(np.concatenate(clipped[:2]), [0.6, 0.8])
    small = _sgd_delta([[0.3], [0.4]], global_clipnorm=1.0)
    np.testing.assert_allclose(np.concatenate(small), [0.3, 0.4])


def test_clipvalue_clips_elementwise():
    clipped = _sgd_delta([[-2.0, 0.1, 3.0]], clipvalue=0.5)
    np.testing.assert_allclose(clipped[0], [-0.5, 0.1, 0.5])


def test_clipping_leaves_the_callers_gradients_alone():
    grads = make_grads(0)
    copies = [g.copy() for g in grads]
    optimizers.Adam(clipnorm=0.1).apply(grads, make_variables())
    assert_same(grads, copies)


def test_global_clipnorm_with_nonfinite_norm_gives_nan_like_keras():
    (delta,) = _sgd_delta([[np.inf, 1.0]], global_clipnorm=1.0)
    assert np.isnan(delta).all()


# -- weight decay, learning rate, iterations ------------------------------------------------
def test_weight_decay_is_decoupled_and_applied_before_the_update():
    v = Variable(np.array([2.0], np.float64))
    optimizers.SGD(learning_rate=0.1, weight_decay=0.5).apply([np.array([1.0])], [v])
    np.testing.assert_allclose(v.numpy(), [2.0 - 2.0 * 0.5 * 0.1 - 0.1 * 1.0])


def test_schedule_is_evaluated_at_iterations():
    schedule = schedules.PiecewiseConstantDecay([1], [1.0, 0.1])
    opt = optimizers.SGD(learning_rate=schedule)
    v = Variable(np.zeros(1, np.float64))
    deltas = []
    for _ in range(3):
        assert opt.learning_rate == schedule(opt.iterations)
        before = v.numpy().copy()
        opt.apply([np.ones(1)], [v])
        deltas.append(float(before[0] - v.numpy()[0]))
    np.testing.assert_allclose(deltas, [1.0, 1.0, 0.1])  # steps 0, 1 <= boundary 1, then 2


def test_learning_rate_can_be_set_and_read():
    opt = optimizers.Adam()
    assert opt.learning_rate == 0.001
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.get_config()["learning_rate"] == 0.5
    with pytest.raises(ValueError, match="`learning_rate` must be in"):
        opt.learning_rate = -1.0
    scheduled = optimizers.Adam(learning_rate=schedules.InverseTimeDecay(0.1, 1, 1.0))
    with pytest.raises(TypeError, match="not settable"):
        scheduled.learning_rate = 0.01
    called = optimizers.SGD(learning_rate=lambda: 0.25)
    assert called.learning_rate == 0.25


def test_iterations_counts_steps():
    opt = optimizers.SGD()
    variables = make_variables()
    for step in range(3):
        opt.apply_gradients(zip(make_grads(step), variables))
    assert opt.iterations == 3 and isinstance(opt.iterations, int)


# -- state -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FACTORIES)
def test_state_round_trip_continues_bit_identically(name):
    variables = make_variables()
    opt = FACTORIES[name]()
    for step in range(3):
        opt.apply(make_grads(step), variables)
    saved_values, saved_state = values(variables), opt.get_state()
    for step in range(3, 6):
        opt.apply(make_grads(step), variables)

    restored_vars = [Variable(w) for w in saved_values]
    restored = optimizers.deserialize(optimizers.serialize(opt))
    restored.build(restored_vars)
    restored.set_state(saved_state)
    for step in range(3, 6):
        restored.apply(make_grads(step), restored_vars)
    assert_same(values(restored_vars), values(variables))
    assert restored.iterations == opt.iterations


def test_state_holds_slots_iterations_and_learning_rate():
    variables = make_variables()
    opt = optimizers.RMSprop(momentum=0.5, centered=True)
    opt.apply(make_grads(0), variables)
    state = opt.get_state()
    expected = {"iterations", "learning_rate"} | {
        f"{slot}/{i}" for slot in ("velocity", "momentum", "average_gradient")
        for i in range(len(SHAPES))
    }
    assert set(state) == expected
    assert state["velocity/0"].shape == SHAPES[0]
    state["velocity/0"][...] = 123.0  # a copy: the optimizer is unaffected
    assert not (opt.get_state()["velocity/0"] == 123.0).any()


def test_learning_rate_in_state_is_restored():
    opt = optimizers.SGD(learning_rate=0.1)
    opt.learning_rate = 0.02  # e.g. ReduceLROnPlateau
    other = optimizers.SGD(learning_rate=0.1)
    other.set_state(opt.get_state())
    assert other.learning_rate == 0.02


def test_set_state_rejects_mismatches_without_changing_anything():
    variables = make_variables()
    opt = optimizers.Adam()
    opt.apply(make_grads(0), variables)
    good = opt.get_state()
    missing = {k: v for k, v in good.items() if k != "velocity/1"}
    with pytest.raises(ValueError, match=r"Missing: \['velocity/1'\]"):
        opt.set_state(missing)
    bad_shape = {**good, "momentum/0": np.zeros((2, 2), np.float32), "iterations": 99}
    with pytest.raises(ValueError, match="'momentum/0' has shape"):
        opt.set_state(bad_shape)
    assert opt.iterations == 1  # nothing half-loaded
    bad_dtype = {**good, "momentum/0": good["momentum/0"].astype(np.float64)}
    with pytest.raises(ValueError, match="dtype float64"):
        opt.set_state(bad_dtype)
    with pytest.raises(ValueError, match="not built"):
        optimizers.Adam().set_state(good)


# -- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", FACTORIES)
def test_config_round_trip(name):
    opt = FACTORIES[name]()
    clone = type(opt).from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()


def test_keras_config_loads_with_its_extras():
    config = {
        "name": "adam", "learning_rate": 0.002, "weight_decay": None, "clipnorm": None,
        "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
        "ema_overwrite_frequency": None, "loss_scale_factor": None,
        "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False,
    }
    opt = optimizers.deserialize({"class_name": "Adam", "config": config})
    assert opt.learning_rate == 0.002
    assert opt.get_config() == config
    extras = {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 3,
              "loss_scale_factor": 4.0, "gradient_accumulation_steps": 2}
    again = optimizers.Adam.from_config({**config, **extras})
    assert {k: getattr(again, k) for k in extras} == extras


def test_defaults_are_keras3():
    assert optimizers.SGD().get_config()["learning_rate"] == 0.01
    adam = optimizers.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (
        0.001, 0.9, 0.999, 1e-7)
    assert optimizers.Nadam().learning_rate == 0.001
    rms = optimizers.RMSprop()
    assert (rms.learning_rate, rms.rho, rms.epsilon, rms.momentum) == (0.001, 0.9, 1e-7, 0.0)
    ada = optimizers.Adagrad()
    assert (ada.learning_rate, ada.initial_accumulator_value, ada.epsilon) == (0.001, 0.1, 1e-7)
    assert optimizers.AdamW().weight_decay == 0.004
    assert [o().name for o in (optimizers.SGD, optimizers.Adam, optimizers.RMSprop)] == [
        "SGD", "adam", "rmsprop"]


# -- get / serialize -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "identifier, cls",
    [("sgd", optimizers.SGD), ("ADAM", optimizers.Adam), ("Nadam", optimizers.Nadam),
     ("RMSprop", optimizers.RMSprop), ("adagrad", optimizers.Adagrad),
     ("AdamW", optimizers.AdamW), (optimizers.Adam, optimizers.Adam),
     ({"class_name": "sgd", "config": {"momentum": 0.9}}, optimizers.SGD)],
)
def test_get_resolves(identifier, cls):
    assert type(optimizers.get(identifier)) is cls


def test_get_returns_instances_and_none_unchanged():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamix'\. Valid names.*: adadelta,"):
        optimizers.get("adamix")
    with pytest.raises(TypeError, match="Could not interpret"):
        optimizers.get(3)


def test_serialize_carries_schedules():
    opt = optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 100, alpha=0.1))
    config = optimizers.serialize(opt)
    assert config["config"]["learning_rate"]["class_name"] == "CosineDecay"
    clone = optimizers.deserialize(config)
    assert isinstance(clone._learning_rate, schedules.CosineDecay)
    assert clone.learning_rate == opt.learning_rate


def test_public_names():
    assert set(optimizers.__all__) == {
        "SGD", "Adam", "Nadam", "RMSprop", "Adagrad", "AdamW", "Adadelta", "Adafactor", "Adamax",
        "Ftrl", "Lion", "Lamb", "Muon", "ScheduleFreeAdamW", "LossScaleOptimizer", "MultiOptimizer",
        "OptimizerMap", "Optimizer",
        "get", "serialize", "deserialize", "schedules",
    }


def test_iterations_answers_numpy_as_keras_variable():
    # keras.io callbacks and schedules read self.model.optimizer.iterations.numpy().
    model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=4, epochs=1, verbose=0)
    count = model.optimizer.iterations
    assert count == 2 and count.numpy() == 2 and count.numpy().dtype == np.int64
