"""Callbacks: hooks into training, with Keras's names and call order.

>>> import deepgrad as dg
>>> class Count(dg.callbacks.Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         print("epoch", epoch, "loss" in logs)
>>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
>>> model.compile("sgd", "mse")
>>> _ = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0, callbacks=[Count()])
epoch 0 True
epoch 1 True
"""

from __future__ import annotations

from deepgrad import collective
from deepgrad.utils.progress import Progbar, print_msg

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "should_write", "say"]


def should_write() -> bool:
    """Whether this process writes callback output (checkpoints, logs, event files, posts).

    The one place callbacks ask: True on one process; under data-parallel training
    (:mod:`deepgrad.distribution`) only rank 0 writes. The other ranks still take the
    same decisions (their logs are the same), they only do not write them down.

    >>> should_write()
    True
    """
    group = collective.current()
    return group is None or group.should_write()


def say(message: str) -> None:
    """Print a callback's message, on the process that writes (:func:`should_write`).

    >>> say("Epoch 3: early stopping")
    Epoch 3: early stopping
    """
    if should_write():
        print(message)

_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
)


class Callback:
    """Base class: override any ``on_*`` hook; ``self.model`` and ``self.params`` are set.

    >>> Callback().params
    {}
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


def _overrides(callback: Callback, hook: str) -> bool:
    # A hook set on the instance (LambdaCallback, `cb.on_batch_end = fn`) counts too.
    return hook in vars(callback) or getattr(type(callback), hook, None) is not getattr(
        Callback, hook
    )


class CallbackList:
    """Calls every callback's hook in order; per-batch hooks only where overridden (speed).

    Args:
        callbacks: the user's callbacks.
        model: the model being trained.
        params: ``{'epochs', 'steps', 'verbose'}``.
        add_history: append a :class:`History` (fit does).
        add_progbar: append a :class:`ProgbarLogger` unless one is given.
    """

    def __init__(
        self,
        callbacks=None,
        model=None,
        params: dict | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
    ):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"`callbacks` must be a list of dg.callbacks.Callback. Received: {cb!r}"
                )
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.history = None
        if add_history:
            self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
            if self.history is None:
                self.history = History()
                self.callbacks.append(self.history)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(dict(params or {}))
        self._batch = {
            hook: [
                getattr(c, hook)
                for c in self.callbacks
                if _overrides(c, hook)
                or (hook.startswith("on_train_batch") and _overrides(c, hook.replace("train_", "")))
            ]
            for hook in _BATCH_HOOKS
        }

    def _call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def batch_hook(self, hook: str):
        """Return a function calling ``hook`` on the callbacks that define it, or None."""
        fns = self._batch[hook]
        if not fns:
            return None

        def call(batch, logs=None):
            for fn in fns:
                fn(batch, logs)

        return call


class History(Callback):
    """Records each epoch's logs: ``history.history['loss']`` has one value per epoch.

    >>> h = History(); h.on_train_begin(); h.on_epoch_end(0, {"loss": 1.0}); h.history
    {'loss': [1.0]}
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and a progress bar (verbose 1) or one line (verbose 2) per epoch.

    ``fit`` adds one unless you pass your own (its verbosity comes from ``fit``'s
    ``verbose``). As in Keras 3, ``Epoch i/n`` is printed only when there are several
    epochs, and validation inside ``fit`` is silent. deepgrad's ``evaluate`` and
    ``predict`` draw their own bar, so this callback acts in ``fit`` only. Output goes
    through :func:`deepgrad.utils.disable_interactive_logging`'s switch.

    >>> ProgbarLogger().verbose
    1
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._bar = None
        self._seen = 0

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")
        self._bar = Progbar(self.target, verbose=self.verbose)
        self._seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self._bar is not None and self.verbose == 1:
            self._bar.update(self._seen, logs or {}, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self.target or max(self._seen, 1), logs or {}, finalize=True)
            self._bar = None

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
