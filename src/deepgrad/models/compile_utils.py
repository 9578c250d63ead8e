"""What ``compile`` resolves: the loss per output (with weights) and the metrics per output.

>>> import deepgrad as dg
>>> loss = CompiledLoss("mse", None, ["dense"])
>>> total, parts = loss([np.zeros((2, 1))], [dg.Tensor(np.ones((2, 1), dtype="float32"))], None)
>>> float(total.data)
1.0
"""

from __future__ import annotations

import numpy as np

from deepgrad import losses as losses_module
from deepgrad import metrics as metrics_module
from deepgrad import tree
from deepgrad.tensor import Tensor

__all__ = ["CompiledLoss", "CompiledMetrics", "per_output", "by_output"]


def by_output(values, output_names: list[str], losses: list | None = None) -> list:
    """Targets or predictions in the outputs' order: a dict keyed by output names is taken
    by name (as Keras does), None for an output it leaves out (targets only for the outputs
    that have a loss, as ``compile(loss={"class_output": ...})`` allows); any other
    structure in flatten order (a dict by sorted key, as the outputs of a dict-output model).
    Given the compiled ``losses`` (None where an output has none), a list with one target
    per loss is spread onto the outputs that have one, as Keras 3 does for
    ``compile(loss=[None, "mse"])`` and ``fit(x, [y])``.

    >>> by_output({"b": 2, "a": 1}, ["b", "a"]), by_output((1, 2), ["a", "b"])
    ([2, 1], [1, 2])
    >>> by_output({"b": 2}, ["a", "b"]), by_output([2], ["a", "b"], [None, "mse"])
    ([None, 2], [None, 2])
    """
    if len(output_names) == 1:
        return [values]
    if isinstance(values, dict) and values and set(values) <= set(output_names):
        return [values.get(name) for name in output_names]
    flat = tree.flatten(values)
    if losses is not None and len(flat) < len(output_names):
        have_loss = [i for i, fn in enumerate(losses) if fn is not None]
        if len(flat) == len(have_loss):
            spread = [None] * len(output_names)
            for i, value in zip(have_loss, flat):
                spread[i] = value
            return spread
    return flat


