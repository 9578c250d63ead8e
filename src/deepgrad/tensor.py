"""Tensor, the computation graph, and reverse-mode automatic differentiation.

A :class:`Tensor` wraps a NumPy array. An operation on tensors (see ``deepgrad.ops``)
computes its output array and, when gradients are enabled and some input needs them,
records a backward function right beside it. :meth:`Tensor.backward` sorts the graph
once and runs those functions in reverse order, accumulating gradients with ``+``.

>>> import deepgrad as dg
>>> x = dg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from __future__ import annotations

import itertools
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from heapq import heappop, heappush

import numpy as np

from deepgrad import config
from deepgrad.scopes import scoped

__all__ = [
    "Tensor",
    "Variable",
    "GradientTape",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "as_tensor",
    "make_result",
    "grad",
    "gradient_destination",
    "unbroadcast",
]

BackwardFn = Callable[[np.ndarray], Sequence[np.ndarray | None]]


class _GradMode(threading.local):
    # Thread-local so that data-pipeline threads running under no_grad never
    # switch recording off for the training thread.
    enabled = True


_grad_mode = _GradMode()
# Numbers recorded ops in creation order; backward runs them from the highest down.
_creation_counter = itertools.count(1)


def is_grad_enabled() -> bool:
    """Return whether operations currently record the graph for backward.

    >>> is_grad_enabled()
    True
    """
    return _grad_mode.enabled


class no_grad:
    """Context manager (and decorator) that stops operations from recording the graph.

    >>> import deepgrad as dg
    >>> w = dg.Tensor([1.0], requires_grad=True)
    >>> with dg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    _enable = False

    def __enter__(self) -> None:
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = self._enable

    def __exit__(self, *exc) -> None:
        _grad_mode.enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        mode = type(self)

        def wrapper(*args, **kwargs):
            with mode():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = fn.__doc__
        return wrapper


class enable_grad(no_grad):
    """Context manager that turns graph recording back on inside a :class:`no_grad` block.

    >>> import deepgrad as dg
    >>> with dg.no_grad():
    ...     with enable_grad():
    ...         print(is_grad_enabled())
    True
    """

    _enable = True


