"""The loops behind ``Model.fit``, ``evaluate`` and ``predict`` (``self`` is the model).

``fit`` owns epochs, shuffling, validation, callbacks and progress, and calls
``model.train_step`` once per batch; everything per-step is kept lean so that small
models are not dominated by framework overhead.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(1,))])
>>> model.compile(optimizer=dg.optimizers.SGD(0.1), loss="mse")
>>> history = model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=3, verbose=0)
>>> len(history.history["loss"])
3
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings

import numpy as np

from deepgrad import collective, config, tree
from deepgrad.callbacks import CallbackList, TerminateOnNaN
from deepgrad.models import class_weights, dense_step
from deepgrad.models.data_adapter import adapt, check_arrays, split_for_validation, unpack
from deepgrad.tensor import Tensor, no_grad
from deepgrad.utils.data_utils import pack_x_y_sample_weight
from deepgrad.utils.progress import Progbar, resolve_verbose

__all__ = ["fit", "evaluate", "predict", "prepare_batch", "format_result", "to_numpy"]


def _positive_int(who: str, name: str, value, allow_none: bool = True):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{who}: `{name}` must be a positive int. Received: {name}={value!r}")
    return int(value)


def _model_dtype(model):
    return np.dtype(model.dtype)


def fit(
    model,
    x=None,
    y=None,
    *,
    batch_size=None,
    epochs=1,
    verbose="auto",
    callbacks=None,
    validation_split=0.0,
    validation_data=None,
    shuffle=True,
    class_weight=None,
    sample_weight=None,
    initial_epoch=0,
    steps_per_epoch=None,
    validation_steps=None,
    validation_batch_size=None,
    validation_freq=1,
    stop_on_nan=True,
):
    """Train ``model`` (see :meth:`deepgrad.Model.fit`): check the arguments, prepare the
    batches (:func:`fit_data`), then run the epochs (:func:`run_epochs`)."""
    model._require_compiled("fit")
    batch_size = _positive_int("fit", "batch_size", batch_size) or 32
    epochs = _positive_int("fit", "epochs", epochs, allow_none=False)
    if config.max_epochs() is not None and config.max_epochs() < epochs:  # Keras's debug cap
        warnings.warn(f"Limiting epochs to {config.max_epochs()}", stacklevel=3)
        epochs = config.max_epochs()
    steps_per_epoch = _positive_int("fit", "steps_per_epoch", steps_per_epoch)
    verbose = resolve_verbose(verbose)
    if class_weight is not None:
        class_weight = class_weights.check(class_weight)
        if sample_weight is not None:
            raise ValueError("fit: you cannot use `class_weight` and `sample_weight` at the "
                             "same time.")
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) or initial_epoch < 0:
        raise ValueError(f"fit: `initial_epoch` must be an int >= 0. Received: {initial_epoch!r}")
    train, val = fit_data(
        model, x, y, sample_weight, batch_size, steps_per_epoch, validation_split,
        validation_data, validation_batch_size or batch_size, validation_steps, class_weight,
    )
    callback_list = CallbackList(
        callbacks,
        model=model,
        add_history=True,
        add_progbar=verbose != 0,
        params={"epochs": epochs, "steps": train.steps_per_epoch, "verbose": verbose},
    )
    if any(isinstance(c, TerminateOnNaN) for c in callback_list.callbacks):
        stop_on_nan = False  # the callback ends training itself, the Keras way
    with _guard():
        return run_epochs(model, train, val, callback_list, range(initial_epoch, epochs),
                          shuffle, validation_freq, stop_on_nan)


def _guard():
    """Under data-parallel training, a rank that raises tells the others (they fail too)."""
    group = collective.current()
    return contextlib.nullcontext() if group is None else group.guard()


def keras_form(model, kind: str):
    """``model``'s ``train_step``, ``test_step`` or ``predict_step`` (``kind``), given each
    batch as Keras gives it: ``(x, y)`` without sample weights, ``x`` alone without
    targets (``dg.utils.pack_x_y_sample_weight``), so that the ``x, y = data`` of Keras's
    guide to overriding ``train_step`` works. The loops carry ``(x, y, sample_weight)``;
    the built-in steps read every form and are returned as they are.

    >>> import deepgrad as dg
    >>> class Seen(dg.Model):
    ...     def test_step(self, data):
    ...         return {"parts": float(len(data))}
    >>> model = Seen(*(lambda i: (i, dg.layers.Dense(1)(i)))(dg.Input((2,))))
    >>> keras_form(model, "test")((np.ones((1, 2)), np.ones((1, 1)), None))
    {'parts': 2.0}
    """
    step = getattr(model, _STEP_NAMES[kind])
    if getattr(step, "__func__", None) is _built_in_step(kind):
        return step
    if kind == "predict":
        return lambda batch: step(pack_x_y_sample_weight(*batch))

    def run(batch) -> dict:
        return _flat_logs(step(pack_x_y_sample_weight(*batch)))

    return run


_STEP_NAMES = {"train": "train_step", "test": "test_step", "predict": "predict_step"}
_BUILT_IN: dict = {}


def _built_in_step(kind: str):
    """``Model.train_step`` (``test_step``, ``predict_step``), looked up once: models'
    module imports this one."""
    if not _BUILT_IN:
        from deepgrad.models.model import Model

        _BUILT_IN.update({k: getattr(Model, name) for k, name in _STEP_NAMES.items()})
    return _BUILT_IN[kind]


def _flat_logs(logs):
    """A step's logs with nested dicts (``compile_metrics``' results) merged in, as Keras."""
    if not isinstance(logs, dict) or not any(isinstance(v, dict) for v in logs.values()):
        return logs
    flat: dict = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(_flat_logs(value))
        else:
            flat[key] = value
    return flat


def batch_step(model, kind: str):
    """``model.train_step`` (``kind="train"``) or ``test_step`` for ``train_on_batch`` and
    ``test_on_batch``; under data-parallel training each rank passes its own batch (as
    with Horovod): wrapped as fit wraps it, with rank 0's weights copied at the model's
    first training call, each rank's gradient weighted equally, logs over all ranks."""
    group = collective.current()
    step = keras_form(model, kind)
    if group is None:
        return step
    step = (group.train_step(model, step, every_fit=False) if kind == "train"
            else group.test_step(model, step))

    def run(batch):
        with group.guard():
            return step(batch)

    return run