def per_output(value, output_names: list[str], what: str) -> list:
    """Spread a compile argument over the outputs: one value for all, a list, or a dict by name.

    >>> per_output("mse", ["a", "b"], "loss")
    ['mse', 'mse']
    >>> per_output({"b": "mae"}, ["a", "b"], "loss")
    [None, 'mae']
    """
    n = len(output_names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            raise ValueError(
                f"compile: `{what}` has keys {unknown} that are not output names. The model's "
                f"outputs are named {output_names}."
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and what != "metrics":
        if len(value) != n:
            raise ValueError(
                f"compile: `{what}` has {len(value)} entries but the model has {n} output"
                f"{'s' if n != 1 else ''} ({', '.join(output_names)}). Give one entry per output "
                "or a dict keyed by output name."
            )
        return list(value)
    if (
        what == "metrics"
        and isinstance(value, (list, tuple))
        and n > 1
        and value
        and all(isinstance(v, (list, tuple)) or v is None for v in value)
    ):
        if len(value) != n:
            raise ValueError(
                f"compile: `metrics` has {len(value)} lists but the model has {n} outputs."
            )
        return list(value)
    return [value] * n


class CompiledLoss:
    """The training loss: a weighted sum of one loss per output.

    Args:
        loss: a loss name, function or object; a list (one per output) or a dict by name.
        loss_weights: optional list or dict of floats.
        output_names: the model's output names.
    """

    def __init__(self, loss, loss_weights, output_names: list[str]):
        self.output_names = list(output_names)
        entries = per_output(loss, self.output_names, "loss")
        weights = per_output(
            loss_weights if loss_weights is not None else 1.0, self.output_names, "loss_weights"
        )
        self.losses = [None if e is None else losses_module.as_loss(e) for e in entries]
        self.weights = [1.0 if w is None else float(w) for w in weights]
        if all(fn is None for fn in self.losses):
            raise ValueError("compile: no loss was given for any output.")

    def __call__(self, y_true: list, y_pred: list, sample_weight) -> tuple[Tensor, list]:
        """Return the total loss Tensor and each output's loss value (or None)."""
        if len(y_true) != len(self.losses):
            raise ValueError(
                f"The targets `y` hold {len(y_true)} arrays but the model has "
                f"{len(self.losses)} outputs ({', '.join(self.output_names)}). Give one target "
                "per output (or one per output that has a loss), or a dict keyed by output name."
            )
        total = None
        parts: list = []
        for name, fn, weight, yt, yp in zip(
            self.output_names, self.losses, self.weights, y_true, y_pred
        ):
            if fn is None:
                parts.append(None)
                continue
            if yt is None:
                where = f" for output '{name}'" if len(self.output_names) > 1 else ""
                raise ValueError(
                    f"The model has a loss{where} but no target `y` was given. Pass `y` to "
                    "fit() or yield (x, y) from the dataset."
                )
            value = _apply_loss(fn, yt, yp, sample_weight)
            parts.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, parts


def _apply_loss(fn, y_true, y_pred, sample_weight) -> Tensor:
    if isinstance(fn, losses_module.Loss):
        return fn(y_true, y_pred, sample_weight=sample_weight)
    values = fn(y_true, y_pred)
    if sample_weight is not None:
        values = values * Tensor(
            np.asarray(sample_weight, dtype=values.dtype).reshape(
                values.shape[:1] + (1,) * (values.ndim - 1)
            )
        )
    return values.mean() if values.ndim else values


class CompiledMetrics:
    """The metrics of each output, resolved on the first batch (when shapes are known).

    Until then it stands in ``model.metrics`` for them as Keras's ``compile_metrics``
    does, so that an overriding ``train_step`` that updates every one of ``self.metrics``
    with ``(y, y_pred)`` updates the compiled metrics too (Keras's guide to customizing
    ``fit``); once resolved, ``model.metrics`` lists them one by one.
    """

    name = "compile_metrics"

    def __init__(self, metrics, output_names: list[str], losses: list, weighted_metrics=None):
        self.output_names = list(output_names)
        self.requested = per_output(metrics, self.output_names, "metrics")
        self.requested_weighted = per_output(weighted_metrics, self.output_names, "metrics")
        self.losses = losses
        # Per output, (logged name, metric, weighted) once resolved.
        self.metrics: list[list] | None = None

    @property
    def stands_in(self) -> bool:
        """Whether metrics were asked for and are not resolved yet."""
        return self.metrics is None and any(
            w is not None and w != [] for w in self.requested + self.requested_weighted
        )

    # -- the Metric protocol, for an overriding train_step (see the class) -----------------
    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """One batch, in the model's structures (``Model.compute_metrics`` calls it)."""
        preds = [p.data if isinstance(p, Tensor) else p for p in tree.flatten(y_pred)]
        self.update(by_output(y_true, self.output_names, self.losses), preds, sample_weight)

    def result(self) -> dict[str, float]:
        return self.results()

    def reset_state(self) -> None:
        self.reset()

    def get_config(self) -> dict:
        return {}

    def _build(self, y_true: list, y_pred: list) -> None:
        # Keras's names: an output's name in front when there are several outputs; a
        # weighted metric whose name a plain one already has is logged as weighted_<name>.
        self.metrics = [[] for _ in self.output_names]
        prefix = len(self.output_names) > 1
        taken: dict[str, int] = {}
        for weighted, requested in ((False, self.requested), (True, self.requested_weighted)):
            for built, name, wanted, loss, yt, yp in zip(
                self.metrics, self.output_names, requested, self.losses, y_true, y_pred
            ):
                wanted = [] if wanted is None else wanted
                for identifier in wanted if isinstance(wanted, (list, tuple)) else [wanted]:
                    metric = _resolve_metric(identifier, loss, yt, yp)
                    own = f"{name}_{metric.name}" if prefix else metric.name
                    if own in taken and weighted:
                        own = f"{name}_weighted_{metric.name}" if prefix else (
                            f"weighted_{metric.name}")
                    if own in taken:
                        taken[own] += 1
                        own = f"{own}_{taken[own] - 1}"
                    else:
                        taken[own] = 1
                    built.append((own, metric, weighted))

    def update(self, y_true: list, y_pred: list, sample_weight) -> None:
        """Update with one batch: ``metrics`` unweighted and ``weighted_metrics`` with
        ``sample_weight`` (or the weights that ``class_weight`` gives), as in Keras."""
        if self.metrics is None:
            self._build(y_true, y_pred)
        if isinstance(sample_weight, (list, tuple, dict)) and len(self.output_names) > 1:
            weights = by_output(sample_weight, self.output_names)
        else:
            weights = [sample_weight] * len(self.output_names)
        for built, yt, yp, sw in zip(self.metrics, y_true, y_pred, weights):
            for _, metric, weighted in built:
                metric.update_state(yt, yp, sample_weight=sw if weighted else None)

    def results(self) -> dict[str, float]:
        if self.metrics is None:
            return {}
        return {name: float(m.result()) for built in self.metrics for name, m, _ in built}

    def reset(self) -> None:
        for built in self.metrics or []:
            for _, metric, _ in built:
                metric.reset_state()

    @property
    def all(self) -> list:
        return [m for built in self.metrics or [] for _, m, _ in built]


def _resolve_metric(identifier, loss, y_true, y_pred):
    """A compile ``metrics`` entry as a Metric: ``'accuracy'`` by the loss and shapes."""
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        return metrics_module.resolve_accuracy(
            loss, np.shape(y_true), np.shape(y_pred), name=identifier
        )
    metric = metrics_module.get(identifier)
    if not isinstance(metric, metrics_module.Metric):
        return metrics_module.MeanMetricWrapper(
            metric, name=getattr(metric, "__name__", "metric")
        )
    if isinstance(identifier, str) and metric.name != identifier:
        metric.name = identifier
    return metric
