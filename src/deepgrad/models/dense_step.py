"""A compiled training step for plain stacks of Dense layers: the small-model fast path.

For a network such as the course's iris classifier (4-10-10-3), the tape, the Tensors
and the checks of each op and layer cost more than the arithmetic: its step inside
``fit`` took 2.1x the time of a hand-written NumPy loop of the same network
(``benchmarks/mlp.py``). When a model is a plain chain of ``Dense`` layers and its loss
one of the common built-in ones, :func:`plan` returns a :class:`DenseStep` that
``Model.train_step`` runs instead: the same forward and backward written as NumPy calls
on buffers kept between steps, the weight gradients written straight into the
optimizer's flat gradient buffer, then the optimizer's own ``apply``, the loss tracker
and the metrics as on the reference path.

Every product, sum and elementwise operation is the one that the reference path (the
``dense`` op, the activations, the loss ops and the tape) runs, on the same arrays in the
same order, so the weights after any number of steps are the same bit for bit
(``tests/models/test_dense_step.py``). What it covers:

- layers: ``Dense`` (its own class, not a subclass) with ReLU, tanh, sigmoid or no
  activation; on the last layer also softmax or sigmoid when the loss reads the logits
  behind them (as the reference's cross-entropies do);
- losses: ``SparseCategoricalCrossentropy``, ``CategoricalCrossentropy`` (from logits,
  or from a softmax output), ``BinaryCrossentropy`` (from logits, or from a sigmoid
  output), ``MeanSquaredError``; the default reduction, no label smoothing, no
  ``ignore_class``, a loss weight of 1;
- any optimizer without a loss scale (clipping, weight decay, EMA, gradient
  accumulation and constraints all happen in its ``apply``, as on the reference path).

Anything else runs the reference path: other layers, regularizers, a ``call``,
``compute_loss`` or ``train_step`` of a subclass, ``compile(run_eagerly=True)``, and
batches with sample weights, inputs of another dtype or shape, or labels that the
reference would reject (which then raises the reference's error).

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.Input(shape=(4,)), dg.layers.Dense(3, activation="softmax")])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
>>> type(plan(model, model.trainable_variables)).__name__
'DenseStep'
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
>>> plan(model, model.trainable_variables) is None
True
"""

from __future__ import annotations

import numpy as np

from deepgrad import activations
from deepgrad import losses as losses_module
from deepgrad.kernels import parallel
from deepgrad.kernels.activation import relu_clip
from deepgrad.layers.core import ActivationAttribute, Dense
from deepgrad.models.data_adapter import unpack
from deepgrad.ops.elementwise import sigmoid_array
from deepgrad.optimizers.base import Optimizer
from deepgrad.tensor import is_grad_enabled

__all__ = ["plan", "predict", "DenseStep"]

# The forward pass the step stands for (a class patched later runs the tape's path).
_DENSE_CALLS = (Dense.call, Dense.__call__)
# The activations a layer's step runs itself (their backward is written below).
_ACTIVATIONS = {activations.linear: None, activations.relu: "relu",
                activations.tanh: "tanh", activations.sigmoid: "sigmoid"}


def _plain_scale(optimizer) -> bool:
    """Whether the optimizer leaves the loss unscaled (no loss scale, no wrapper's)."""
    return (isinstance(optimizer, Optimizer)
            and type(optimizer).scale_loss is Optimizer.scale_loss
            and getattr(optimizer, "loss_scale_factor", None) is None)


def _chain(model) -> tuple[list, np.dtype] | None:
    """The Dense layers of ``model`` in order and their dtype, where the model is a plain
    chain of them that the fast paths may run (else None)."""
    from deepgrad.models.model import Model
    from deepgrad.models.sequential import Sequential

    graph = model._graph
    if (getattr(model, "run_eagerly", False) or graph is None
            or type(model).call not in (Model.call, Sequential.call)):
        return None
    chain = graph.plan.chain
    if not chain or len(graph.inputs) != 1 or len(graph.outputs) != 1:
        return None
    if any(type(layer) is not Dense for layer in chain) or (Dense.call, Dense.__call__) \
            != _DENSE_CALLS:
        return None
    dtype = np.dtype(model.dtype)
    if dtype.kind != "f" or np.dtype(graph.inputs[0].dtype) != dtype:
        return None
    for layer in chain:
        if layer.activity_regularizer is not None or layer.kernel.data.dtype != dtype or (
                layer.bias is not None and layer.bias.data.dtype != dtype):
            return None
    return chain, dtype


