"""Float64 central differences through a whole layer: its input, initial states and every
trainable weight (the recurrent and convolutional-recurrent layers' tests use it)."""

import numpy as np

from deepgrad.tensor import Tensor, grad


def flat(out) -> list:
    """A layer's outputs (nested lists of Tensors) as one flat list."""
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in flat(o)]
    return [out]


def check_layer_gradients(layer, x, call=None, initial_state=None, eps=1e-6):
    """Central differences of a fixed weighting of every output, for the input, the
    initial states and every weight of ``layer`` (float64)."""
    call = call or {}
    inputs = [np.array(x)] + [np.array(s) for s in (initial_state or [])]

    def loss_of(arrays):
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        kwargs = dict(call)
        if initial_state is not None:
            kwargs["initial_state"] = tensors[1:]
        outs = flat(layer(tensors[0], **kwargs))
        rs = np.random.default_rng(3)
        return sum((o * Tensor(rs.normal(size=o.shape))).sum() for o in outs), tensors

    loss, tensors = loss_of(inputs)
    weights = layer.trainable_weights
    analytic = grad(loss, tensors + weights)
    targets = [(inputs, i) for i in range(len(inputs))] + [(w, None) for w in weights]
    for (holder, i), got in zip(targets, analytic, strict=True):
        array = holder[i] if i is not None else holder.data
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + eps
            plus = loss_of(inputs)[0].item()
            array[index] = old - eps
            minus = loss_of(inputs)[0].item()
            array[index] = old
            numeric[index] = (plus - minus) / (2 * eps)
        got = np.zeros_like(array) if got is None else got
        np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-7)
