"""Ops on symbolic tensors: every public op also runs on ``dg.Input``-derived tensors.

In Keras 3 any ``keras.ops`` function called on a KerasTensor becomes a node of the
functional graph. deepgrad does the same with one decorator, :func:`op`: before running,
the op looks at its arguments (and one level into lists and tuples, for ``concatenate``
and friends); when one is a :class:`Symbolic` value, the call is handed to that value's
``_op_call``, which records a graph node (see ``layers/keras_tensor.py``). Otherwise the
eager function runs as it is. The symbolic class lives above ``ops`` in the stack, so ops
only know this small base class.

>>> @op
... def twice(x):
...     return x * 2
>>> twice(3), twice.__name__
(6, 'twice')
"""

from __future__ import annotations

import functools
from collections.abc import Callable

__all__ = ["Symbolic", "op", "find_symbolic"]


class Symbolic:
    """Base of symbolic values (KerasTensor); an op on one is handed to ``_op_call``.

    >>> isinstance(3, Symbolic)
    False
    """

    __slots__ = ()

    def _op_call(self, fn: Callable, name: str, args: tuple, kwargs: dict):
        """Record ``fn(*args, **kwargs)`` as a graph node; return its symbolic output."""
        raise NotImplementedError


def find_symbolic(args: tuple, kwargs: dict) -> Symbolic | None:
    """The first symbolic argument, looking one level into lists and tuples.

    >>> find_symbolic((1, [2, 3]), {}) is None
    True
    """
    for a in args:
        if isinstance(a, Symbolic):
            return a
        if type(a) is list or type(a) is tuple:
            for b in a:
                if isinstance(b, Symbolic):
                    return b
    if kwargs:
        return find_symbolic(tuple(kwargs.values()), {})
    return None


_HOLDERS = (Symbolic, list, tuple)


def _holds_symbolic(value) -> bool:
    """Whether ``value`` is symbolic or a list/tuple with a symbolic element."""
    if isinstance(value, Symbolic):
        return True
    for v in value:  # a plain loop: any() over a generator costs more on short tuples
        if isinstance(v, Symbolic):
            return True
    return False


def op(fn: Callable | None = None, *, name: str | None = None) -> Callable:
    """Make ``fn`` a public op: eager on Tensors, a graph node on symbolic tensors.

    Args:
        fn: the eager function.
        name: the op's public name (``'image.resize'`` for ops of a sub-namespace); the
            function's own name by default. Saved models name the op by it.

    >>> op(name="image.resize")(lambda x: x)._op_name
    'image.resize'
    """
    if fn is None:
        return functools.partial(op, name=name)
    op_name = name or fn.__name__

    @functools.wraps(fn)
    def dispatch(*args, **kwargs):
        # The common case, no symbolic argument, costs one isinstance per argument
        # (benchmarks/ops_overhead.py).
        for a in args:
            if isinstance(a, _HOLDERS) and _holds_symbolic(a):
                return find_symbolic(args, kwargs)._op_call(fn, op_name, args, kwargs)
        if kwargs:
            for a in kwargs.values():
                if isinstance(a, _HOLDERS) and _holds_symbolic(a):
                    return find_symbolic(args, kwargs)._op_call(fn, op_name, args, kwargs)
        return fn(*args, **kwargs)

    dispatch._op_name = op_name
    return dispatch
