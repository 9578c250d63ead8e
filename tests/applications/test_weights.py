"""Loading Keras 2 (legacy) HDF5 weights files, as Keras publishes its ImageNet weights."""

import numpy as np
import pytest

from deepgrad import applications as apps
from deepgrad.applications import weights as weights_module

h5py = pytest.importorskip("h5py", reason="reading .h5 weights needs h5py (deepgrad[h5])")


def write_keras2_file(path, model, rename=None):
    """Write ``model``'s weights in the layout of Keras 2's ``save_weights(... .h5)``."""
    rename = rename or {}
    with h5py.File(path, "w") as handle:
        names = [rename.get(layer.name, layer.name) for layer in model.layers]
        handle.attrs["layer_names"] = [n.encode("utf8") for n in names]
        handle.attrs["backend"] = b"tensorflow"
        for name, layer in zip(names, model.layers):
            group = handle.create_group(name)
            weight_names = [f"{name}/{v.path.split('/')[-1]}:0" for v in layer.weights]
            group.attrs["weight_names"] = [w.encode("utf8") for w in weight_names]
            for weight_name, array in zip(weight_names, layer.get_weights()):
                group.create_dataset(weight_name, data=array)


def _small(**kwargs):
    return apps.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                            input_shape=(96, 96, 3), **kwargs)


def test_imagenet_file_from_the_cache_is_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "data"))
    source = _small()
    folder = tmp_path / "data" / "models"
    folder.mkdir(parents=True)
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    write_keras2_file(folder / name, source)
    assert weights_module.is_legacy_h5(folder / name)
    loaded = apps.MobileNetV2(alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    for a, b in zip(source.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_automatically_named_layers_are_paired_in_order_by_shape(tmp_path):
    source = apps.ResNet18(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = tmp_path / "resnet18.h5"
    # As in Keras 2 files, where unnamed layers were numbered differently (conv2d_1...).
    write_keras2_file(path, source, rename={"conv3_block1_0_conv": "conv2d_7",
                                            "conv4_block1_0_conv": "conv2d_8"})
    loaded = apps.ResNet18(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    for a, b in zip(source.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_mismatched_file_fails_and_changes_nothing(tmp_path):
    path = tmp_path / "top.h5"
    write_keras2_file(path, apps.ResNet18(weights=None, input_shape=(32, 32, 3), classes=5))
    with pytest.raises(ValueError, match="include_top"):
        apps.ResNet18(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    other = tmp_path / "other.h5"
    write_keras2_file(other, _small())
    target = apps.MobileNetV2(weights=None, alpha=0.5, include_top=False,
                              input_shape=(96, 96, 3))
    before = target.get_weights()
    with pytest.raises(ValueError, match="has weights of shapes"):
        weights_module.load_legacy_h5(target, other, "MobileNetV2")
    for a, b in zip(before, target.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