def _to_array(data, dtype=None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    if isinstance(data, np.ndarray):
        return data
    array = np.asarray(data)
    # Python floats and lists of them become the default float type (float32),
    # never a silent float64.
    if array.dtype == np.float64 and not isinstance(data, np.generic):
        array = array.astype(config.floatx())
    return array


def _arrays_in(value):
    """``value`` with every Tensor (also inside lists, tuples and dicts) as its array."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, list):
        return [_arrays_in(v) for v in value]
    if isinstance(value, tuple):
        items = [_arrays_in(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        return {k: _arrays_in(v) for k, v in value.items()}
    return value


class Tensor:
    """A NumPy array that remembers how it was computed, so gradients can flow back.

    Args:
        data: an array, a nested list, a number, or another Tensor.
        requires_grad: whether gradients should be computed for this tensor.
        dtype: optional dtype; Python floats default to ``float32``.
        name: optional name, shown in ``repr``.

    >>> t = Tensor([[1, 2], [3, 4]], dtype="float32")
    >>> t.shape, t.dtype
    ((2, 2), dtype('float32'))

    NumPy's functions take Tensors and give NumPy's answers (not recorded for gradients):

    >>> np.max(t), np.mean(t, axis=0)
    (np.float32(4.0), array([2., 3.], dtype=float32))
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "name", "__weakref__")
    # Make ``ndarray + Tensor`` call Tensor.__radd__ instead of NumPy broadcasting over it.
    __array_priority__ = 1000

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        self.data = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._node: _Node | None = None
        self.name = name

    # -- properties -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        return self.transpose()

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def _keras_mask(self) -> Tensor | None:
        """Keras's mask of this tensor (True for real steps), as a boolean Tensor, or None.

        Kept in a side table (:mod:`deepgrad.ops.masks`), not in the Tensor; assigning
        notes a mask, None removes it.

        >>> import deepgrad as dg
        >>> dg.layers.Embedding(10, 2, mask_zero=True)(np.array([[3, 0]]))._keras_mask
        Tensor([[ True, False]], dtype=bool)
        """
        mask = _masks.get_keras_mask(self)
        return None if mask is None else Tensor(mask)

    @_keras_mask.setter
    def _keras_mask(self, mask) -> None:
        _masks.set_keras_mask(self, mask)

    def numpy(self) -> np.ndarray:
        """Return the underlying array (not a copy; :meth:`Variable.numpy` copies)."""
        return self.data

    def item(self) -> float | int:
        """Return the value of a one-element tensor as a Python number."""
        return self.data.item()

    def detach(self) -> Tensor:
        """Return a tensor sharing the data but cut from the graph."""
        return Tensor(self.data)

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __array_function__(self, func, types, args, kwargs):
        # NumPy functions (np.max, np.mean, np.concatenate...) on Tensors give NumPy's
        # answers on the arrays, as they do on TensorFlow's tensors in Keras code; they are
        # outside the graph. Operators (ndarray + Tensor) still build it: __array_priority__.
        return func(*_arrays_in(args), **_arrays_in(kwargs))

    def __len__(self) -> int:
        return len(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __format__(self, format_spec: str) -> str:
        # f"{loss:.4f}" formats the value as TensorFlow's tensors do; f"{t}" is str(t).
        if not format_spec:
            return str(self)
        return format(self.data.item() if self.data.ndim == 0 else self.data, format_spec)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        name = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({body}, dtype={self.data.dtype}{extra}{name})"

    __hash__ = object.__hash__

    # -- autograd ---------------------------------------------------------------------
    def backward(self, gradient=None) -> None:
        """Compute gradients of this tensor with respect to every leaf that requires them.

        Gradients accumulate into each leaf's ``.grad`` (set it to ``None`` to reset).

        Args:
            gradient: the gradient flowing in; may be omitted for a one-element tensor.

        Raises:
            RuntimeError: if the tensor does not require grad, or is not a scalar and no
                ``gradient`` was given.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad. To fix, create the leaves "
                "with requires_grad=True (or use dg.Variable) and do not wrap the "
                "computation in no_grad()."
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: a gradient can be created implicitly only for a one-element "
                    f"tensor; this one has shape {self.shape}. Pass `gradient=`."
                )
            seed = np.ones_like(self.data)
        else:
            seed = _checked_seed(gradient, self)
        for leaf, g in _backpropagate(self, seed, targets=None):
            leaf.grad = g if leaf.grad is None else leaf.grad + g

    # -- operators (implemented in deepgrad.ops) -------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.subtract(self, other)

    def __rsub__(self, other):
        return _ops.subtract(other, self)

    def __mul__(self, other):
        return _ops.multiply(self, other)

    def __rmul__(self, other):
        return _ops.multiply(other, self)

    def __truediv__(self, other):
        return _ops.divide(self, other)

    def __rtruediv__(self, other):
        return _ops.divide(other, self)

    def __pow__(self, other):
        return _ops.power(self, other)

    def __rpow__(self, other):
        return _ops.power(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.negative(self)

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __lt__(self, other):
        return Tensor(self.data < _to_array(other))

    def __le__(self, other):
        return Tensor(self.data <= _to_array(other))

    def __gt__(self, other):
        return Tensor(self.data > _to_array(other))

    def __ge__(self, other):
        return Tensor(self.data >= _to_array(other))

    def __eq__(self, other):  # type: ignore[override]
        return Tensor(self.data == _to_array(other))

    def __ne__(self, other):  # type: ignore[override]
        return Tensor(self.data != _to_array(other))

    def reshape(self, *shape):
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return _ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def flatten(self):
        return _ops.reshape(self, (-1,))

    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops.min(self, axis=axis, keepdims=keepdims)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def relu(self):
        return _ops.relu(self)

    def clip(self, min_value, max_value):
        return _ops.clip(self, min_value, max_value)

    def astype(self, dtype):
        return _ops.cast(self, dtype)


def _initial_value(value, initializer, initial_value, shape, dtype):
    """A Variable's starting value from Keras's or TensorFlow's arguments (see Variable)."""
    given = [v for v in (value, initializer, initial_value) if v is not None]
    if len(given) != 1:
        raise TypeError(
            "Variable: give the initial value once, as `value`, `initializer=` or "
            f"`initial_value=`. Received {len(given)} of them."
        )
    value = given[0]
    if isinstance(value, str):
        raise TypeError(
            f"Variable: the initializer {value!r} is a name; deepgrad needs the object. To "
            f"fix, pass initializer=dg.initializers.get({value!r}) with shape=."
        )
    if callable(value) and not isinstance(value, (Tensor, np.ndarray)):
        if shape is None:
            raise ValueError(
                f"Variable: an initializer needs `shape`. Received: initializer={value!r}, "
                "shape=None"
            )
        return value(tuple(int(n) for n in shape), dtype=dtype or config.floatx())
    return value


class Variable(Tensor):
    """A trainable tensor owned by a layer: its values change in place, never rebound.

    The variable owns its array (one C-contiguous array, for its whole life); an
    optimizer updates it in place and keeps its own state beside it. Change values
    with :meth:`assign`; :meth:`numpy` returns a copy, as in Keras.

    Args:
        value: the initial value (array-like), or an initializer (a callable of
            ``(shape, dtype)``, e.g. ``dg.initializers.RandomNormal()``) with ``shape``.
        trainable: whether optimizers update it and gradients are computed for it.
        name: the variable's name, e.g. ``'kernel'``.
        dtype: optional dtype; defaults to the value's float type (float32 for Python floats).
        initializer, shape: Keras's keywords (``keras.Variable(initializer=...,
            shape=...)``); ``initial_value``: TensorFlow's. Give the value one way only.
            Where deepgrad differs: an initializer's name (``'zeros'``) is refused with the
            fix; pass ``dg.initializers.get('zeros')``.

    >>> v = Variable([1.0, 2.0], name="bias")
    >>> v.assign([3.0, 4.0]); v.numpy()
    array([3., 4.], dtype=float32)
    >>> Variable(initializer=lambda shape, dtype=None: np.ones(shape, dtype), shape=(2,)).numpy()
    array([1., 1.], dtype=float32)
    """

    __slots__ = ("_trainable", "path", "regularizer", "constraint")

    def __init__(self, value=None, trainable: bool = True, name: str | None = None, dtype=None,
                 *, initializer=None, shape=None, initial_value=None):
        value = _initial_value(value, initializer, initial_value, shape, dtype)
        super().__init__(
            np.array(_to_array(value, dtype), order="C"), requires_grad=trainable, name=name
        )
        self._trainable = bool(trainable)
        self.path = scoped(name)  # under any open dg.name_scope, as Keras's paths
        self.regularizer = None
        self.constraint = None

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = bool(value)

    @property
    def value(self) -> np.ndarray:
        return self.data

    def numpy(self) -> np.ndarray:
        """Return a copy of the values, as Keras does: it does not change with training.

        >>> v = Variable([1.0]); values = v.numpy(); v.assign([2.0]); values
        array([1.], dtype=float32)
        """
        return self.data.copy()

    def assign(self, value) -> None:
        """Overwrite the values in place; the shape must match exactly.

        Raises:
            ValueError: if the shape differs.
        """
        array = _to_array(value)
        if array.shape != self.data.shape:
            raise ValueError(
                f"Variable '{self.path}': cannot assign a value of shape {array.shape} to a "
                f"variable of shape {self.data.shape}."
            )
        self.data[...] = array

    def assign_add(self, delta) -> None:
        """Add ``delta`` in place."""
        self.data += _to_array(delta)

    def assign_sub(self, delta) -> None:
        """Subtract ``delta`` in place."""
        self.data -= _to_array(delta)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


def as_tensor(value, dtype=None) -> Tensor:
    """Return ``value`` as a Tensor (itself if it already is one).

    >>> as_tensor([1.0]).dtype
    dtype('float32')
    """
    if isinstance(value, Tensor):
        return value
    return Tensor(value, dtype=dtype)


class _Node:
    """One recorded op of the graph: its backward function, one entry per input (the
    input's own node; the input itself where it is a leaf that requires grad; else None)
    and its creation number.

    The graph holds nodes, not the tensors the ops made: an op's output array lives only
    as long as some code holds its Tensor (the caller, or a backward function that saved
    it), as in PyTorch, where the graph keeps only what backward saved. A batch norm's
    output that only feeds a residual sum is freed as soon as the sum is computed
    (``benchmarks/models.py``'s peak training memory).
    """

    __slots__ = ("inputs", "backward", "order")

    def __init__(self, inputs: tuple, backward: BackwardFn):
        self.inputs = inputs
        self.backward = backward
        self.order = next(_creation_counter)


def make_result(data: np.ndarray, parents: tuple[Tensor, ...], backward: BackwardFn) -> Tensor:
    """Wrap an op's output; record ``backward`` only if some parent requires grad.

    ``backward(grad_output)`` returns one gradient (or None) per parent, in order. This is
    the one place where the graph is built; every op in ``deepgrad.ops`` goes through it.
    A backward function may write a parent's gradient into
    :func:`gradient_destination`'s array instead of a new one.

    >>> a = Tensor([2.0], requires_grad=True)
    >>> out = make_result(a.data * 3, (a,), lambda g: (g * 3,))
    >>> out.backward(); a.grad
    array([3.], dtype=float32)
    """
    out = Tensor.__new__(Tensor)
    # NumPy returns scalars, not 0-d arrays, from operations on 0-d arrays.
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.name = None
    out.requires_grad = False
    out._node = None
    if _grad_mode.enabled:
        for parent in parents:
            if parent.requires_grad:
                out.requires_grad = True
                out._node = _Node(
                    tuple([(p._node or p) if p.requires_grad else None for p in parents]),
                    backward,
                )
                break
    return out


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def _checked_seed(gradient, tensor: Tensor) -> np.ndarray:
    seed = _to_array(gradient, tensor.dtype)
    if seed.shape != tensor.shape:
        raise ValueError(
            f"backward: `gradient` must have the tensor's shape {tensor.shape}. "
            f"Received: shape {seed.shape}"
        )
    return seed


def _released(g):
    raise RuntimeError(
        "backward: this part of the graph was released by an earlier gradient computation "
        "with release=True (Model.train_step frees each op's saved arrays as soon as its "
        "backward has run). To differentiate twice, use grad(..., release=False)."
    )


class _Destinations(threading.local):
    # The arrays the backward function running now may write its parents' gradients into
    # (id of the parent -> array); empty outside such a call.
    offered: dict[int, np.ndarray] = {}


_destinations = _Destinations()


def gradient_destination(tensor: Tensor) -> np.ndarray | None:
    """The array that the gradient computation running now sums ``tensor``'s gradient
    into, offered to the backward function of an op that has ``tensor`` as an input, or
    None.

    :func:`grad` with ``out=`` (the training step passes the optimizer's flat gradient
    buffer) offers each input's array to the first op whose backward makes a gradient
    for it. The op may compute that gradient straight into the array (``np.matmul(...,
    out=)``) and return the array itself as that parent's gradient: then no weight-sized
    gradient is allocated and copied (VGG16's 411 MB first Dense kernel: the training
    peak in ``benchmarks/models.py``). An op that ignores it returns a new array as
    always, which is copied in. The array has the tensor's shape and dtype; it must be
    filled whole, and only returned for that parent.

    >>> x, w = Tensor([[1.0, 2.0]]), Variable([[3.0], [4.0]])
    >>> def backward(g):
    ...     into = gradient_destination(w)
    ...     return None, np.matmul(x.data.T, g, out=into)
    >>> buffer = np.zeros((2, 1), np.float32)
    >>> [gw] = grad(make_result(x.data @ w.data, (x, w), backward), [w], out=[buffer])
    >>> gw is buffer, gw.ravel().tolist()
    (True, [1.0, 2.0])
    """
    return _destinations.offered.get(id(tensor))


def _offers(inputs: tuple, out: dict[int, np.ndarray], found: dict) -> dict[int, np.ndarray]:
    """The destinations a node's backward may write into: those of its leaf inputs that
    have one and no gradient yet, each input only once in the node's inputs."""
    offered = {}
    for entry in inputs:
        if type(entry) is _Node or entry is None:
            continue
        key = id(entry)
        buffer = out.get(key)
        if buffer is None or key in found:
            continue
        if key in offered or entry.shape != buffer.shape or entry.dtype != buffer.dtype:
            offered[key] = None  # (an input twice: its two gradients must be summed)
        else:
            offered[key] = buffer
    return {k: b for k, b in offered.items() if b is not None}


def _backpropagate(
    root: Tensor, seed: np.ndarray, targets: dict[int, Tensor] | None, release: bool = False,
    out: dict[int, np.ndarray] | None = None,
) -> list[tuple[Tensor, np.ndarray]]:
    """Run backward functions from ``root``, each node after every node that consumed it.

    Every recorded op gets a creation number, and an op's inputs always exist before
    it, so running nodes from the highest number down is a topological order: a heap
    gives it without a separate graph sort. Returns ``(tensor, gradient)`` for every leaf
    (``targets is None``) or for every tensor in ``targets``, keyed there by the id of
    its node (the tensor's own id for a leaf). With ``release``, each node drops its
    backward function (and with it the arrays it saved) and its inputs as soon as it has
    run, as PyTorch does by default. ``out`` maps a leaf target's id to an array its
    gradient is summed into in place (see :func:`grad`), offered first to the op that
    makes the gradient (:func:`gradient_destination`).
    """
    found: dict[int, tuple[Tensor, np.ndarray]] = {}

    def record(key: int, tensor: Tensor, g) -> None:
        previous = found.get(key)
        buffer = None if out is None else out.get(key)
        if buffer is not None and np.shape(g) == buffer.shape:
            if g is buffer:  # written in place by the op (gradient_destination)
                pass
            elif previous is None:
                np.copyto(buffer, g)
            else:
                np.add(buffer, g, out=buffer)
            found[key] = (tensor, buffer)
            return
        found[key] = (tensor, g if previous is None else previous[1] + g)

    node = root._node
    if node is None:
        if targets is None or id(root) in targets:
            record(id(root), root, seed)
        return [(t, g if type(g) is np.ndarray else np.asarray(g)) for t, g in found.values()]
    grads: dict[int, np.ndarray] = {id(node): seed}
    heap = [(-node.order, node)]
    while heap:
        node = heappop(heap)[1]
        key = id(node)
        g = grads.pop(key)
        if targets is not None and key in targets:
            record(key, targets[key], g)
        inputs, backward = node.inputs, node.backward
        if release:
            node.inputs, node.backward = (), _released
        offered = _offers(inputs, out, found) if out else None
        if offered:
            _destinations.offered = offered
            try:
                input_grads = backward(g)
            finally:
                _destinations.offered = {}
        else:
            input_grads = backward(g)
        for entry, input_grad in zip(inputs, input_grads):
            if input_grad is None or entry is None:
                continue
            if type(entry) is not _Node:  # a leaf
                if entry.requires_grad and (targets is None or id(entry) in targets):
                    record(id(entry), entry, input_grad)
                continue
            key = id(entry)
            previous = grads.get(key)
            if previous is None:
                grads[key] = input_grad
                heappush(heap, (-entry.order, entry))
            else:
                grads[key] = previous + input_grad
    return [(t, g if type(g) is np.ndarray else np.asarray(g)) for t, g in found.values()]


def _key(tensor: Tensor) -> int:
    """The id :func:`_backpropagate` knows ``tensor`` by: its node's, or its own for a leaf."""
    return id(tensor) if tensor._node is None else id(tensor._node)


def grad(
    output: Tensor, inputs: Iterable[Tensor], output_gradient=None, release: bool = False,
    out: Sequence[np.ndarray | None] | None = None,
) -> list:
    """Return d(output)/d(input) for each input, without touching any ``.grad``.

    Inputs not connected to ``output`` get ``None``, as in TensorFlow. With ``release``,
    each op's saved arrays are freed as soon as its backward has run, so that the peak
    memory of a training step is not the whole forward graph plus all the gradients
    (``benchmarks/models.py``'s peak memory); the graph cannot be differentiated again.
    ``out`` gives, per input, an array of its shape (or None) that its gradient is summed
    into in place and returned as: the training step passes the optimizer's flat gradient
    buffer, so no weight-sized gradient array outlives the op that made it, and an op
    that can writes the gradient there itself (:func:`gradient_destination`). Only a
    leaf's (a variable's) array is offered to ops; an intermediate's is copied into.

    >>> x = Tensor(3.0, requires_grad=True)
    >>> grad(x * x, [x])
    [array(6., dtype=float32)]
    >>> buffer = np.zeros((), np.float32)
    >>> grad(x * x + x, [x], out=[buffer])[0] is buffer, float(buffer)
    (True, 7.0)
    """
    inputs = list(inputs)
    if not output.requires_grad:
        return [None] * len(inputs)
    if output_gradient is None:
        seed = np.ones_like(output.data)
    else:
        seed = _checked_seed(output_gradient, output)
    keys = [_key(t) for t in inputs]
    buffers = None
    if out is not None:
        if len(out) != len(inputs):
            raise ValueError(f"grad: `out` needs one array (or None) per input: {len(inputs)} "
                             f"inputs. Received: {len(out)}")
        buffers = {k: b for k, b in zip(keys, out) if b is not None}
    found = dict(
        (_key(t), g) for t, g in _backpropagate(
            output, seed, targets=dict(zip(keys, inputs)), release=release, out=buffers
        )
    )
    return [found.get(k) for k in keys]


# The GradientTape contexts open in this thread, innermost last.
_OPEN_TAPES = threading.local()


class GradientTape:
    """TF2-style tape: ``tape.gradient(loss, variables)`` over deepgrad's graph.

    Variables are watched automatically; call :meth:`watch` for other tensors.
    deepgrad differs from TensorFlow: gradients are first order only (Tensors outside the
    graph), so an outer tape cannot differentiate through an inner tape's gradient
    (WGAN-GP's gradient penalty); calling ``gradient`` inside another tape's context warns.

    >>> import deepgrad as dg
    >>> w = dg.Variable([2.0])
    >>> with dg.GradientTape() as tape:
    ...     loss = (w * w).sum()
    >>> tape.gradient(loss, [w])
    [Tensor([4.], dtype=float32)]

    Gradients come back as Tensors outside the graph (TensorFlow's tape gives tensors:
    ``grads[0].numpy()`` works); ``dg.tensor.grad`` gives the arrays themselves.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._used = False
        self._mode = None

    def __enter__(self) -> GradientTape:
        self._mode = enable_grad()
        self._mode.__enter__()
        _OPEN_TAPES.__dict__.setdefault("tapes", []).append(self)
        return self

    def __exit__(self, *exc) -> None:
        self._mode.__exit__(*exc)
        tapes = _OPEN_TAPES.__dict__.get("tapes", [])
        if self in tapes:
            tapes.remove(self)

    def watch(self, tensor) -> None:
        """Record operations on ``tensor`` (or a list of them) so gradients reach it."""
        for t in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.watch: expected a Tensor. Received: {type(t)}. To fix, watch "
                    "a Tensor and compute with it: x = dg.convert_to_tensor(x) (dg.random "
                    "draws NumPy arrays, where keras.random gives backend tensors)."
                )
            t.requires_grad = True

    def gradient(self, target, sources, output_gradients=None):
        """Return gradients of ``target`` for ``sources`` (a tensor, list or dict).

        Raises:
            RuntimeError: on a second call to a non-persistent tape.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "GradientTape.gradient can only be called once on a non-persistent tape. "
                "To fix, create the tape with GradientTape(persistent=True)."
            )
        self._used = True
        if any(tape is not self for tape in _OPEN_TAPES.__dict__.get("tapes", ())):
            warnings.warn(
                "GradientTape.gradient called inside another GradientTape's context: "
                "deepgrad's gradients are first order only, so the outer tape sees them as "
                "constants and gives no gradient through them (TensorFlow would: e.g. "
                "WGAN-GP's gradient penalty; deepgrad has no second-order gradients). Where "
                "the outer tape need not differentiate them, compute them after its `with` "
                "block.",
                UserWarning,
                stacklevel=2,
            )
        if isinstance(sources, dict):
            keys = list(sources)
            values = grad(as_tensor(target), [sources[k] for k in keys], output_gradients)
            return dict(zip(keys, _tensors(values)))
        if isinstance(sources, Tensor):
            return _tensors(grad(as_tensor(target), [sources], output_gradients))[0]
        return _tensors(grad(as_tensor(target), list(sources), output_gradients))


def _tensors(arrays: list) -> list:
    """Gradient arrays as Tensors outside the graph (None stays None), as TF's tape gives."""
    return [None if a is None else Tensor(a) for a in arrays]


# The operators above call into deepgrad.ops, which itself builds on Tensor; importing
# it last breaks the cycle.
from deepgrad import ops as _ops  # noqa: E402
from deepgrad.ops import masks as _masks  # noqa: E402
