"""Keras 3 ``.weights.h5`` files, read and written through h5py (optional: ``deepgrad[h5]``).

Keras 3 lays a weights file out as one HDF5 group per layer, holding a ``vars`` group
with one dataset per weight named ``0``, ``1``...: ``layers/dense/vars/0`` is the first
Dense layer's kernel, ``layers/dense_1/vars/1`` the second one's bias, and the model's
own weights sit in the top-level ``vars``. deepgrad's weight paths are the same
(:mod:`deepgrad.saving.weight_paths`), so a file maps onto a model by path alone. Keras
also stores its optimizer (``optimizer/vars/...``) and metrics (private attributes such
as ``_compile_metrics``) there; those are ignored when loading weights.

Layers are numbered in the model's layer order, which follows Keras 3's rule for
functional models too (deepest first, ties in the order of a depth-first walk back from
the outputs; see :mod:`deepgrad.models.functional`), so branching models such as ResNet50
number their layers as Keras does. A mismatch still shows as an error naming the layers.

>>> blob = dumps({"layers/dense/vars/0": np.ones((2, 1), np.float32)}, ["", "layers/dense"])
>>> loads(blob, "demo")["layers/dense/vars/0"].shape
(2, 1)
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import numpy as np

__all__ = ["dumps", "loads", "require_h5py"]


def require_h5py(who: str):
    """Import h5py, or fail with how to install it.

    Raises:
        ImportError: if h5py is not installed.
    """
    try:
        import h5py
    except ImportError:
        raise ImportError(
            f"{who}: reading and writing .h5 weights needs h5py. To fix: "
            "pip install 'deepgrad[h5]' (or pip install h5py)."
        ) from None
    return h5py


def dumps(arrays: dict[str, np.ndarray], layer_paths: Iterable[str]) -> bytes:
    """Return the bytes of a Keras 3 ``.weights.h5`` file holding ``arrays``.

    Args:
        arrays: weight path (``layers/dense/vars/0``) to array.
        layer_paths: every layer's path (``""`` for the model itself), so layers without
            weights get their (empty) ``vars`` group as Keras writes them.
    """
    h5py = require_h5py("save_weights")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        for path in layer_paths:
            handle.require_group(f"{path}/vars" if path else "vars")
        for key, value in arrays.items():
            handle.create_dataset(key, data=np.asarray(value))
    return buffer.getvalue()


def _ignored(key: str) -> bool:
    top = key.split("/", 1)[0]
    return top == "optimizer" or top.startswith("_")


def loads(blob: bytes, where: str) -> dict[str, np.ndarray]:
    """Read the weights of a Keras 3 ``.weights.h5`` file: ``{path: array}``.

    Raises:
        ValueError: for a file h5py cannot open, a Keras 2 (legacy) file, or bfloat16
            weights.
    """
    h5py = require_h5py("load_weights")
    arrays: dict[str, np.ndarray] = {}
    try:
        handle = h5py.File(io.BytesIO(blob), "r")
    except OSError as error:
        raise ValueError(f"{where}: not a readable HDF5 file ({error}).") from None
    with handle:
        if "layer_names" in handle.attrs or "model_weights" in handle:
            raise ValueError(
                f"{where}: this is a legacy Keras 2 .h5 file, which deepgrad does not read. "
                "To fix, load it in Keras 3 and save it again with "
                "model.save_weights('name.weights.h5')."
            )

        def visit(name: str, item) -> None:
            if not isinstance(item, h5py.Dataset) or "/vars/" not in f"/{name}":
                return
            if _ignored(name):
                return
            if item.attrs.get("dtype") == "bfloat16":
                raise ValueError(f"{where}: weight '{name}' is bfloat16, which NumPy lacks.")
            arrays[name] = np.array(item)

        handle.visititems(visit)
    return arrays