def _distributed(batches):
    """This rank's slice of each batch under data-parallel training (deepgrad.distribution)."""
    group = collective.current()
    return batches if group is None else group.distribute_data(batches)


def fit_data(model, x, y, sample_weight, batch_size: int, steps_per_epoch, validation_split,
             validation_data, validation_batch_size: int, validation_steps,
             class_weight: dict | None = None) -> tuple:
    """The training batches and the validation batches (None without validation) for fit.

    ``validation_data`` (``(x, y)``, ``(x, y, sample_weight)``, or a dataset) takes
    precedence over ``validation_split``, as in Keras; the split keeps the last fraction
    of the arrays, before any shuffling. ``class_weight`` (checked) weighs the training
    samples only (:mod:`deepgrad.models.class_weights`).
    """
    dtype = _model_dtype(model)
    if validation_split and validation_data is None:
        (x, y, sample_weight), validation_data = split_for_validation(
            x, y, sample_weight, validation_split, dtype
        )
    if class_weight is not None and y is not None:  # arrays: the weights made once
        x, y, _ = check_arrays(x, y, None, "fit", dtype)
        sample_weight = class_weights.sample_weights(y, class_weight)
    train = adapt(x, y, sample_weight, batch_size, steps_per_epoch, "fit", dtype)
    if class_weight is not None and y is None:  # a dataset's batches, weighed one by one
        train = class_weights.Weighted(train, class_weight)
    train = _distributed(train)
    if validation_data is None:
        return train, None
    if isinstance(validation_data, tuple) and len(validation_data) in (2, 3):
        vx, vy, vsw = unpack(validation_data)
    else:
        vx, vy, vsw = validation_data, None, None
    val = adapt(vx, vy, vsw, validation_batch_size, validation_steps, "fit (validation_data)",
                dtype, "validation_data")
    return train, _distributed(val)


