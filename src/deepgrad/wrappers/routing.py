"""scikeras-style routed parameters: ``model__units``, ``optimizer__learning_rate``, ...

A wrapper's parameter named ``<route>__<name>`` is sent to one place: ``model__`` to the
function that builds the model, ``optimizer__`` and ``loss__`` to the optimizer and loss
the wrapper compiles with, ``fit__`` to ``model.fit`` and ``predict__`` to
``model.predict``. They are ordinary estimator parameters, so ``set_params`` and
``GridSearchCV(param_grid={"model__units": [16, 32]})`` work.

>>> routed({"model__units": 8, "fit__epochs": 3, "epochs": 1}, "model")
{'units': 8}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ROUTES", "check_routed", "routed", "call_build_fn", "build_optimizer", "build_loss"]

ROUTES = ("model", "optimizer", "loss", "fit", "predict")


def check_routed(owner: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``params`` if every name is ``<route>__<name>`` with a known route.

    The wrappers accept any name in ``__init__`` and ``set_params`` (scikit-learn's rule:
    they validate nothing) and call this in ``fit``.

    Raises:
        ValueError: naming the wrapper, the expected form and the parameter.

    >>> check_routed("SKLearnClassifier", {"model__units": 8})
    {'model__units': 8}
    >>> check_routed("SKLearnClassifier", {"units": 8})
    Traceback (most recent call last):
    ...
    ValueError: SKLearnClassifier: unknown parameter 'units'. Expected ...
    """
    for name, value in params.items():
        route, sep, rest = name.partition("__")
        if not sep or route not in ROUTES or not rest:
            raise ValueError(
                f"{owner}: unknown parameter {name!r}. Expected a constructor parameter or a "
                f"routed one named '<route>__<name>' with <route> one of {', '.join(ROUTES)}, "
                f"e.g. model__units=32 or optimizer__learning_rate=0.01. Received: "
                f"{name}={value!r}"
            )
    return dict(params)


def routed(params: Mapping[str, Any], route: str) -> dict[str, Any]:
    """The parameters sent to ``route``, with the prefix removed."""
    prefix = route + "__"
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def _describe(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def call_build_fn(owner: str, fn: Callable, offered: dict[str, Any],
                  requested: dict[str, tuple[str, Any]]) -> Any:
    """Call a model-building function.

    Args:
        owner: the wrapper's class name, for errors.
        fn: the function.
        offered: arguments passed only when ``fn`` names them (``X``, ``y``, ``meta``,
            ``compile_kwargs``); ``X`` and ``y`` also reach a ``**kwargs``.
        requested: ``{argument: (how the user wrote it, value)}`` from ``model_kwargs``
            and ``model__`` parameters; ``fn`` must take each of them.

    Raises:
        ValueError: for a requested argument that ``fn`` does not take.

    >>> def build(X, units=4):
    ...     return units
    >>> call_build_fn("SKLearnRegressor", build, {"X": 0, "y": 1}, {"units": ("model__units", 8)})
    8
    >>> call_build_fn("SKLearnRegressor", build, {"X": 0}, {"unit": ("model__unit", 8)})
    Traceback (most recent call last):
    ...
    ValueError: SKLearnRegressor: the build function build takes no argument 'unit'. It ...
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: pass everything
        parameters = [inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
    names = [p.name for p in parameters
             if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    if not takes_any:
        for key, (written, value) in requested.items():
            if key not in names:
                raise ValueError(
                    f"{owner}: the build function {_describe(fn)} takes no argument {key!r}. "
                    f"It takes: {', '.join(names) or 'nothing'}. Received: {written}={value!r}. "
                    "To fix, add the argument to the function or remove the parameter."
                )
    args = {k: v for k, v in offered.items()
            if k in names or (takes_any and k in ("X", "y"))}
    args.update({k: value for k, (_, value) in requested.items()})
    return fn(**args)


def _construct(owner: str, what: str, cls: type, kwargs: dict[str, Any]) -> Any:
    try:
        return cls(**kwargs)
    except TypeError as error:
        given = ", ".join(f"{what}__{k}={v!r}" for k, v in kwargs.items())
        raise ValueError(
            f"{owner}: {cls.__name__} does not accept the routed parameters {given}: {error}"
        ) from None


def build_optimizer(owner: str, identifier: Any, kwargs: dict[str, Any]) -> Any:
    """A fresh optimizer from a name, class or instance, with ``optimizer__`` arguments.

    An instance is copied through its config, so that no two fits share its state.

    >>> build_optimizer("SKLearnClassifier", "sgd", {"learning_rate": 0.5}).learning_rate
    0.5
    """
    from deepgrad import optimizers

    if isinstance(identifier, optimizers.Optimizer):
        return _construct(owner, "optimizer", type(identifier),
                          {**identifier.get_config(), **kwargs})
    if isinstance(identifier, type):
        return _construct(owner, "optimizer", identifier, kwargs)
    if not kwargs:
        return optimizers.get(identifier)
    return _construct(owner, "optimizer", type(optimizers.get(identifier)), kwargs)


def build_loss(owner: str, identifier: Any, kwargs: dict[str, Any]) -> Any:
    """A loss from a name, class, instance or function, with ``loss__`` arguments.

    >>> build_loss("SKLearnClassifier", "binary_crossentropy", {"from_logits": True}).from_logits
    True
    """
    from deepgrad import losses

    if not kwargs:
        return identifier
    if isinstance(identifier, losses.Loss):
        return _construct(owner, "loss", type(identifier), {**identifier.get_config(), **kwargs})
    if isinstance(identifier, type):
        return _construct(owner, "loss", identifier, kwargs)
    if callable(identifier) and not isinstance(identifier, str):
        resolved = losses.as_loss(identifier)
        if isinstance(resolved, losses.LossFunctionWrapper):
            return losses.LossFunctionWrapper(identifier, **kwargs)
        return _construct(owner, "loss", type(resolved), kwargs)
    return _construct(owner, "loss", type(losses.as_loss(identifier)), kwargs)