def plan(model, variables: list) -> DenseStep | None:
    """The compiled step for ``model`` (built and compiled), or None where the reference
    path must run. ``variables`` are the trainable variables, in the optimizer's order."""
    from deepgrad.models.model import Model

    found = _chain(model)
    if (found is None or type(model).compute_loss is not Model.compute_loss
            or not _plain_scale(model.optimizer)
            or model.compiled_loss is None or model._output_loss_trackers is not None):
        return None
    chain, dtype = found
    # The variables must be exactly the chain's trainable weights, without penalties.
    weights = {id(v) for layer in chain for v in layer.weights}
    if any(id(v) not in weights for v in variables) or any(
            v.regularizer is not None for layer in chain for v in layer.weights):
        return None
    if model.losses:  # add_loss terms
        return None
    head = _head(model.compiled_loss, chain[-1].activation)
    if head is None:
        return None
    kinds = [_ACTIVATIONS.get(layer.activation, "other") for layer in chain[:-1]]
    last = chain[-1].activation
    kinds.append(None if head.reads_logits else _ACTIVATIONS.get(last, "other"))
    if "other" in kinds:
        return None
    return DenseStep(model, chain, kinds, head, variables, dtype)


def predict(model, x) -> np.ndarray | None:
    """``model``'s outputs for the batch ``x`` in inference, as its layers compute them,
    bit for bit, where it is a chain of Dense layers (else None: nothing was done).
    A small network's ``predict`` then costs the products, not the layer calls.

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.Input(shape=(2,)), dg.layers.Dense(3, activation="softmax")])
    >>> x = np.ones((4, 2), np.float32)
    >>> np.array_equal(predict(model, x), model(x).numpy())
    True
    """
    found = _chain(model)
    if found is None or type(x) is not np.ndarray:
        return None
    chain, dtype = found
    if x.dtype != dtype or x.ndim != 2 or x.shape[1] != chain[0].kernel.shape[0]:
        return None
    kinds = [_ACTIVATIONS.get(layer.activation, "other") for layer in chain]
    if chain[-1].activation is activations.softmax and chain[-1].units > 1:
        kinds[-1] = "softmax"  # (one unit: the reference warns that it is always 1)
    if "other" in kinds:
        return None
    h = x
    for layer, kind in zip(chain, kinds):
        h = _layer(h, layer, kind)
    return h


def _layer(h: np.ndarray, layer: Dense, kind: str | None,
           out: np.ndarray | None = None) -> np.ndarray:
    """One Dense layer's output, as the ``dense`` op and the activation ops compute it
    (into ``out`` before the activation, when given)."""
    z = parallel.matmul(h, layer.kernel.data, out=out)
    if layer.bias is not None:
        z += layer.bias.data
    if kind == "relu":
        relu_clip(z)
    elif kind == "tanh":
        z = np.tanh(z)
    elif kind == "sigmoid":
        z = sigmoid_array(z)
    elif kind == "softmax":
        z = _softmax(z)
    return z


class _Head:
    """The loss at the end of the chain: which one, and whether it reads the logits."""

    def __init__(self, kind: str, reads_logits: bool, output: str | None):
        self.kind = kind  # "sparse", "categorical", "binary" or "mse"
        self.reads_logits = reads_logits
        self.output = output  # what the model outputs from the logits: softmax, sigmoid


def _head(compiled_loss, activation) -> _Head | None:
    if len(compiled_loss.losses) != 1 or compiled_loss.weights[0] != 1.0:
        return None
    loss = compiled_loss.losses[0]
    if loss is None or loss.reduction != "sum_over_batch_size" or loss.dtype is not None:
        return None
    cls = type(loss)
    if cls is losses_module.MeanSquaredError:
        return _Head("mse", False, None)
    kind = {losses_module.SparseCategoricalCrossentropy: "sparse",
            losses_module.CategoricalCrossentropy: "categorical",
            losses_module.BinaryCrossentropy: "binary"}.get(cls)
    if kind is None or getattr(loss, "ignore_class", None) is not None:
        return None
    if getattr(loss, "label_smoothing", 0.0) or getattr(loss, "axis", -1) != -1:
        return None
    if loss.from_logits:
        return _Head(kind, True, None) if activation is activations.linear else None
    output = activations.sigmoid if kind == "binary" else activations.softmax
    if activation is not output:
        return None
    return _Head(kind, True, "sigmoid" if kind == "binary" else "softmax")