def run_epochs(model, train, val, callback_list, epochs: range, shuffle, validation_freq: int,
               stop_on_nan: bool):
    """The epoch loop: one ``model.train_step`` per batch, validation after the epochs that
    ``validation_freq`` picks, the callbacks' hooks; returns the ``History``.

    What does not change between steps (the hooks that have work to do, the bound
    ``train_step``, the step count) is looked up once, before the loop.
    """
    batch_begin = callback_list.batch_hook("on_train_batch_begin")
    batch_end = callback_list.batch_hook("on_train_batch_end")
    model.stop_training = False
    model._train_variables = None
    model._dense_step = None
    model._penalty_sources = None
    train_step = keras_form(model, "train")
    group = collective.current()
    if group is not None:  # data-parallel: gradients and logs over all ranks
        train_step = group.train_step(model, train_step)
    steps = train.steps_per_epoch
    logs: dict = {}
    callback_list.on_train_begin()
    # BackupAndRestore's on_train_begin may restore a backup: start at its epoch (Keras's
    # model._initial_epoch) and skip the batches of that epoch done before it (read once).
    resume_epoch = vars(model).pop("_initial_epoch", None)
    skip = vars(model).pop("_initial_step", 0) or 0
    if resume_epoch is not None:
        epochs = range(max(epochs.start, resume_epoch), epochs.stop)
    for epoch in epochs:
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        step = -1
        batches = enumerate(train.epoch(shuffle, epoch))
        if skip:
            batches, skip = itertools.islice(batches, skip, None), 0
        for step, batch in batches:
            if batch_begin is not None:
                batch_begin(step)
            try:
                logs = train_step(batch)
            except ValueError as error:
                _explain_first_batch(train, step, error)
            if stop_on_nan and not math.isfinite(logs.get("loss", 0.0)):
                raise FloatingPointError(
                    f"fit: the loss became {logs['loss']} at epoch {epoch + 1}, batch {step + 1}"
                    f"{f' of {steps}' if steps else ''}. Common causes: a learning rate that is "
                    "too high, inputs that are not scaled, or a log of zero in a custom loss. "
                    "To keep training anyway, pass fit(..., stop_on_nan=False)."
                )
            if batch_end is not None:
                batch_end(step, logs)
            if model.stop_training:
                break
        if step < 0:
            raise ValueError("fit: the training data produced no batches.")
        epoch_logs = dict(logs)
        if val is not None and (epoch + 1) % validation_freq == 0:
            callback_list.on_test_begin()  # Keras validates through evaluate's hooks
            val_logs = _test_loop(model, val, callback_list, epoch)
            callback_list.on_test_end(val_logs)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        model._epoch = epoch + 1  # the epoch reached, recorded in saved checkpoints
        callback_list.on_epoch_end(epoch, epoch_logs)
        logs = epoch_logs
        if model.stop_training:
            break
    finalize = getattr(getattr(model, "optimizer", None), "finalize_variable_values", None)
    if finalize is not None:  # Keras: with use_ema, the moving average becomes the weights
        finalize(model.trainable_weights)
    callback_list.on_train_end(logs)
    return callback_list.history


def _explain_first_batch(data, step: int, error: ValueError):
    """Re-raise ``error``; on the first batch of a dataset that was never batched, raise
    the error that says so instead (the model's own would name a missing batch axis)."""
    explained = data.unbatched_error() if step == 0 and hasattr(data, "unbatched_error") \
        else None
    if explained is None:
        raise error
    raise explained from error


def _test_loop(self, data, callback_list=None, epoch: int | None = None) -> dict:
    self.reset_metrics()
    logs: dict = {}
    begin = callback_list.batch_hook("on_test_batch_begin") if callback_list else None
    end = callback_list.batch_hook("on_test_batch_end") if callback_list else None
    test_step = keras_form(self, "test")
    group = collective.current()
    if group is not None:  # data-parallel: logs over all ranks
        test_step = group.test_step(self, test_step)
    for step, batch in enumerate(data.epoch(False, epoch)):
        if begin is not None:
            begin(step)
        try:
            logs = test_step(batch)
        except ValueError as error:
            _explain_first_batch(data, step, error)
        if end is not None:
            end(step, logs)
    if not logs:
        raise ValueError("evaluate: the data produced no batches.")
    return logs


