"""An optimizer's state as named arrays, and back: what saved models store.

``collect`` gives every piece of state an optimizer needs to continue bit-identically
(the call count, a float learning rate, shared scalars, each slot of each variable, the
accumulated gradients); ``restore`` checks a dict of them against the optimizer and
loads it, changing nothing if any entry is wrong. ``Optimizer.get_state`` and
``Optimizer.set_state`` call them.

>>> import numpy as np
>>> from deepgrad.optimizers import SGD
>>> from deepgrad.tensor import Variable
>>> opt = SGD(momentum=0.9); opt.build([Variable(np.zeros(2, np.float32))])
>>> sorted(collect(opt))
['iterations', 'learning_rate', 'momentum/0']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from deepgrad.optimizers.base import Optimizer

__all__ = ["collect", "spec", "restore", "ACCUMULATOR"]

# The state key of the gradients accumulated between updates (gradient accumulation).
ACCUMULATOR = "gradient_accumulator"


def collect(optimizer: Optimizer) -> dict[str, np.ndarray]:
    """Return copies of every piece of ``optimizer``'s state (see ``get_state``)."""
    state = {"iterations": np.array(optimizer._iterations, dtype=np.int64)}
    if type(optimizer._learning_rate) is float:
        state["learning_rate"] = np.array(optimizer._learning_rate, dtype=np.float64)
    for name, value in optimizer._scalars.items():
        state[name] = value.copy()
    if optimizer._storage is not None:
        state.update(optimizer._storage.slot_state())
        if optimizer.gradient_accumulation_steps:
            state.update(optimizer._storage.grad_state(ACCUMULATOR))
    return state


def spec(optimizer: Optimizer) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The shape and dtype of each entry :func:`collect` gives, without copying any."""
    out = {"iterations": ((), np.dtype(np.int64))}
    if type(optimizer._learning_rate) is float:
        out["learning_rate"] = ((), np.dtype(np.float64))
    for name, value in optimizer._scalars.items():
        out[name] = (value.shape, value.dtype)
    if optimizer._storage is not None:
        out.update(optimizer._storage.slot_spec())
        if optimizer.gradient_accumulation_steps:
            out.update({f"{ACCUMULATOR}/{i}": (view.shape, view.dtype)
                        for i, view in enumerate(optimizer._storage.grad_views)})
    return out


def restore(optimizer: Optimizer, state: dict[str, np.ndarray]) -> None:
    """Load ``state`` (as :func:`collect` gives it) into ``optimizer``.

    Raises:
        ValueError: if the optimizer is not built while the state has slots, a key is
            missing or unexpected, or a shape or dtype differs (nothing is changed).
    """
    expected = spec(optimizer)
    optional = {"learning_rate"}
    missing = sorted(set(expected) - set(state) - optional)
    unexpected = sorted(set(state) - set(expected) - optional)
    if unexpected and optimizer._storage is None:
        raise ValueError(
            f"{optimizer._prefix}cannot set slot state on an optimizer that is not built. To "
            "fix, call `optimizer.build(trainable_variables)` first."
        )
    if missing or unexpected:
        raise ValueError(
            f"{optimizer._prefix}the state does not match this optimizer. Missing: {missing}; "
            f"unexpected: {unexpected}."
        )
    arrays = {name: np.asarray(value) for name, value in state.items()}
    for name, array in arrays.items():
        if name == "learning_rate":
            if "learning_rate" not in expected:
                raise ValueError(
                    f"{optimizer._prefix}the state holds a float learning rate but this "
                    "optimizer uses a schedule or a callable."
                )
            continue
        shape, dtype = expected[name]
        if name == "iterations":
            good = array.shape == () and np.issubdtype(array.dtype, np.integer)
        else:
            good = array.shape == shape and array.dtype == dtype
        if not good:
            raise ValueError(
                f"{optimizer._prefix}state entry {name!r} has shape {array.shape} and dtype "
                f"{array.dtype}; expected shape {shape} and dtype {dtype}."
            )
    optimizer._iterations = int(arrays["iterations"])
    if "learning_rate" in arrays:
        optimizer._learning_rate = float(arrays["learning_rate"])
    for name in optimizer._scalars:
        optimizer._scalars[name][...] = arrays[name]
    if optimizer._storage is not None:
        optimizer._storage.load_slot_state(arrays)
        if optimizer.gradient_accumulation_steps:
            optimizer._storage.load_grad_state(arrays, ACCUMULATOR)
