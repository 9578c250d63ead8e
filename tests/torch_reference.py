"""One way to check deepgrad against PyTorch, shared by every test that does (tinygrad's
``helper_test_op``): the same seeded inputs and weights through both, the forward values
compared, then the gradients of every input and weight, with separate tolerances.

``pythonpath = ["tests"]`` in pyproject.toml makes this importable as ``torch_reference``.
The reference function takes and returns tensors in deepgrad's layout (channels last,
Keras's kernel shapes) and permutes them itself, so that autograd brings its gradients
back in deepgrad's layout and nothing is transposed by hand afterwards:

>>> import torch_reference as tr
>>> torch = tr.import_torch()
>>> x = np.random.default_rng(0).normal(size=(2, 5, 5, 3))
>>> _ = tr.compare(lambda t: dg.ops.max_pool2d(t, 2),
...                lambda t: tr.channels_last(torch.nn.functional.max_pool2d(
...                    tr.channels_first(t), 2)),
...                [x], atol=0, rtol=0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from deepgrad.tensor import Tensor

REASON = "PyTorch is the reference; pip install '.[test]' (CI installs it)"

# Defaults by the output's dtype, used when a test gives none: float64 agrees to rounding
# over a short sum; float32 to a few ulps of values of order 1.
DEFAULT_TOLERANCES = {
    np.dtype(np.float64): (1e-10, 1e-10),
    np.dtype(np.float32): (1e-5, 1e-5),
}


def import_torch():
    """Return ``torch``, or skip the test with the install command as the reason."""
    return pytest.importorskip("torch", reason=REASON)


def compare(
    ours: Callable[..., Tensor],
    theirs: Callable[..., object],
    inputs: Sequence[np.ndarray],
    *,
    params: Sequence = (),
    atol: float | None = None,
    rtol: float | None = None,
    grad_atol: float | None = None,
    grad_rtol: float | None = None,
    seed: int = 0,
    backward: bool = True,
) -> tuple:
    """Run ``ours`` and ``theirs`` on the same values; compare outputs, then gradients.

    Args:
        ours: a function of deepgrad Tensors, one per input, returning a Tensor or a
            list of them (with ``backward=False``: of the arrays themselves, returning
            arrays or Tensors).
        theirs: a function of torch tensors, one per input and then one per param,
            returning torch tensors laid out as ``ours``'s outputs.
        inputs: NumPy arrays. Floating ones are differentiated and their gradients
            compared; others (integer labels) reach ``ours`` as they are and ``theirs``
            as torch tensors.
        params: deepgrad Variables ``ours`` uses (a layer's weights): ``theirs`` gets a
            copy of each as a torch leaf, and their gradients are compared too.
        atol, rtol: forward tolerances; by default from the output's dtype
            (:data:`DEFAULT_TOLERANCES`). ``atol=0, rtol=0`` asks for equality.
        grad_atol, grad_rtol: gradient tolerances; by default the forward's.
        seed: seeds the random weights each output is summed with before the backward
            pass, so that every output element and its position matter (a plain
            ``sum()`` would hide a permuted gradient).
        backward: False to compare forward values only.

    Returns:
        The two outputs as NumPy arrays (two lists of them for several), for further checks.
    """
    torch = import_torch()
    floating = [np.issubdtype(np.asarray(a).dtype, np.floating) for a in inputs]
    our_inputs = [Tensor(np.array(a), requires_grad=True) if is_float and backward else a
                  for a, is_float in zip(inputs, floating, strict=True)]
    their_inputs = [torch.tensor(np.array(a), requires_grad=backward and is_float)
                    for a, is_float in zip(inputs, floating, strict=True)]
    their_params = [torch.tensor(np.array(p.numpy()), requires_grad=backward) for p in params]
    for p in params:
        p.grad = None
    out, ref = ours(*our_inputs), theirs(*their_inputs, *their_params)
    several = isinstance(out, (list, tuple))
    outs, refs = (list(out), list(ref)) if several else ([out], [ref])
    assert len(outs) == len(refs), f"{len(outs)} outputs, PyTorch gave {len(refs)}"
    out_data = [np.asarray(o.data if isinstance(o, Tensor) else o) for o in outs]
    ref_data = [r.detach().numpy() for r in refs]
    default_atol, default_rtol = DEFAULT_TOLERANCES.get(out_data[0].dtype, (0.0, 0.0))
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol
    for i, (got, expected) in enumerate(zip(out_data, ref_data, strict=True)):
        label = f"output {i}" if several else "forward"
        assert got.shape == expected.shape, f"{label}: shapes {got.shape} != {expected.shape}"
        assert got.dtype == expected.dtype, f"{label}: dtypes {got.dtype} != {expected.dtype}"
        np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=label)
    result = (out_data, ref_data) if several else (out_data[0], ref_data[0])
    if not backward:
        return result
    rng = np.random.default_rng(seed)
    upstream = [rng.normal(size=a.shape).astype(a.dtype) for a in out_data]
    sum(((o * Tensor(g)).sum() for o, g in zip(outs, upstream, strict=True))).backward()
    sum(((r * torch.from_numpy(g)).sum() for r, g in zip(refs, upstream, strict=True))).backward()
    grad_atol = atol if grad_atol is None else grad_atol
    grad_rtol = rtol if grad_rtol is None else grad_rtol
    pairs = [(f"input {i}", t.grad, r.grad)
             for i, (t, r, is_float) in enumerate(zip(our_inputs, their_inputs, floating,
                                                      strict=True)) if is_float]
    pairs += [(f"param {i} ({p.name})", p.grad, r.grad)
              for i, (p, r) in enumerate(zip(params, their_params, strict=True))]
    for label, got, expected in pairs:
        assert expected is not None, f"PyTorch computed no gradient for {label}"
        assert got is not None, f"deepgrad computed no gradient for {label}"
        np.testing.assert_allclose(got, expected.numpy(), atol=grad_atol, rtol=grad_rtol,
                                   err_msg=f"gradient of {label}")
    return result


def channels_first(t):
    """A channels-last torch tensor (N, ..., C) as PyTorch's (N, C, ...)."""
    return t.permute(0, t.dim() - 1, *range(1, t.dim() - 1))


def channels_last(t):
    """PyTorch's (N, C, ...) back to deepgrad's (N, ..., C)."""
    return t.permute(0, *range(2, t.dim()), 1)


def conv_kernel(k):
    """A Keras kernel (*window, in, out) as PyTorch's convolution weight (out, in, *window)."""
    return k.permute(k.dim() - 1, k.dim() - 2, *range(k.dim() - 2))


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TF's and Keras's ``'same'`` padding of one axis, ``(before, after)``: the odd one after.

    Computed here from its definition, not by deepgrad's code.

    >>> same_padding(4, 2), same_padding(7, 3, stride=2), same_padding(5, 3, dilation=2)
    ((0, 1), (1, 1), (2, 2))
    """
    reach = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + reach - size, 0)
    return total // 2, total - total // 2


def keras_padding(t, padding, kernel: Sequence[int], strides: Sequence[int] = (),
                  dilation: Sequence[int] = ()):
    """Pad a channels-first torch tensor as Keras pads before a convolution or pooling.

    ``padding`` is ``'same'`` (the odd row or column after: :func:`same_padding`;
    PyTorch's symmetric ``padding=`` cannot express it), ``'causal'`` (the start only),
    ``'valid'`` (nothing), in any case, or explicit ``(before, after)`` pairs, one per
    spatial axis.
    """
    spatial = t.shape[2:]
    strides = tuple(strides) or (1,) * len(spatial)
    dilation = tuple(dilation) or (1,) * len(spatial)
    if isinstance(padding, str):
        padding = padding.lower()
        if padding == "valid":
            return t
        pairs = [(k - 1) * d if padding == "causal" else same_padding(n, k, s, d)
                 for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)]
        pairs = [(p, 0) if padding == "causal" else p for p in pairs]
    else:
        pairs = [tuple(p) for p in padding]
    pads = [amount for pair in reversed(pairs) for amount in pair]  # F.pad: last axis first
    return import_torch().nn.functional.pad(t, pads)
