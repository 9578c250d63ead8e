"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

Pass one as an optimizer's ``learning_rate``; the optimizer evaluates it at its
``iterations`` (0 for the first update) before every step, as Keras does. A schedule
also accepts an array of steps, which is handy for plotting it.

>>> from deepgrad import optimizers
>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
>>> optimizer = optimizers.SGD(learning_rate=schedule)
>>> optimizer.learning_rate
0.1
"""

from __future__ import annotations

from typing import Any

from deepgrad import registry
from deepgrad.optimizers.schedules.base import LearningRateSchedule
from deepgrad.optimizers.schedules.cosine import CosineDecay, CosineDecayRestarts
from deepgrad.optimizers.schedules.decay import (
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize",
]

_SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
                CosineDecay, CosineDecayRestarts)
}
_CATALOG = registry.Catalog("optimizers.schedules", "learning rate schedule",
                            LearningRateSchedule, _SCHEDULES)


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Return ``{"module", "class_name", "config"}`` describing ``schedule``, as Keras does.

    >>> serialize(InverseTimeDecay(0.1, 1, 0.5))["class_name"]
    'InverseTimeDecay'
    """
    return {"module": "deepgrad.optimizers.schedules", **_CATALOG.serialize(schedule)}


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, type] | None = None
) -> LearningRateSchedule:
    """Recreate a schedule from :func:`serialize`'s output.

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: extra schedule classes by name (registered ones are found too).

    Raises:
        ValueError: for a malformed dict or an unknown class name.

    >>> deserialize(serialize(ExponentialDecay(0.1, 10, 0.9)))(10)
    0.09000000000000001
    """
    return _CATALOG.deserialize(config, custom_objects)
