"""Which export rule writes which layer: one explicit table, plus the rules users register.

An export rule is a function ``rule(builder, layer, inputs, **call_kwargs)`` that adds the
layer's ONNX nodes to ``builder`` (a :class:`~deepgrad.export.graph_builder.GraphBuilder`)
and returns its output :class:`~deepgrad.export.graph_builder.Value` (or a list of them, as
the layer's call returns). ``inputs`` is a Value, or the structure of Values the layer was
called on; tensors among the call's other arguments (``initial_state=[h, c]``) arrive as
Values in ``call_kwargs``. A layer that receives Keras's mask (after
``Embedding(mask_zero=True)`` or ``Masking``) and uses it needs a rule with
``rule.takes_mask = True``, which gets the mask's ONNX name as ``mask=``; a layer that
only passes masks on (``supports_masking``) needs nothing.

The built-in rules live in one module per family of layers (``rules_*.py``), each with a
``RULES`` table; this module joins the tables on first use. A subclass of a layer with a
rule uses that rule only when it adds no methods of its own beyond configuration (a
subclass that changes the forward pass needs its own rule).

>>> import deepgrad as dg
>>> class Twice(dg.layers.Layer):
...     def call(self, x):
...         return x * 2
>>> def twice_rule(builder, layer, x):
...     two = builder.const(np.float32(2), "two")
...     name, first = builder.native(x)
...     return Value({first: builder.node("Mul", [name, two])})
>>> register_export_rule(Twice, twice_rule)
>>> find_rule(Twice()) is twice_rule
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np  # noqa: F401  (the docstring's example uses it)

from deepgrad.export.graph_builder import Value  # noqa: F401  (the docstring's example)

__all__ = ["ExportError", "register_export_rule", "find_rule", "require_rules"]

ExportRule = Callable

_FAMILIES = ("rules_core", "rules_conv", "rules_pooling", "rules_normalization",
             "rules_reshaping", "rules_preprocessing", "rules_merging", "rules_recurrent",
             "rules_models", "rules_ops", "rules_attention")
# Methods a subclass may define and still use its parent's rule: configuration only.
_CONFIG_METHODS = {"__init__", "get_config", "from_config", "build", "compute_output_shape",
                   "__repr__"}

_custom: dict[type, ExportRule] = {}
_built_in: dict[type, ExportRule] | None = None


class ExportError(ValueError):
    """A model that cannot be exported: names the layer, its class and why."""


def register_export_rule(layer_class: type, rule: ExportRule) -> None:
    """Register ``rule`` as the way to export layers of ``layer_class`` (and of its
    subclasses that add no methods but configuration). Replaces an earlier registration.

    Args:
        layer_class: a :class:`deepgrad.layers.Layer` subclass.
        rule: ``rule(builder, layer, inputs, **call_kwargs)`` returning the output Value(s).

    Raises:
        TypeError: if ``layer_class`` is not a class or ``rule`` is not callable.

    >>> register_export_rule("Dense", print)
    Traceback (most recent call last):
    ...
    TypeError: register_export_rule: `layer_class` must be a Layer class. Received: 'Dense'
    """
    if not isinstance(layer_class, type):
        raise TypeError(
            f"register_export_rule: `layer_class` must be a Layer class. Received: {layer_class!r}"
        )
    if not callable(rule):
        raise TypeError(f"register_export_rule: `rule` must be callable. Received: {rule!r}")
    _custom[layer_class] = rule


def _rules() -> dict[type, ExportRule]:
    global _built_in
    if _built_in is None:
        table: dict[type, ExportRule] = {}
        for family in _FAMILIES:
            table.update(importlib.import_module(f"deepgrad.export.{family}").RULES)
        _built_in = table
    return _built_in


def _adds_behaviour(cls: type, ancestor: type) -> bool:
    """Whether a class between ``cls`` and ``ancestor`` defines methods beyond configuration."""
    for klass in cls.__mro__:
        if klass is ancestor:
            return False
        if any(callable(v) and k not in _CONFIG_METHODS for k, v in vars(klass).items()):
            return True
    return True


def find_rule(layer) -> ExportRule | None:
    """The rule for ``layer``: registered for its class (users' first), or for a parent
    class it only configures; None if there is none."""
    cls = type(layer)
    for table in (_custom, _rules()):
        if cls in table:
            return table[cls]
    for table in (_custom, _rules()):
        for klass in cls.__mro__[1:]:
            if klass in table and not _adds_behaviour(cls, klass):
                return table[klass]
    from deepgrad.export.trace import is_subclassed

    if is_subclassed(layer):  # a subclassed model inside another model: traced
        from deepgrad.export.rules_models import traced_model

        return traced_model
    return None


def require_rules(layers) -> dict[int, ExportRule]:
    """The rule of each layer (by ``id``); fails on the first layer without one.

    Raises:
        ExportError: naming the layer and its class, with how to fix it.
    """
    found = {}
    for layer in layers:
        rule = find_rule(layer)
        if rule is None:
            cls = type(layer).__name__
            raise ExportError(
                f"export: layer '{layer.name}' of class {cls} has no ONNX export rule, so the "
                "model cannot be exported (nothing was written). To fix, replace it with "
                "built-in layers, or register a rule: "
                f"dg.export.register_export_rule({cls}, rule)."
            )
        found[id(layer)] = rule
    return found
