"""``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer``: deepgrad models
as scikit-learn estimators, with Keras 3's signatures and scikeras's routed parameters.

>>> import numpy as np
>>> from sklearn.datasets import load_iris
>>> from sklearn.model_selection import cross_val_score
>>> X, y = load_iris(return_X_y=True)
>>> clf = SKLearnClassifier(epochs=30, random_state=0, optimizer__learning_rate=0.02)
>>> bool(cross_val_score(clf, X, y, cv=3).mean() > 0.8)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils.validation import validate_data

from deepgrad.wrappers.base import SKLBase
from deepgrad.wrappers.routing import routed
from deepgrad.wrappers.targets import ClassTargets, loss_facts

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]

_PARAMETERS = """
    Args:
        model: None (the default network: one hidden ``Dense(32, "relu")`` layer and the
            output layer the task needs, built from the data's shape; ``model__units``
            and ``model__activation`` change it; a classifier's outputs logits and trains
            with a from-logits loss unless ``loss`` is given), a deepgrad ``Model``
            (rebuilt from its config with fresh weights for each fit, compiled like it,
            unless ``warm_start``), or a function returning a model. The function gets ``X``
            and ``y`` (for a classifier ``y`` one-hot encoded, as Keras's wrapper gives
            it) when it takes them, ``meta`` (what is known about the data) and
            ``compile_kwargs`` when it names them, and ``model_kwargs`` and the
            ``model__`` parameters, which it must take.
        warm_start: reuse the fitted model (and the given model itself) in the next fit.
        model_kwargs: arguments for the build function (Keras's name).
        fit_kwargs: arguments for ``model.fit`` (Keras's name).
        optimizer: name, class or instance used when the wrapper compiles the model
            (default ``"adam"``); ``optimizer__learning_rate=...`` etc. configure it.
        loss: the loss the wrapper compiles with (default: the task's); ``loss__...``.
        metrics: compiled metrics (they appear in ``history_``).
        epochs: passes over the data per ``fit`` (``model.fit``'s default, 1).
        batch_size: samples per step (None: 32).
        callbacks: Keras-style callbacks for ``model.fit``.
        validation_split: fraction of the data held out by ``model.fit``.
        shuffle: shuffle the samples each epoch.
        verbose: ``model.fit``'s progress output (default 0, silent, unlike Keras).
        random_state: an int makes ``fit`` bit-identical from call to call: it seeds the
            weights, the shuffling and dropout, and leaves deepgrad's global generator
            as it was. None draws from the global generator.
        **kwargs: routed parameters ``model__*``, ``optimizer__*``, ``loss__*``,
            ``fit__*`` and ``predict__*``. ``fit_kwargs``, then ``fit__`` parameters, then
            the keyword arguments of ``fit()`` take precedence over the plain ones.

    Attributes:
        model_: the fitted model.
        history_: dict of per-epoch values from ``model.fit`` (continued by
            ``partial_fit`` and ``warm_start``).
        n_features_in_, feature_names_in_: as scikit-learn defines them.
        n_outputs_: 1, or the number of target columns.
"""


def _doc(cls: type) -> type:
    cls.__doc__ = cls.__doc__.replace("    {parameters}\n", _PARAMETERS)
    return cls


@_doc
class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A deepgrad model as a scikit-learn classifier (Keras 3's ``SKLearnClassifier``).

    Labels may be integers, strings or booleans (binary or multiclass), a one-hot matrix
    (predictions are one-hot rows) or a 0/1 multilabel matrix (one sigmoid per label).
    ``predict_proba`` gives the model's probabilities (``(n, 2)`` for a single sigmoid
    unit); ``decision_function`` gives logits, or log-probabilities for a softmax model,
    so that ``decision_function > 0`` (binary) or its argmax is what ``predict`` says.
    A model whose loss has ``from_logits=True`` is read as giving logits. Unlike Keras's
    wrapper, which returns the raw outputs (two columns for a two-unit softmax),
    ``decision_function`` follows scikit-learn: one score per sample for two classes.

    {parameters}
        class_weight: None, ``"balanced"``, a dict from class label to weight, or for
            multilabel y a list of ``{0: w, 1: w}`` dicts, one per label (per-output
            weights). Multiplied into ``sample_weight``. Unlike Keras's ``fit(...,
            class_weight=)`` the keys are the labels themselves (for labels 0..k-1 the
            same thing).
        classes_: (attribute) the class labels, or ``arange(columns)`` for one-hot and
            multilabel y.

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SKLearnClassifier(epochs=40, random_state=0, model__units=16,
    ...                         optimizer__learning_rate=0.02).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape, bool(clf.score(X, y) > 0.9)
    ((2, 3), True)
    """

    _numeric_target = False

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
        class_weight: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            model, warm_start, model_kwargs, fit_kwargs, optimizer=optimizer, loss=loss,
            metrics=metrics, epochs=epochs, batch_size=batch_size, callbacks=callbacks,
            validation_split=validation_split, shuffle=shuffle, verbose=verbose,
            random_state=random_state, **kwargs,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None,
                    **kwargs: Any) -> SKLearnClassifier:
        """Train the current model (building it on the first call) for one epoch.

        Args:
            classes: all class labels, needed on the first call when ``y`` does not hold
                them all (as in scikit-learn).

        Raises:
            ValueError: for labels not among the first call's classes.
        """
        if hasattr(self, "model_") and classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"{type(self).__name__}: `classes` must be the same as on the first call to "
                f"partial_fit. Expected: {self.classes_.tolist()}. Received: "
                f"{np.unique(classes).tolist()}"
            )
        return self._fit(X, y, sample_weight, {**kwargs, "epochs": 1}, continue_model=True,
                         classes=classes)

    def _encode_targets(self, y: Any, reset: bool, classes: Any):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if reset:
            self._targets = ClassTargets(type(self).__name__)
            codes = self._targets.fit(y, classes)
            self.classes_ = self._targets.classes_
            self.n_outputs_ = self._targets.n_outputs
        else:
            codes = self._targets.encode(y)
        return codes, self._targets.one_hot(codes)

    def _meta(self, X: np.ndarray) -> dict[str, Any]:
        kind, n = self._targets.kind, len(self.classes_)
        units = 1 if (n == 2 and kind != "multilabel") else n
        return {
            "n_features_in_": self.n_features_in_, "feature_shape": X.shape[1:],
            "target_type_": kind, "classes_": self.classes_, "n_classes_": n,
            "n_outputs_": self.n_outputs_, "output_units": units,
            "output_activation": "softmax" if units > 1 and kind != "multilabel" else "sigmoid",
            "logits": self._default_logits(), "per_output": kind == "multilabel" and n > 1,
        }

    def _default_logits(self) -> bool:
        """The default network with the default loss outputs logits (unless
        ``loss__from_logits=False`` asks for probabilities)."""
        return (self.model is None and self.loss is None
                and routed(self._routed, "loss").get("from_logits", True))

    def _default_loss(self, shape: tuple | None) -> Any:
        from deepgrad import losses

        single = shape is not None and shape[-1] == 1 and len(shape) == 2
        binary = self._targets.kind == "multilabel" or single or (
            shape is None and len(self.classes_) == 2)
        if self._default_logits():
            return (losses.BinaryCrossentropy(from_logits=True) if binary
                    else losses.SparseCategoricalCrossentropy(from_logits=True))
        return "binary_crossentropy" if binary else "sparse_categorical_crossentropy"

    def _class_weights(self, class_weight: Any, encoded: np.ndarray) -> np.ndarray | None:
        return self._targets.class_weights(class_weight, encoded)

    def _check_weights(self, encoded: np.ndarray, weights: np.ndarray | None) -> None:
        if weights is None or self._targets.kind == "multilabel":
            return
        weighted = np.unique(encoded[weights > 0])
        if len(weighted) < 2:
            raise ValueError(
                f"{type(self).__name__}: only one class has a non-zero weight "
                f"({self.classes_[weighted].tolist()}); a classifier needs at least two "
                "classes to train. Received: sample_weight/class_weight that zero out the "
                "others."
            )

    def _model_target(self, model, encoded: np.ndarray, shape: tuple) -> np.ndarray:
        sparse, _ = loss_facts(model)
        return self._targets.model_target(encoded, shape, sparse)

    def _scores(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        raw = self._raw_predict(X)
        return self._targets.scores(raw, loss_facts(self.model_)[1])

    def predict(self, X: Any) -> np.ndarray:
        """The predicted labels, in the form ``y`` had in ``fit``.

        Raises:
            sklearn.exceptions.NotFittedError: before ``fit``.
            ValueError: for ``X`` with another number of features than in ``fit``.
        """
        proba, decision = self._scores(X)
        return self._targets.decode(proba, decision)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n_samples, n_classes)`` (``(n_samples, labels)`` for
        multilabel y), in float64."""
        return self._scores(X)[0]

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores: logits (or log-probabilities); ``(n_samples,)`` for two classes,
        positive for ``classes_[1]``."""
        return self._scores(X)[1]


@_doc
class SKLearnRegressor(RegressorMixin, SKLBase):
    """A deepgrad model as a scikit-learn regressor (Keras 3's ``SKLearnRegressor``).

    ``y`` may have one column or several (the default network then has one output per
    column, and ``sample_weight`` may give one weight per sample and output).
    ``predict`` returns float64 in ``y``'s shape; ``score`` is R².

    {parameters}

    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5])
    >>> reg = SKLearnRegressor(epochs=60, random_state=0, optimizer__learning_rate=0.02)
    >>> bool(reg.fit(X, y).score(X, y) > 0.95)
    True
    """

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    **kwargs: Any) -> SKLearnRegressor:
        """Train the current model (building it on the first call) for one epoch."""
        return self._fit(X, y, sample_weight, {**kwargs, "epochs": 1}, continue_model=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in float64, shaped like ``y`` in ``fit``.

        Raises:
            sklearn.exceptions.NotFittedError: before ``fit``.
            ValueError: for ``X`` with another number of features than in ``fit``.
        """
        raw = self._raw_predict(X).astype(np.float64)
        return raw.reshape(len(raw)) if self._target_ndim == 1 else raw.reshape(len(raw), -1)


@_doc
class SKLearnTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, SKLBase):
    """A deepgrad model as a scikit-learn transformer (Keras 3's ``SKLearnTransformer``).

    ``fit(X, y)`` trains the model to map ``X`` to ``y``; ``fit(X)`` without ``y``
    trains it to reproduce ``X`` (an autoencoder). ``transform`` returns the model's
    output, flattened to ``(n_samples, features)``, in float32.

    {parameters}

    >>> X = np.random.default_rng(0).normal(size=(50, 4))
    >>> SKLearnTransformer(model__units=2, random_state=0).fit_transform(X).shape
    (50, 4)
    """

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None,
            **kwargs: Any) -> SKLearnTransformer:
        """Train the model on ``X`` and ``y`` (``X`` itself when ``y`` is None).

        See :meth:`SKLearnClassifier.fit` for the arguments.
        """
        return self._fit(X, y, sample_weight, kwargs, continue_model=self.warm_start)

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None,
                    **kwargs: Any) -> SKLearnTransformer:
        """Train the current model (building it on the first call) for one epoch."""
        return self._fit(X, y, sample_weight, {**kwargs, "epochs": 1}, continue_model=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _validate_fit(self, X: Any, y: Any, reset: bool):
        if y is None:
            X = validate_data(self, X, reset=reset, dtype=(np.float32, np.float64),
                              allow_nd=True, accept_sparse=False)
            return X, X.reshape(len(X), -1)
        return super()._validate_fit(X, y, reset)

    def transform(self, X: Any) -> np.ndarray:
        """The model's output for ``X``, ``(n_samples, features)``.

        Raises:
            sklearn.exceptions.NotFittedError: before ``fit``.
            ValueError: for ``X`` with another number of features than in ``fit``.
        """
        raw = self._raw_predict(X)
        return raw.reshape(len(raw), -1)

    @property
    def _n_features_out(self) -> int:
        """The width of ``transform``'s output (for ``get_feature_names_out``)."""
        return int(np.prod(self._output_shape[1:]))
