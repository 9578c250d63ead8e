"""LambdaCallback: a callback made of plain functions, one per hook."""

from __future__ import annotations

from deepgrad.callbacks.base import Callback

__all__ = ["LambdaCallback"]

_HOOKS = tuple(
    name for name in vars(Callback) if name.startswith("on_") and callable(getattr(Callback, name))
)


class LambdaCallback(Callback):
    """Build a callback from functions, as Keras's ``LambdaCallback``.

    Each function has the hook's signature: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``,
    ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``. Other
    hooks (``on_batch_begin``, ``on_batch_end``, ``on_test_begin`` ...) are taken as
    keywords with those names.

    Args:
        on_epoch_begin, on_epoch_end, on_train_begin, on_train_end,
        on_train_batch_begin, on_train_batch_end: the functions (None to skip a hook).
        **kwargs: functions for the other ``on_*`` hooks.

    Raises:
        TypeError: for a keyword that names no hook, or a value that is not callable.

    >>> import deepgrad as dg
    >>> seen = []
    >>> cb = dg.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    >>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb])
    >>> seen
    [0, 1, 2]
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        functions = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
        )
        for name, fn in kwargs.items():
            if name not in _HOOKS:
                raise TypeError(
                    f"LambdaCallback: unknown hook {name!r}. Valid hooks are: {list(_HOOKS)}"
                )
            functions[name] = fn
        for name, fn in functions.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: `{name}` must be callable. Received: {fn!r}")
            # An instance attribute overrides the class's no-op hook; CallbackList sees it.
            setattr(self, name, fn)