def format_result(self, logs: dict, return_dict: bool):
    """Keras's return form: the dict, the loss alone, or ``[loss, *metrics]``."""
    if return_dict:
        return dict(logs)
    values = [logs[name] for name in self.metrics_names if name in logs]
    values += [v for k, v in logs.items() if k not in self.metrics_names]
    return values[0] if len(values) == 1 else values


def evaluate(
    self,
    x=None,
    y=None,
    *,
    batch_size=None,
    verbose="auto",
    sample_weight=None,
    steps=None,
    callbacks=None,
    return_dict=False,
):
    """Evaluate ``self`` (see :meth:`deepgrad.Model.evaluate`)."""
    self._require_compiled("evaluate")
    batch_size = _positive_int("evaluate", "batch_size", batch_size) or 32
    verbose = resolve_verbose(verbose)
    data = _distributed(adapt(x, y, sample_weight, batch_size, steps, "evaluate",
                              _model_dtype(self)))
    callback_list = CallbackList(callbacks, model=self, params={"verbose": verbose})
    callback_list.on_test_begin()
    # Made before the loop: its clock gives the time per step that the line shows.
    bar = Progbar(data.steps_per_epoch, verbose=verbose) if verbose else None
    with _guard():
        logs = _test_loop(self, data, callback_list)
    if bar is not None:
        bar.update(bar.target or 1, logs, finalize=True)
    callback_list.on_test_end(logs)
    return format_result(self, logs, return_dict)


def predict(self, x, *, batch_size=None, verbose="auto", steps=None, callbacks=None):
    """Predict with ``self`` (see :meth:`deepgrad.Model.predict`)."""
    batch_size = _positive_int("predict", "batch_size", batch_size) or 32
    dtype = _model_dtype(self)
    if isinstance(x, (list, tuple)) and not any(isinstance(v, (np.ndarray, dict)) for v in x):
        x = np.asarray(x)
    if isinstance(x, np.ndarray) and len(x) <= batch_size and callbacks is None and steps is None:
        # Small inputs go straight through the forward pass: no batching, no progress bar.
        x, _, _ = check_arrays(x, None, None, "predict", dtype)
        out = dense_step.predict(self, x)
        if out is not None:
            return out
        with no_grad():
            return to_numpy(self._step_call(x, False))
    verbose = resolve_verbose(verbose)
    data = _distributed(adapt(x, None, None, batch_size, steps, "predict", dtype))
    callback_list = CallbackList(callbacks, model=self, params={"verbose": verbose})
    callback_list.on_predict_begin()
    outputs = []
    steps = data.steps_per_epoch
    bar = Progbar(steps, verbose=verbose if steps and steps > 1 else 0)
    predict_step, group = keras_form(self, "predict"), collective.current()
    if group is not None:  # data-parallel: each rank predicts its slices
        predict_step = group.predict_step(predict_step)
    with _guard():
        for step, batch in enumerate(data.epoch(False)):
            try:
                outputs.append(predict_step(batch))
            except ValueError as error:
                _explain_first_batch(data, step, error)
            bar.update(step + 1, finalize=step + 1 == steps)
        bar.close()
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict: the data produced no batches.")
        return _concat(outputs) if group is None else group.gather_predictions(outputs)


def to_numpy(outputs):
    """A model's outputs as NumPy arrays, in their structure (a tuple of outputs as a list).

    >>> to_numpy((Tensor(np.ones(2)), {"b": np.zeros(1)}))
    [array([1., 1.]), {'b': array([0.])}]
    """
    if isinstance(outputs, Tensor):
        return outputs.data
    arrays = tree.map_structure(_as_numpy, outputs)
    return list(arrays) if isinstance(arrays, tuple) else arrays


def _as_numpy(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _concat(batches: list):
    """Join the batches' outputs along the batch axis, in their structure."""
    if isinstance(batches[0], np.ndarray):
        return np.concatenate(batches)
    return tree.map_structure(lambda *parts: np.concatenate(parts), *batches)


def prepare_batch(self, x, y, sample_weight, who: str) -> tuple:
    """Validate and convert one batch for the ``*_on_batch`` methods."""
    return check_arrays(x, y, sample_weight, who, _model_dtype(self))
