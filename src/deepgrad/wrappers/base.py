"""What the three scikit-learn wrappers share: parameters, building, fitting, pickling.

The parameters are Keras 3's (``model``, ``warm_start``, ``model_kwargs``,
``fit_kwargs``) plus scikeras's (``optimizer``, ``loss``, ``epochs``, ...) and routed
``<route>__<name>`` ones (see :mod:`deepgrad.wrappers.routing`), all visible to
``get_params``/``set_params``. ``fit`` builds (or clones) the model, compiles it when it
is not compiled, and calls ``model.fit``; with ``random_state`` set, the whole fit is
bit-identical from one call to the next.

>>> import numpy as np
>>> from deepgrad.wrappers import SKLearnRegressor
>>> est = SKLearnRegressor(epochs=2, random_state=0, model__units=4)
>>> est.get_params()["model__units"]
4
>>> X = np.linspace(0, 1, 20).reshape(10, 2)
>>> est.fit(X, X.sum(axis=1)).predict(X).shape
(10,)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from deepgrad import random as dg_random
from deepgrad.wrappers import model_io
from deepgrad.wrappers.default_model import default_mlp
from deepgrad.wrappers.routing import (
    build_loss,
    build_optimizer,
    call_build_fn,
    check_routed,
    routed,
)
from deepgrad.wrappers.targets import check_sample_weight, combine_weights

__all__ = ["SKLBase"]

_FIT_PARAMS = ("epochs", "batch_size", "verbose", "shuffle", "callbacks", "validation_split")


class _SavedModel:
    """A model inside a pickle: the bytes of its ``.deepgrad`` file, nothing else."""

    def __init__(self, blob: bytes):
        self.blob = blob


@contextlib.contextmanager
def seeded(random_state: Any, call: int) -> Iterator[None]:
    """Run the block with deepgrad's global generator seeded from ``random_state``.

    ``call`` counts the fits that continue one model (``partial_fit``, ``warm_start``),
    so that each continues with new random numbers, reproducibly. The global
    generator's state is put back afterwards; ``random_state=None`` leaves it alone.
    """
    if random_state is None:
        yield
        return
    if not isinstance(random_state, (int, np.integer)):
        random_state = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    saved = dg_random.get_state()
    dg_random.set_state(np.random.default_rng([int(random_state), call]).bit_generator.state)
    try:
        yield
    finally:
        dg_random.set_state(saved)


def output_shape(owner: str, model, X: np.ndarray) -> tuple:
    """The shape of the model's single output, ``(None, ...)`` (builds the model if needed).

    Raises:
        ValueError: for a model with several outputs.
    """
    outputs = None
    if model.built:
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            outputs = model.outputs
    if outputs:
        if len(outputs) != 1:
            raise ValueError(
                f"{owner}: expected a model with one output (scikit-learn gives one y). "
                f"Received: a model with {len(outputs)} outputs."
            )
        return tuple(outputs[0].shape)
    out = model.predict(X[:1], verbose=0)
    if isinstance(out, (list, tuple, dict)):
        raise ValueError(
            f"{owner}: expected a model with one output (scikit-learn gives one y). "
            f"Received: a model with {len(out)} outputs."
        )
    return (None,) + tuple(np.shape(out)[1:])


class SKLBase(BaseEstimator):
    """Base class of the scikit-learn wrappers (see :class:`SKLearnClassifier` for the
    parameters)."""

    def __init__(
        self,
        model: Any = None,
        warm_start: bool = False,
        model_kwargs: dict | None = None,
        fit_kwargs: dict | None = None,
        *,
        optimizer: Any = None,
        loss: Any = None,
        metrics: Any = None,
        epochs: int = 1,
        batch_size: int | None = None,
        callbacks: list | None = None,
        validation_split: float = 0.0,
        shuffle: bool = True,
        verbose: int | str = 0,
        random_state: int | np.random.RandomState | None = None,
        **kwargs: Any,
    ):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.verbose = verbose
        self.random_state = random_state
        self._routed = dict(kwargs)  # checked in fit: scikit-learn validates nothing earlier

    # -- parameters -----------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters and the routed ``<route>__<name>`` ones."""
        params = super().get_params(deep=deep)
        params.update(self._routed)
        return params

    def set_params(self, **params: Any) -> SKLBase:
        """Set parameters, routed ones (``model__units=64``) included.

        Names that are not constructor parameters are kept as routed parameters and
        checked by ``fit`` (scikit-learn's rule: ``set_params`` does not raise).
        """
        own = self._get_param_names()
        extra = {k: v for k, v in params.items() if k not in own}
        if extra:
            self._routed = {**self._routed, **extra}
        rest = {k: v for k, v in params.items() if k not in extra}
        if rest:
            super().set_params(**rest)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.multi_output = True
        return tags

    # -- pickling: the model travels as the bytes of its file ----------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        for key in ("model", "model_"):
            if _is_model(state.get(key)):
                state[key] = _SavedModel(model_io.model_to_bytes(state[key]))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for key, value in state.items():
            if isinstance(value, _SavedModel):
                state[key] = model_io.model_from_bytes(value.blob)
        super().__setstate__(state)

    # -- fitting --------------------------------------------------------------------------
    @property
    def epoch_(self) -> int:
        """The number of epochs trained so far (Keras's wrappers have it)."""
        return len(next(iter(getattr(self, "history_", {}).values()), []))

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, **kwargs: Any) -> SKLBase:
        """Build (or reuse, with ``warm_start``) the model and train it on ``X``, ``y``.

        Args:
            X: array-like of shape ``(n_samples, n_features)`` (or more dimensions, e.g.
                images).
            y: the targets.
            sample_weight: one weight per sample, or ``(n_samples, n_outputs)`` for one
                weight per sample and output.
            **kwargs: passed to ``model.fit``; they take precedence over ``fit_kwargs``,
                ``fit__`` parameters and the plain ones (``epochs``, ...). A
                ``class_weight`` given here replaces the constructor's.

        Returns:
            self.
        """
        return self._fit(X, y, sample_weight, kwargs, continue_model=self.warm_start)

    def _fit(self, X: Any, y: Any, sample_weight: Any, call_kwargs: dict[str, Any], *,
             continue_model: bool, classes: Any = None) -> SKLBase:
        owner = type(self).__name__
        check_routed(owner, self._routed)
        continuing = continue_model and hasattr(self, "model_")
        X, y = self._validate_fit(X, y, reset=not continuing)
        fit_kwargs = {name: getattr(self, name) for name in _FIT_PARAMS}
        fit_kwargs.update(self.fit_kwargs or {})
        fit_kwargs.update(routed(self._routed, "fit"))
        fit_kwargs.update(call_kwargs)
        class_weight = fit_kwargs.pop("class_weight", getattr(self, "class_weight", None))
        encoded, build_y = self._encode_targets(y, reset=not continuing, classes=classes)
        weights = combine_weights(
            check_sample_weight(owner, sample_weight, len(X), self._n_outputs()),
            self._class_weights(class_weight, encoded),
        )
        self._check_weights(encoded, weights)
        call = self._fit_calls + 1 if continuing else 0
        with seeded(self.random_state, call):
            model = self.model_ if continuing else self._build_model(X, build_y)
            shape = output_shape(owner, model, X)
            target = self._model_target(model, encoded, shape)
            history = model.fit(X, target, sample_weight=self._model_weights(weights, shape),
                                **fit_kwargs)
        self.model_ = model
        self._output_shape = shape
        self._fit_calls = call
        logs = dict(history.history)
        if continuing:
            logs = {k: list(self.history_.get(k, [])) + list(v) for k, v in logs.items()}
        self.history_ = logs
        return self

    def _model_weights(self, weights: np.ndarray | None, shape: tuple) -> np.ndarray | None:
        """Weights per sample, or per sample and output when the model gives one loss
        value per output (its output ends in a dimension of 1, as the default model's
        does for several outputs)."""
        if weights is None or weights.ndim == 1:
            return weights
        if len(shape) == 3 and shape[-1] == 1:
            return weights
        if (weights == weights[:, :1]).all():
            return weights[:, 0]
        raise ValueError(
            f"{type(self).__name__}: weights that differ between outputs need one loss value "
            f"per output, i.e. a model output of shape (None, {weights.shape[1]}, 1). The "
            f"default model has it; end your model with Reshape(({weights.shape[1]}, 1)). "
            f"Received: output shape {shape}."
        )

    def _validate_fit(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, Any]:
        X, y = validate_data(self, X, y, reset=reset, dtype=(np.float32, np.float64),
                             allow_nd=True, multi_output=True, accept_sparse=False,
                             y_numeric=self._numeric_target)
        if hasattr(y, "toarray"):
            y = y.toarray()
        return X, y

    def _validate_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return validate_data(self, X, reset=False, dtype=(np.float32, np.float64),
                             allow_nd=True, accept_sparse=False)

    def _build_model(self, X: np.ndarray, build_y: np.ndarray):
        """Build the model (default, clone of the given one, or the build function's) and
        compile it if needed."""
        from deepgrad.models import Model

        owner = type(self).__name__
        meta = self._meta(X)
        model_kwargs = {k: (f"model_kwargs[{k!r}]", v)
                        for k, v in (self.model_kwargs or {}).items()}
        model_kwargs.update({k: (f"model__{k}", v)
                             for k, v in routed(self._routed, "model").items()})
        compile_kwargs = self._compile_kwargs(None)
        if self.model is None:
            model = call_build_fn(owner, default_mlp, {"meta": meta}, model_kwargs)
        elif isinstance(self.model, Model):
            if model_kwargs:
                raise ValueError(
                    f"{owner}: `model` is a model, so there is no build function to pass "
                    f"{', '.join(w for w, _ in model_kwargs.values())} to. To fix, give a "
                    "function that builds the model."
                )
            model = self.model if self.warm_start else model_io.clone_model(self.model)
        elif callable(self.model):
            model = call_build_fn(
                owner, self.model,
                {"X": X, "y": build_y, "meta": meta, "compile_kwargs": compile_kwargs},
                model_kwargs,
            )
        else:
            raise TypeError(
                f"{owner}: `model` must be a deepgrad Model, a function that returns one, or "
                f"None (the default network). Received: model={self.model!r} of type "
                f"{type(self.model).__name__}"
            )
        if not isinstance(model, Model):
            raise TypeError(
                f"{owner}: the build function {getattr(self.model, '__name__', self.model)!r} "
                "must return a deepgrad Model (e.g. dg.Sequential([...])). Received: "
                f"{model!r} of type {type(model).__name__}"
            )
        shape = output_shape(owner, model, X)
        if not getattr(model, "compiled", False):
            compile_kwargs = self._compile_kwargs(shape)
        self._compile(model, compile_kwargs)
        return model

    def _compile_kwargs(self, shape: tuple | None) -> dict[str, Any]:
        """What the wrapper compiles with: ``optimizer`` (default Adam), ``loss`` (default:
        the task's, given the model's output ``shape`` when known) and ``metrics``."""
        owner = type(self).__name__
        loss = self.loss if self.loss is not None else self._default_loss(shape)
        return {
            "optimizer": build_optimizer(
                owner, "adam" if self.optimizer is None else self.optimizer,
                routed(self._routed, "optimizer"),
            ),
            "loss": build_loss(owner, loss, routed(self._routed, "loss")),
            "metrics": self.metrics,
        }

    def _compile(self, model, compile_kwargs: dict[str, Any]) -> None:
        """Compile an uncompiled model with the wrapper's settings; refuse settings that a
        compiled model would silently ignore."""
        if not getattr(model, "compiled", False):
            model.compile(**compile_kwargs)
            return
        if model.optimizer is compile_kwargs["optimizer"]:
            return  # the build function compiled it with `compile_kwargs`
        given = [name for name in ("optimizer", "loss", "metrics") if getattr(self, name)]
        given += [f"{r}__{k}" for r in ("optimizer", "loss") for k in routed(self._routed, r)]
        if given:
            raise ValueError(
                f"{type(self).__name__}: the model is already compiled, so {', '.join(given)} "
                "would be ignored. To fix, return an uncompiled model (the wrapper then "
                "compiles it with these settings) or drop them."
            )

    # -- hooks for the subclasses ---------------------------------------------------------
    _numeric_target = True
    _fit_calls = 0


    def _default_loss(self, shape: tuple | None) -> Any:
        return "mse"

    def _check_weights(self, encoded: np.ndarray, weights: np.ndarray | None) -> None:
        """Subclasses refuse weights that leave nothing to learn."""

    def _encode_targets(self, y: Any, reset: bool, classes: Any) -> tuple[np.ndarray, np.ndarray]:
        """Continuous targets (the classifier overrides this): float32, one or more columns;
        returns what the model trains on and what the build function gets."""
        y = np.asarray(y, dtype=np.float32)
        outputs = 1 if y.ndim == 1 else y.shape[1]
        if reset:
            self._target_ndim = y.ndim
            self.n_outputs_ = outputs
        elif outputs != self.n_outputs_:
            raise ValueError(
                f"{type(self).__name__}: expected y with {self.n_outputs_} column(s), as in "
                f"fit. Received: y.shape={y.shape}"
            )
        return y, y

    def _meta(self, X: np.ndarray) -> dict[str, Any]:
        """What the build function may know about the data (``meta``)."""
        return {
            "n_features_in_": self.n_features_in_, "feature_shape": X.shape[1:],
            "n_outputs_": self.n_outputs_, "output_units": self.n_outputs_,
            "output_activation": None, "per_output": self.n_outputs_ > 1,
        }


    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _class_weights(self, class_weight: Any, encoded: np.ndarray) -> np.ndarray | None:
        if class_weight is not None:
            raise ValueError(f"{type(self).__name__}: `class_weight` is for classifiers.")
        return None

    def _model_target(self, model, encoded: np.ndarray, shape: tuple) -> np.ndarray:
        if len(shape) == encoded.ndim + 1 and shape[-1] == 1:
            return encoded[..., None]
        return encoded

    def _raw_predict(self, X: Any) -> np.ndarray:
        X = self._validate_predict(X)
        kwargs = {"batch_size": self.batch_size, "verbose": 0, **routed(self._routed, "predict")}
        if len(X) == 1:
            # One sample goes in as two copies: NumPy's matrix-vector product rounds
            # differently from the matrix-matrix one (by an ulp), and a sample's
            # prediction must not depend on what it is predicted with (scikit-learn's
            # check_methods_subset_invariance).
            return np.asarray(self.model_.predict(np.concatenate([X, X]), **kwargs))[:1]
        return np.asarray(self.model_.predict(X, **kwargs))


def _is_model(value: Any) -> bool:
    from deepgrad.models import Model

    return isinstance(value, Model)
