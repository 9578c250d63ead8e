"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

>>> import deepgrad as dg
>>> a, b = np.ones((2, 3), dtype="float32"), np.full((2, 3), 2.0, dtype="float32")
>>> Add()([a, b]).data[0]
array([3., 3., 3.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config, ops
from deepgrad.layers.base import Layer, shape_str
from deepgrad.ops.masks import any_masks
from deepgrad.ops.residual import add_activation
from deepgrad.tensor import Tensor

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"]


def _shape_list(input_shape):
    """A list of shapes as tuples; a single shape is returned as is (and then rejected)."""
    if (
        isinstance(input_shape, (list, tuple))
        and input_shape
        and isinstance(input_shape[0], (list, tuple))
    ):
        return [tuple(s) for s in input_shape]
    return input_shape


class _Merge(Layer):
    """Base for layers that combine a list of inputs elementwise.

    Shapes broadcast as in Keras: trailing axes line up and an axis of size 1 in one input
    stretches to the other's size (squeeze-and-excite multiplies ``(N, H, W, C)`` by
    ``(N, 1, 1, C)``).
    """

    _min_inputs = 2
    _max_inputs: int | None = None

    def _check_inputs(self, shapes) -> tuple:
        if (
            not isinstance(shapes, list)
            or len(shapes) < self._min_inputs
            or (self._max_inputs is not None and len(shapes) > self._max_inputs)
        ):
            count = "exactly 2" if self._max_inputs == 2 else f"at least {self._min_inputs}"
            got = len(shapes) if isinstance(shapes, list) else "a single tensor"
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected a list of {count} inputs, "
                f"received {got}."
            )
        output = shapes[0]
        for shape in shapes[1:]:
            output = self._broadcast(output, shape, shapes)
        return output

    def _broadcast(self, shape1, shape2, shapes):
        """Keras's rule: trailing axes line up, and an axis of size 1 stretches to the other."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        output = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                output.append(None)
            elif i == 1 or j == 1 or i == j:
                output.append(j if i == 1 else i)
            else:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': inputs have incompatible shapes; "
                    f"received {', '.join(shape_str(s) for s in shapes)}. Axes of different "
                    "sizes must have size 1 in one input to be broadcast."
                )
        return tuple(output)

    def build(self, input_shape) -> None:
        self._check_inputs(_shape_list(input_shape))

    def compute_output_shape(self, input_shape):
        return self._check_inputs(_shape_list(input_shape))

    def call(self, inputs):
        inputs = list(inputs)
        self._check_inputs([t.shape for t in inputs])
        out = inputs[0]
        for other in inputs[1:]:
            out = self._merge(out, other)
        return self._finish(out, len(inputs))

    def _finish(self, out, count):
        return out

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: a step is real if it is real in any input (None if one has none)."""
        if mask is None or any(m is None for m in mask):
            return None
        return np.logical_or.reduce([np.asarray(m, bool) for m in mask])


class Add(_Merge):
    """Sum of the inputs.

    >>> Add().compute_output_shape([(None, 3), (None, 3)])
    (None, 3)
    """

    def _merge(self, a, b):
        return ops.add(a, b)

    def fuse(self, following: Layer, *then: Layer):
        """Run the sum and a following ReLU or ReLU6 as one op,
        :func:`deepgrad.ops.residual.add_activation` (ResNet's residual connection): the
        sum is clipped in place, so training keeps one array per block instead of two.
        Declines for a longer chain, a subclass that changes the forward pass, inputs of
        different shapes or dtypes (broadcasting), masks, or an activity regularizer.
        deepgrad's addition (see :meth:`Layer.fuse`).
        """
        epilogue = following.epilogue()
        if then or epilogue is None or epilogue[0] != "activation":
            return None
        if type(self).call is not _Merge.call or type(self)._merge is not Add._merge:
            return None

        def run(inputs, training=None):
            if (
                not isinstance(inputs, (list, tuple)) or len(inputs) < 2
                or self.activity_regularizer is not None or any_masks()
                or following.epilogue() != epilogue
                or any(type(t) is not Tensor or t.shape != inputs[0].shape
                       or t.dtype != inputs[0].dtype or t.dtype.kind != "f" for t in inputs)
            ):
                return None
            return add_activation(inputs, epilogue[1])

        return run

    def fuse_input(self, producer, index: int, following: tuple = ()):
        """Take the call that makes input ``index`` into this sum's op: a fused
        convolution chain ending before any activation (``producer``, whose ``run`` takes a
        ``residual``: :mod:`deepgrad.layers.conv_fusion`) adds the sum's other input to
        its output, then the ReLU or ReLU6 in ``following`` (if any), in one op; on the
        1x1 path each block of the output takes the other input while it is in the cache
        (ResNet50's residual blocks, ``benchmarks/models.py``). Returns ``run(inputs,
        training)``, where input ``index`` is the producer's own input; the run declines
        (the calls then run as they are) for anything but two float inputs of the sum's
        shape, masks, activity regularizers, a chain that cannot fold (batch norm in
        training), or layers changed since. deepgrad's addition (Keras has no fusion).
        """
        produce = getattr(producer, "run", None)
        if not getattr(produce, "takes_residual", False) or len(following) > 1:
            return None
        if type(self).call is not _Merge.call or type(self)._merge is not Add._merge:
            return None
        epilogue = following[0].epilogue() if following else None
        if following and (epilogue is None or epilogue[0] != "activation"):
            return None
        chain = (producer.first, producer.second, *producer.then)

        def run(inputs, training=None):
            if (
                not isinstance(inputs, (list, tuple)) or len(inputs) != 2
                or self.activity_regularizer is not None or any_masks()
                or not all(layer.built and layer.activity_regularizer is None
                           for layer in chain)  # the chain's output is never made
                or (following and (following[0].epilogue() != epilogue
                                   or following[0].activity_regularizer is not None))
            ):
                return None
            x, other = inputs[index], inputs[1 - index]
            if (type(x) is not Tensor or type(other) is not Tensor or other.dtype.kind != "f"
                    or other.dtype != x.dtype or x.ndim != 4):
                return None
            shape = x.shape
            for layer in chain:
                shape = layer.compute_output_shape(shape)
            if tuple(shape) != other.shape:
                return None  # the sum's own call says what is wrong
            return produce(x, training, residual=other, after=epilogue and epilogue[1])

        return run


class Subtract(_Merge):
    """First input minus the second (exactly two inputs).

    >>> Subtract()._max_inputs
    2
    """

    _max_inputs = 2

    def _merge(self, a, b):
        return ops.subtract(a, b)


class Multiply(_Merge):
    """Elementwise product of the inputs.

    >>> Multiply()([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).data
    array([[6., 6.]], dtype=float32)
    """

    def _merge(self, a, b):
        return ops.multiply(a, b)


class Average(_Merge):
    """Elementwise mean of the inputs.

    >>> Average()([np.zeros((1, 2)), np.full((1, 2), 2.0)]).data
    array([[1., 1.]], dtype=float32)
    """

    def _merge(self, a, b):
        return ops.add(a, b)

    def _finish(self, out, count):
        return ops.multiply(out, 1.0 / count)


class Maximum(_Merge):
    """Elementwise maximum of the inputs.

    >>> Maximum()([np.zeros((1, 2)), np.ones((1, 2))]).data
    array([[1., 1.]], dtype=float32)
    """

    def _merge(self, a, b):
        return ops.maximum(a, b)


class Minimum(_Merge):
    """Elementwise minimum of the inputs.

    >>> Minimum()([np.zeros((1, 2)), np.ones((1, 2))]).data
    array([[0., 0.]], dtype=float32)
    """

    def _merge(self, a, b):
        return ops.minimum(a, b)


class Concatenate(Layer):
    """Join the inputs along ``axis`` (the last by default); other axes must match.

    Args:
        axis: the axis to join along.

    >>> Concatenate()([np.zeros((2, 3)), np.zeros((2, 1))]).shape
    (2, 4)
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        if len(shapes) < 2:
            raise ValueError(
                f"Concatenate '{self.name}': expected a list of at least 2 inputs, received "
                f"{len(shapes)}."
            )
        rank = len(shapes[0])
        axis = self.axis % rank
        for shape in shapes[1:]:
            if len(shape) != rank or any(
                i != axis and a is not None and b is not None and a != b
                for i, (a, b) in enumerate(zip(shapes[0], shape))
            ):
                raise ValueError(
                    f"Concatenate '{self.name}': inputs must match except on axis {self.axis}; "
                    f"received {', '.join(shape_str(s) for s in shapes)}."
                )
        sizes = [s[axis] for s in shapes]
        total = None if any(s is None for s in sizes) else sum(sizes)
        return shapes[0][:axis] + (total,) + shapes[0][axis + 1 :]

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        self.compute_output_shape([t.shape for t in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: the masks (all True for an input without one) joined like the
        inputs, a step real if any of its features is."""
        if mask is None or all(m is None for m in mask):
            return None
        full = []
        for t, m in zip(inputs, mask):
            if m is None:
                full.append(np.ones(t.shape, bool))
            else:
                m = np.asarray(m, bool)
                full.append(np.broadcast_to(m.reshape(m.shape + (1,) * (t.ndim - m.ndim)),
                                            t.shape))
        return np.concatenate(full, axis=self.axis).any(axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(Layer):
    """Per-sample dot product of two inputs along ``axes`` (Keras's ``batch_dot``).

    The contracted axes are summed over; the output has the first input's other axes,
    then the second's (batch excluded), and at least two dimensions: ``(batch, 1)`` for
    two vectors. With ``normalize=True`` both inputs are L2-normalised along their axis
    first (Keras's ``ops.normalize``), giving cosine similarities.

    Args:
        axes: an int (the same axis of both; negative counts from each input's end) or a
            pair of ints. The batch axis 0 cannot be one.
        normalize: L2-normalise both inputs first.

    >>> Dot(axes=1)([np.ones((2, 3)), np.ones((2, 3))]).data.ravel()
    array([3., 3.], dtype=float32)
    >>> Dot(axes=(1, 2))([np.ones((2, 3, 5)), np.ones((2, 4, 3))]).shape
    (2, 5, 4)
    """

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        pair = isinstance(axes, (list, tuple)) and len(axes) == 2
        if not (isinstance(axes, int) or pair) or isinstance(axes, bool) or (
                pair and not all(isinstance(a, int) and not isinstance(a, bool) for a in axes)):
            raise ValueError(
                f"Dot: `axes` must be an int or a pair of ints. Received: axes={axes!r}"
            )
        self.axes = axes if isinstance(axes, int) else list(axes)
        self.normalize = bool(normalize)

    def _axes_for(self, a: tuple, b: tuple) -> tuple[int, int]:
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        if len(a) < 2 or len(b) < 2 or any(not -n <= x < n for x, n in zip(
                pair, (len(a), len(b)))):
            raise ValueError(
                f"Dot '{self.name}': expected two batched inputs (2-D or more) with axes "
                f"{self.axes} in range; received {shape_str(a)} and {shape_str(b)}."
            )
        axes = (pair[0] % len(a), pair[1] % len(b))
        if 0 in axes or (a[axes[0]] is not None and b[axes[1]] is not None
                         and a[axes[0]] != b[axes[1]]):
            raise ValueError(
                f"Dot '{self.name}': the sizes on axes {axes} must match and the batch axis 0 "
                f"cannot be one; received {shape_str(a)} and {shape_str(b)}."
            )
        return axes

    def compute_output_shape(self, input_shape):
        a, b = (tuple(s) for s in input_shape)
        x, y = self._axes_for(a, b)
        out = a[:x] + a[x + 1:] + tuple(s for i, s in enumerate(b) if i not in (0, y))
        return out if len(out) > 1 else out + (1,)

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        a, b = inputs
        x, y = self._axes_for(a.shape, b.shape)
        if self.normalize:
            a, b = _unit(a, x), _unit(b, y)
        # (batch, rest of a, n) @ (batch, n, rest of b), then the rest unfolded.
        a = ops.transpose(a, [i for i in range(a.ndim) if i != x] + [x])
        b = ops.transpose(b, [0, y] + [i for i in range(1, b.ndim) if i not in (y,)])
        batch, size = a.shape[0], a.shape[-1]
        product = ops.matmul(ops.reshape(a, (batch, -1, size)), ops.reshape(b, (batch, size, -1)))
        out = a.shape[:-1] + b.shape[2:]
        return ops.reshape(product, out if len(out) > 1 else out + (1,))

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _unit(x, axis: int):
    """Keras's ``ops.normalize``: ``x / max(||x||, epsilon)`` along ``axis``
    (:func:`deepgrad.config.epsilon`)."""
    squares = ops.sum(ops.multiply(x, x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(squares, config.epsilon() ** 2)))
