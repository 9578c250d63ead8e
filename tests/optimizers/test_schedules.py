"""Learning-rate schedules: Keras 3's values at chosen steps, arrays, config, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deepgrad.optimizers import schedules


@pytest.mark.parametrize(
    "schedule, expected",
    [
        (schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9),
         {0: 0.1, 5: 0.1 * 0.9**0.5, 10: 0.09, 25: 0.1 * 0.9**2.5}),
        (schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9, staircase=True),
         {0: 0.1, 9: 0.1, 10: 0.09, 25: 0.1 * 0.81}),
        (schedules.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1]),
         {0: 1.0, 100: 1.0, 101: 0.5, 110: 0.5, 111: 0.1, 10**6: 0.1}),
        (schedules.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5),
         {0: 0.1, 1: 0.1 / 1.25, 4: 0.05}),
        (schedules.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
         {1: 0.1, 3: 0.1 / 1.5}),
        (schedules.CosineDecay(0.1, decay_steps=100),
         {0: 0.1, 50: 0.05, 25: 0.05 * (1 + math.cos(math.pi / 4)), 100: 0.0, 150: 0.0}),
        (schedules.CosineDecay(0.1, decay_steps=100, alpha=0.2),
         {0: 0.1, 50: 0.1 * (0.8 * 0.5 + 0.2), 100: 0.02}),
        (schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.2, warmup_steps=5),
         {0: 0.0, 1: 0.04, 5: 0.2, 10: 0.1, 15: 0.0, 100: 0.0}),
        (schedules.CosineDecay(0.1, decay_steps=10, alpha=0.5, warmup_target=0.2,
                               warmup_steps=4),
         {2: 0.15, 4: 0.2, 14: 0.1}),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, schedules.LearningRateSchedule) else "",
)
def test_values_at_chosen_steps(schedule, expected):
    for step, value in expected.items():
        got = schedule(step)
        assert isinstance(got, float)
        assert got == pytest.approx(value, rel=1e-12, abs=1e-15), step


def test_arrays_of_steps_give_arrays():
    schedule = schedules.ExponentialDecay(1.0, 1, 0.5)
    np.testing.assert_allclose(schedule(np.arange(4)), [1.0, 0.5, 0.25, 0.125])
    pieces = schedules.PiecewiseConstantDecay([1, 2], [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(pieces(np.arange(4)), [3.0, 3.0, 2.0, 1.0])


ALL = [
    schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.5, warmup_steps=10),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.PolynomialDecay(0.1, 30, end_learning_rate=0.01, power=0.5, cycle=True),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.8, alpha=0.05),
]


def test_every_keras_schedule_is_known_to_deserialize():
    keras_names = {"ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
                   "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts"}
    for name in keras_names:
        assert getattr(schedules, name).__name__ == name
    assert keras_names <= {type(s).__name__ for s in ALL}


def test_polynomial_and_restarts_by_their_definitions():
    poly = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.2, power=2.0)
    assert poly(5) == pytest.approx(0.8 * 0.25 + 0.2) and poly(30) == pytest.approx(0.2)
    sgdr = schedules.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.0)
    # periods [0, 10), [10, 30), [30, 70): each restart halves the peak
    assert [sgdr(0), sgdr(10), sgdr(30)] == pytest.approx([1.0, 0.5, 0.25])
    assert sgdr(20) == pytest.approx(0.5 * 0.5) and sgdr(5) == pytest.approx(0.5)


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialize_round_trip(schedule):
    clone = schedules.deserialize(schedules.serialize(schedule))
    assert type(clone) is type(schedule)
    assert clone.get_config() == schedule.get_config()
    steps = np.arange(0, 200, 7)
    np.testing.assert_array_equal(clone(steps), schedule(steps))


def test_errors():
    with pytest.raises(ValueError, match=r"ExponentialDecay: `decay_steps` must be > 0"):
        schedules.ExponentialDecay(0.1, 0, 0.9)
    with pytest.raises(ValueError, match="CosineDecay: `decay_steps` must be > 0"):
        schedules.CosineDecay(0.1, -5)
    with pytest.raises(ValueError, match="InverseTimeDecay: `decay_steps` must be > 0"):
        schedules.InverseTimeDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less than the length of `values`"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([2, 2], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="must be a number"):
        schedules.ExponentialDecay(0.1, "10", 0.9)
    with pytest.raises(ValueError, match="PolynomialDecay: `decay_steps` must be > 0"):
        schedules.PolynomialDecay(0.1, 0)
    with pytest.raises(ValueError, match="CosineDecayRestarts: `first_decay_steps` must be > 0"):
        schedules.CosineDecayRestarts(0.1, 0)


def test_custom_schedule_subclass():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / 2**step

        def get_config(self):
            return {}

    clone = schedules.deserialize(
        schedules.serialize(Halving()), custom_objects={"Halving": Halving}
    )
    assert clone(3) == 0.125
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(0)