class DenseStep:
    """One training step of a Dense chain in plain NumPy (see the module's docstring).

    Calling it with a batch returns the step's logs, or None (nothing done) for a batch
    the reference path must take.
    """

    def __init__(self, model, layers: list, kinds: list, head: _Head, variables: list,
                 dtype: np.dtype):
        self.model = model
        self.layers = layers
        self.kinds = kinds
        self.head = head
        self.variables = variables
        self.dtype = dtype
        self.features = layers[0].kernel.shape[0]
        self.classes = layers[-1].units
        position = {id(v): i for i, v in enumerate(variables)}
        # Per layer: the kernel's and the bias's index in ``variables`` (None: frozen).
        self.slots = [(position.get(id(layer.kernel)),
                       None if layer.bias is None else position.get(id(layer.bias)))
                      for layer in layers]
        # Layer i needs its input's gradient when a layer before it trains.
        trains = [k is not None or b is not None for k, b in self.slots]
        self.input_grads = [any(trains[:i]) for i in range(len(layers))]
        self._buffers: dict[int, list] = {}
        self._constants: dict[int, tuple] = {}
        self._grads_for = None  # (optimizer, its storage, the gradient arrays)
        self._changes = ActivationAttribute.changes  # activations as planned

    def __call__(self, data) -> dict | None:
        x, y, sample_weight = unpack(data)
        if ActivationAttribute.changes != self._changes:
            self.model._dense_step = None  # an activation was set since: plan again
            return None
        if (sample_weight is not None or type(x) is not np.ndarray
                or type(y) is not np.ndarray or x.dtype != self.dtype or x.ndim != 2
                or x.shape[1] != self.features or not len(x) or not is_grad_enabled()):
            return None
        target = self._target(y, len(x))
        if target is None:
            return None
        model = self.model
        optimizer = model.optimizer
        grads = self._gradients(optimizer)
        batch = len(x)
        buffers = self._buffers.get(batch) or self._allocate(batch)
        outputs = self._forward(x, buffers)
        loss, y_pred, delta = self._loss(outputs[-1], target, buffers[-1][1])
        self._backward(x, outputs, delta, grads, buffers)
        optimizer.apply(grads, self.variables)
        model._loss_tracker.update_state(loss, sample_weight=batch)
        return model.compute_metrics(x, y, y_pred, None)

    # -- the pieces of a step --------------------------------------------------------
    def _target(self, y: np.ndarray, batch: int):
        """The labels in the form the loss uses, or None where the reference path must
        check them (and raise its error)."""
        kind = self.head.kind
        if kind == "sparse":
            if y.dtype.kind not in "iu" or y.shape not in ((batch,), (batch, 1)):
                return None
            labels = y.reshape(batch)
            # One reduction for both bounds: a negative label reads as a huge unsigned one.
            if labels.view(labels.dtype.str.replace("i", "u")).max() >= self.classes:
                return None
            return labels
        shape = (batch, self.classes)
        if y.shape != shape and not (self.classes == 1 and y.shape == (batch,)):
            return None
        if kind == "categorical" and self.classes == 1:
            return None  # the reference warns that the loss is always 0
        target = np.asarray(y, dtype=self.dtype).reshape(shape)
        if kind == "binary" and target.size and not (target.min() >= 0 and target.max() <= 1):
            return None
        return target

    def _allocate(self, batch: int) -> list:
        """Per layer, the buffers of its output and of its output's gradient (a few batch
        sizes are kept: a fit's full batches and its last one)."""
        if len(self._buffers) > 3:
            self._buffers.clear()
        buffers = [(np.empty((batch, layer.units), self.dtype),
                    np.empty((batch, layer.units), self.dtype)) for layer in self.layers]
        self._buffers[batch] = buffers
        return buffers

    def _constants_for(self, batch: int) -> tuple:
        """The mean's factor ``1 / batch`` in the model's dtype and where each row starts
        in the flat output, kept for the batch sizes seen (a fit's full batches and its
        last one)."""
        if len(self._constants) > 3:
            self._constants.clear()
        found = self._constants[batch] = (np.asarray(1.0 / batch, dtype=self.dtype),
                                          np.arange(0, batch * self.classes, self.classes))
        return found

    def _gradients(self, optimizer) -> list:
        """The arrays the gradients go to: the optimizer's flat gradient buffer where its
        ``apply`` takes gradients as they are (``Optimizer.gradient_buffers``), else
        arrays of this step's own."""
        cached = self._grads_for
        if cached is not None and cached[0] is optimizer and cached[1] is optimizer._storage:
            return cached[2]
        grads = optimizer.gradient_buffers(self.variables)
        if grads is None:  # (its apply copies them, or a variable it was not built with)
            grads = [np.empty(v.data.shape, self.dtype) for v in self.variables]
        self._grads_for = (optimizer, optimizer._storage, grads)
        return grads

    def _forward(self, x: np.ndarray, buffers: list) -> list:
        """Each layer's output (the logits for the last one when the loss reads them), as
        the ``dense`` op and the activations compute them."""
        outputs = []
        h = x
        last = len(self.layers) - 1
        for i, (layer, kind) in enumerate(zip(self.layers, self.kinds)):
            # The last output goes to the metrics: a fresh array, not a reused buffer.
            h = _layer(h, layer, kind, out=None if i == last else buffers[i][0])
            outputs.append(h)
        return outputs

    def _loss(self, out: np.ndarray, target, delta: np.ndarray) -> tuple:
        """The mean loss, the model's output, and the loss's gradient with respect to
        ``out`` in ``delta``: the formulas of the reference's loss ops and reductions."""
        head, batch = self.head, len(out)
        scale, starts = self._constants.get(batch) or self._constants_for(batch)
        if head.kind == "sparse":  # ops.sparse_categorical_crossentropy from logits
            shifted = out - _row_max(out)
            exp = np.exp(shifted)
            total = exp.sum(axis=1)
            picked = starts + target  # each row's label, in the flat array
            values = np.log(total) - shifted.reshape(-1).take(picked)
            # The softmax (ops.softmax's output, bit for bit) goes to the metrics too when
            # the model outputs it; else it is computed straight into ``delta``.
            if head.output == "softmax":
                y_pred = exp / total[:, None]
                np.copyto(delta, y_pred)
            else:
                y_pred = out
                np.divide(exp, total[:, None], out=delta)
            delta.reshape(-1)[picked] -= 1
            delta *= scale
        elif head.kind == "categorical":  # ops.categorical_crossentropy from logits
            shifted = out - _row_max(out)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
            values = -(target * log_p).sum(axis=-1)
            np.multiply(np.exp(log_p), target.sum(axis=-1, keepdims=True), out=delta)
            delta -= target
            delta *= scale
            y_pred = _softmax(out) if head.output == "softmax" else out
        else:
            per_sample = np.asarray(1.0 / out.shape[1], dtype=self.dtype)
            coefficient = scale * per_sample  # the two means' gradients
            if head.kind == "binary":  # ops.binary_crossentropy from logits, then means
                terms = np.maximum(out, 0) - out * target + np.log1p(np.exp(-np.abs(out)))
                np.subtract(sigmoid_array(out), target, out=delta)
                delta *= coefficient
                y_pred = sigmoid_array(out) if head.output == "sigmoid" else out
            else:  # mean_squared_error: mean(square(y_pred - y_true), axis=-1)
                error = out - target
                terms = error * error
                np.multiply(2 * coefficient, error, out=delta)
                y_pred = out
            values = np.add.reduce(terms, axis=(1,)) * per_sample
        mean = np.add.reduce(values.astype(self.dtype, copy=False), axis=(0,)) * scale
        return float(mean), y_pred, delta

    def _backward(self, x: np.ndarray, outputs: list, delta: np.ndarray, grads: list,
                  buffers: list) -> None:
        """The ``dense`` op's backward (and the activations'), layer by layer from the
        last, into ``grads``; ``delta`` holds the gradient of the last output."""
        g = delta
        for i in range(len(self.layers) - 1, -1, -1):
            layer, kind, out = self.layers[i], self.kinds[i], outputs[i]
            if kind == "relu":
                np.multiply(g, out > 0, out=g)
            elif kind == "tanh":
                g *= 1 - out * out
            elif kind == "sigmoid":
                g *= out
                g *= 1 - out
            h = outputs[i - 1] if i else x
            kernel_slot, bias_slot = self.slots[i]
            if kernel_slot is not None:
                parallel.matmul(h.T, g, out=grads[kernel_slot])
            if bias_slot is not None:
                np.add.reduce(g, axis=0, out=grads[bias_slot])
            if not self.input_grads[i]:
                return  # the layers below train no weights
            g = parallel.matmul(g, layer.kernel.data.T, out=buffers[i - 1][1])


# Rows at most this wide take their maximum across a transposed copy: NumPy reduces short
# rows one at a time, 6.1 against 1.8 us for 128 rows of 10 (3.0 against 7.5 for 32, 35
# against 11 for 256; benchmarks/mlp.py's 784-128-10 step).
_NARROW = 64


def _row_max(a: np.ndarray) -> np.ndarray:
    """Each row's maximum, as a column. The maximum of the same numbers in any order (a
    zero's sign aside, which the softmax and the cross-entropies below do not see: they
    only subtract it and take ``exp``), so their results stay the reference's bit for bit.

    >>> _row_max(np.array([[1.0, 3.0], [-2.0, -5.0]]))
    array([[ 3.],
           [-2.]])
    """
    if a.ndim == 2 and a.shape[1] <= _NARROW:
        return np.maximum.reduce(np.ascontiguousarray(a.T), axis=0)[:, None]
    return a.max(axis=-1, keepdims=True)


def _softmax(logits: np.ndarray) -> np.ndarray:
    """``ops.softmax``'s arithmetic on an array (the model's output for the metrics)."""
    e = np.exp(logits - _row_max(logits))
    e /= e.sum(axis=-1, keepdims=True)
    return e
