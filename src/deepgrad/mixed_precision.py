"""Keras's ``keras.mixed_precision``: dtype policies, the names Keras code calls.

deepgrad computes each layer in one float type, so a policy here names the float type of
the layers made after it is set (:func:`deepgrad.config.set_floatx`): ``'float32'`` (the
default), ``'float64'`` or ``'float16'``. Keras's mixed policies, ``'mixed_float16'`` and
``'mixed_bfloat16'`` (float16 arithmetic on float32 variables, a GPU speed-up), are
accepted so that Keras code runs, with a warning, and deepgrad differs there: it keeps
float32 for the arithmetic too. On a CPU that is also the faster choice, as NumPy's float16
products do not use BLAS. ``'bfloat16'`` is refused: NumPy has no such type.

>>> import deepgrad as dg
>>> dg.mixed_precision.global_policy()
<DTypePolicy "float32">
>>> dg.mixed_precision.set_global_policy("float64")
>>> dg.layers.Dense(2).dtype
'float64'
>>> dg.mixed_precision.set_global_policy(None)  # back to float32
"""

from __future__ import annotations

import warnings

from deepgrad import config
from deepgrad.optimizers.loss_scale_optimizer import LossScaleOptimizer

__all__ = [
    "DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
    "set_global_policy", "LossScaleOptimizer",
]

_PLAIN = ("float16", "float32", "float64")
_MIXED = ("mixed_float16", "mixed_bfloat16")
_policy: DTypePolicy | None = None


class DTypePolicy:
    """A dtype policy: the name, and the types of the arithmetic and of the variables.

    For the mixed policies both are float32 in deepgrad (see the module's docstring);
    Keras's compute dtype there is float16 or bfloat16.

    >>> DTypePolicy("float64").compute_dtype, DTypePolicy("mixed_float16").variable_dtype
    ('float64', 'float32')
    """

    def __init__(self, name: str | None = None):
        name = config.floatx() if name is None else name
        if name not in _PLAIN + _MIXED:
            extra = " NumPy has no bfloat16 type." if name == "bfloat16" else ""
            raise ValueError(
                f"DTypePolicy: `name` must be one of {', '.join(map(repr, _PLAIN + _MIXED))}."
                f"{extra} Received: name={name!r}"
            )
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return "float32" if self._name in _MIXED else self._name

    @property
    def variable_dtype(self) -> str:
        return "float32" if self._name in _MIXED else self._name

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy


def set_global_policy(policy) -> None:
    """Set the policy of the layers made from now on (a name, a :class:`DTypePolicy`, or
    None for the default, float32).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     set_global_policy("mixed_float16")
    >>> global_policy().name, global_policy().compute_dtype, len(caught)
    ('mixed_float16', 'float32', 1)
    >>> set_global_policy(None)
    """
    global _policy
    if policy is None:
        _policy = None
        config.set_floatx("float32")
        return
    if not isinstance(policy, DTypePolicy):
        if not isinstance(policy, str):
            raise ValueError(
                "set_global_policy: `policy` must be a policy name, a DTypePolicy or None. "
                f"Received: policy={policy!r} of type {type(policy).__name__}"
            )
        policy = DTypePolicy(policy)
    if policy.name in _MIXED:
        warnings.warn(
            f"set_global_policy({policy.name!r}): deepgrad computes in float32 with float32 "
            "variables under a mixed policy (on a CPU, NumPy's float16 products are slower "
            "than float32's); the model trains as Keras's would in float32.",
            UserWarning, stacklevel=2,
        )
    config.set_floatx(policy.compute_dtype)
    _policy = policy


def global_policy() -> DTypePolicy:
    """The policy set by :func:`set_global_policy` (float32 by default)."""
    return _policy if _policy is not None else DTypePolicy(config.floatx())


set_dtype_policy = set_global_policy
dtype_policy = global_policy
