"""Loading the ImageNet weights files Keras publishes (Keras 2 "legacy" HDF5 layout).

The files behind ``keras.applications`` (``vgg16_weights_tf_dim_ordering_tf_kernels.h5``
and the like) predate Keras 3's ``.weights.h5`` layout: the root attribute
``layer_names`` lists the layers, and each layer's group lists its arrays in the
attribute ``weight_names`` (``block1_conv1/kernel:0``, ``block1_conv1/bias:0``), in the
order of Keras's ``layer.get_weights()``, which is deepgrad's too. Keras reads them layer
by layer in order; here each file layer goes to the model layer of the same name, and the
few that differ (layers Keras named automatically, such as Xception's shortcut
``conv2d_1``, or an old ``fc1000``) are paired in order, each pair checked shape by shape.
Nothing is changed unless every layer fits. Other files go to ``model.load_weights``.
Reading needs h5py (``pip install 'deepgrad[h5]'``).

>>> is_legacy_h5("model.weights.safetensors")
False
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["is_legacy_h5", "load_legacy_h5", "load_application_weights"]


def _require_h5py(who: str):
    try:
        import h5py
    except ImportError:
        raise ImportError(
            f"{who}: reading Keras's .h5 weights files needs h5py. To fix: "
            "pip install 'deepgrad[h5]' (or pip install h5py)."
        ) from None
    return h5py


def _text(value) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def is_legacy_h5(path) -> bool:
    """Whether ``path`` is an HDF5 file in Keras 2's layout (with ``layer_names``).

    >>> is_legacy_h5("no_such_file.h5")
    False
    """
    path = os.fspath(path)
    if not path.endswith((".h5", ".hdf5")) or not os.path.isfile(path):
        return False
    h5py = _require_h5py("load_weights")
    with h5py.File(path, "r") as handle:
        group = handle["model_weights"] if "model_weights" in handle else handle
        return "layer_names" in group.attrs


def _read_layers(path, who: str) -> list[tuple[str, list[np.ndarray]]]:
    h5py = _require_h5py(who)
    found = []
    with h5py.File(os.fspath(path), "r") as handle:
        group = handle["model_weights"] if "model_weights" in handle else handle
        for name in (_text(n) for n in group.attrs["layer_names"]):
            layer_group = group[name]
            weight_names = [_text(w) for w in layer_group.attrs.get("weight_names", [])]
            if weight_names:
                found.append((name, [np.asarray(layer_group[w]) for w in weight_names]))
    return found


def _shapes_fit(layer, arrays) -> bool:
    weights = layer.weights
    return len(weights) == len(arrays) and all(
        tuple(w.shape) == a.shape for w, a in zip(weights, arrays)
    )


def load_legacy_h5(model, path, who: str = "load_weights") -> None:
    """Load a Keras 2 HDF5 weights file into ``model``, layer by layer.

    Args:
        model: a built model whose layers have Keras's names.
        path: the ``.h5`` file.
        who: the name to start error messages with.

    Raises:
        ValueError: when the file's layers and the model's do not correspond (counts or
            shapes); the model is then left unchanged.
        ImportError: without h5py.
    """
    file_layers = _read_layers(path, who)
    ours = [layer for layer in model.layers if layer.weights]
    by_name = {layer.name: layer for layer in ours}
    pairs, file_left = [], []
    for name, arrays in file_layers:
        layer = by_name.pop(name, None)
        if layer is None:
            file_left.append((name, arrays))
        else:
            pairs.append((layer, name, arrays))
    ours_left = [layer for layer in ours if layer.name in by_name]
    if len(file_left) != len(ours_left):
        raise ValueError(
            f"{who}: the file {os.fspath(path)} has {len(file_layers)} layers with weights, "
            f"the model '{model.name}' has {len(ours)}. Unmatched in the file: "
            f"{[n for n, _ in file_left][:8]}; in the model: {[la.name for la in ours_left][:8]}. "
            "Was it saved from a model with the same include_top, classes and alpha?"
        )
    pairs += [(layer, name, arrays) for layer, (name, arrays) in zip(ours_left, file_left)]
    for layer, name, arrays in pairs:
        if not _shapes_fit(layer, arrays):
            raise ValueError(
                f"{who}: layer '{layer.name}' has weights of shapes "
                f"{[tuple(w.shape) for w in layer.weights]}, but the file's layer '{name}' "
                f"holds {[a.shape for a in arrays]} (file: {os.fspath(path)})."
            )
    for layer, _, arrays in pairs:
        layer.set_weights(arrays)


def load_application_weights(model, path, who: str) -> None:
    """Load ``path`` into ``model``: Keras 2 ``.h5`` files here, others by load_weights."""
    if is_legacy_h5(path):
        load_legacy_h5(model, path, who)
    else:
        model.load_weights(path)
