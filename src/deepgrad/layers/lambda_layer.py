"""Lambda: a function of tensors used as a layer.

A ``def`` function is saved by name (Keras 3's form ``{"class_name": "function", "config":
name, "registered_name": ...}``) and found again at ``from_config`` and ``load_model`` as
a custom class is: registered with ``register_keras_serializable``, or passed in
``custom_objects``. An anonymous ``lambda`` is never rebuilt from a config: that would mean
running code read from a file (Keras 3 refuses it too, in its default safe mode).

>>> import deepgrad as dg
>>> @dg.saving.register_keras_serializable(package="Doc")
... def double(x):
...     return x * 2
>>> layer = Lambda(double)
>>> Lambda.from_config(layer.get_config()).function is double
True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from deepgrad import tree
from deepgrad.layers.base import Layer
from deepgrad.registry import get_registered_name, get_registered_object, is_registered

__all__ = ["Lambda"]


class Lambda(Layer):
    """Wrap a function of Tensors as a layer (it has no weights).

    Args:
        function: a function of the input Tensor (built from ``dg.ops``); if it takes a
            ``training`` argument, the layer passes it on.
        output_shape: optional output shape (without batch) if it cannot be inferred, or
            a function of the input shape (with batch) that returns it.
        arguments: optional dict of keyword arguments passed to ``function``.

    >>> Lambda(lambda x: x * 2)(np.ones((1, 2), dtype="float32")).data
    array([[2., 2.]], dtype=float32)
    """

    _accepts_strings = True  # the function decides what it can take
    _casts_integer_inputs = False  # and what it does with integers (as in Keras)

    def __init__(self, function: Callable, output_shape=None, arguments: dict | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(function, dict):
            function = _find_function(function, self.name)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable. Received: {function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: `arguments` must be a dict. Received: {arguments!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = (
            output_shape if output_shape is None or callable(output_shape)
            else tree.map_shape_structure(tuple, output_shape)
        )
        try:
            self._passes_training = "training" in inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature
            self._passes_training = False

    def call(self, inputs, training=None):
        if self._passes_training:
            return self.function(inputs, training=training, **self.arguments)
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        if self._output_shape is not None:
            # Keras's rule: the batch size of the first input (of several too), before the
            # given shape or each of several given shapes.
            batch = tree.flatten(input_shape)[0]
            return tree.map_shape_structure(lambda shape: (batch,) + shape, self._output_shape)
        return super().compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        if self._output_shape is not None:
            return super().compute_output_spec(inputs, *args, **kwargs)
        from deepgrad.layers.functional_call import traced_output_spec

        # run on zeros of the declared dtypes: the function's integers stay integers
        return traced_output_spec(self, inputs, args, kwargs)

    @property
    def saveable(self) -> bool:
        """Whether the function can be saved by name (a ``def``, not an anonymous lambda)."""
        return _function_config(self.function)["class_name"] == "function"

    def get_config(self) -> dict:
        """The base config plus ``function`` (by name), ``output_shape`` and ``arguments``."""
        shape = self._output_shape
        return {
            **super().get_config(),
            "function": _function_config(self.function),
            "output_shape": None if shape is None or callable(shape) else list(shape),
            "arguments": self.arguments,
        }


def _function_config(function: Callable) -> dict:
    """Keras 3's description of a function: by name, or marked as an anonymous lambda."""
    name = getattr(function, "__name__", None)
    if (name is None or name == "<lambda>") and not is_registered(function):
        return {"class_name": "__lambda__", "config": {"name": name or repr(function)}}
    return {
        "module": getattr(function, "__module__", None),
        "class_name": "function",
        "config": name if name not in (None, "<lambda>") else get_registered_name(function),
        "registered_name": get_registered_name(function),
    }


def _find_function(config: dict, layer_name: str) -> Callable:
    """The function a saved Lambda config names (registered, custom_objects, or deepgrad's)."""
    if config.get("class_name") == "__lambda__":
        raise ValueError(
            f"Lambda '{layer_name}': its function was an anonymous lambda, which deepgrad never "
            "rebuilds from a config (that would run code read from a file; safe_mode=False and "
            "dg.config.enable_unsafe_deserialization() do not change this). To fix, define the "
            "function with `def`, register it with @dg.saving.register_keras_serializable() (or "
            "pass it in custom_objects), and give that to Lambda."
        )
    name = config.get("config")
    found = get_registered_object(config.get("registered_name")) or get_registered_object(name)
    if found is None and str(config.get("module", "")).startswith("deepgrad."):
        from deepgrad import activations, ops

        source = activations if name in activations.__all__ else ops
        found = getattr(source, str(name), None)
    if not callable(found):
        raise ValueError(
            f"Lambda '{layer_name}': unknown function {config.get('registered_name') or name!r}. "
            "To fix, register it with @dg.saving.register_keras_serializable(), or pass "
            f"custom_objects={{{name!r}: {name}}} (load_model) or use "
            "dg.saving.custom_object_scope."
        )
    return found
