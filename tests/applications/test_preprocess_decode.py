"""``preprocess_input`` and ``decode_predictions`` of every application module, as Keras's.

Each Keras module's mode is Keras's (keras/src/applications/*.py): caffe for VGG and
ResNet, tf for MobileNet(V2), ResNetV2, the Inceptions, Xception and NASNet, torch for
DenseNet, and the identity where the model rescales its inputs itself. The ImageNet class
index is read from a file this test writes in a temporary cache folder; nothing is
downloaded.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import applications as apps
from deepgrad.applications import imagenet_utils

MODES = {
    "vgg16": "caffe", "vgg19": "caffe", "resnet": "caffe", "resnet50": "caffe",
    "resnet_v2": "tf", "mobilenet": "tf", "mobilenet_v2": "tf", "inception_v3": "tf",
    "inception_resnet_v2": "tf", "xception": "tf", "nasnet": "tf", "densenet": "torch",
    "mobilenet_v3": None, "efficientnet": None, "efficientnet_v2": None, "convnext": None,
}
PIXELS = np.random.default_rng(0).uniform(0, 255, (2, 3, 3, 3)).astype("float32")
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], "float32")
TORCH_MEAN = np.array([0.485, 0.456, 0.406], "float32")
TORCH_STD = np.array([0.229, 0.224, 0.225], "float32")


def _expected(mode, x):
    if mode == "caffe":
        return x[..., ::-1] - CAFFE_MEAN_BGR
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - TORCH_MEAN) / TORCH_STD
    return x


@pytest.mark.parametrize("module_name", list(MODES))
def test_each_module_preprocesses_in_its_family_s_mode(module_name):
    module = getattr(apps, module_name)
    before = PIXELS.copy()
    out = module.preprocess_input(PIXELS)
    np.testing.assert_allclose(out, _expected(MODES[module_name], PIXELS), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(PIXELS, before)  # never written over
    assert module.decode_predictions is imagenet_utils.decode_predictions
    for name in ("preprocess_input", "decode_predictions"):
        assert name in module.__all__


def test_every_keras_application_module_exists_with_its_builders():
    # Keras 3's keras.applications.<module> names (its API tree).
    builders = {
        "convnext": ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
                     "ConvNeXtXLarge"],
        "densenet": ["DenseNet121", "DenseNet169", "DenseNet201"],
        "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
        "efficientnet_v2": [f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M",
                                                          "L")],
        "inception_resnet_v2": ["InceptionResNetV2"], "inception_v3": ["InceptionV3"],
        "mobilenet": ["MobileNet"], "mobilenet_v2": ["MobileNetV2"], "mobilenet_v3": [],
        "nasnet": ["NASNetMobile", "NASNetLarge"],
        "resnet": ["ResNet50", "ResNet101", "ResNet152"], "resnet50": ["ResNet50"],
        "resnet_v2": ["ResNet50V2", "ResNet101V2", "ResNet152V2"], "vgg16": ["VGG16"],
        "vgg19": ["VGG19"], "xception": ["Xception"],
    }
    assert set(builders) == set(MODES)
    for module_name, names in builders.items():
        for name in names:
            assert getattr(getattr(apps, module_name), name) is getattr(apps, name)
    assert apps.MobileNetV3Small.__module__ == "deepgrad.applications.mobilenet_v3"


@pytest.mark.parametrize("mode", ["caffe", "torch"])
def test_channels_first_matches_channels_last(mode):
    last = imagenet_utils.preprocess_input(PIXELS, mode=mode)
    first = imagenet_utils.preprocess_input(PIXELS.transpose(0, 3, 1, 2), "channels_first", mode)
    np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), rtol=1e-6)
    one = imagenet_utils.preprocess_input(PIXELS[0].transpose(2, 0, 1), "channels_first", mode)
    np.testing.assert_allclose(one, last[0].transpose(2, 0, 1), rtol=1e-6)


def test_preprocess_takes_integers_and_tensors():
    out = imagenet_utils.preprocess_input(np.full((1, 1, 3), 255, "uint8"), mode="tf")
    assert out.dtype == np.float32 and out.tolist() == [[[1.0, 1.0, 1.0]]]
    out = apps.densenet.preprocess_input(dg.Tensor(PIXELS))
    np.testing.assert_allclose(out, _expected("torch", PIXELS), rtol=1e-5)


# -- decode_predictions ---------------------------------------------------------------------
def _write_class_index(folder):
    folder.mkdir(parents=True, exist_ok=True)
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (folder / imagenet_utils.CLASS_INDEX_FILE).write_text(json.dumps(index))


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """HOME and $DEEPGRAD_DATA in a temporary folder: no class index anywhere yet."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "data"))
    return tmp_path


def test_decode_predictions_gives_the_top_classes_best_first(caches):
    _write_class_index(caches / "home" / ".keras" / "models")  # where Keras keeps its copy
    preds = np.zeros((2, 1000), "float32")
    preds[0, [7, 500, 999]] = [0.2, 0.7, 0.1]
    preds[1, 3] = 1.0
    decoded = apps.resnet50.decode_predictions(preds, top=3)
    assert [entry[:2] for entry in decoded[0]] == [("n00000500", "class_500"),
                                                   ("n00000007", "class_7"),
                                                   ("n00000999", "class_999")]
    np.testing.assert_allclose([entry[2] for entry in decoded[0]], [0.7, 0.2, 0.1])
    assert decoded[1][0] == ("n00000003", "class_3", 1.0)
    assert [len(d) for d in apps.efficientnet.decode_predictions(dg.Tensor(preds))] == [5, 5]


def test_decode_predictions_prefers_deepgrad_s_cache_folders(caches):
    _write_class_index(caches / "home" / ".keras" / "models")
    own = caches / "data" / "models"
    own.mkdir(parents=True)
    index = {str(i): [f"w{i}", f"mine_{i}"] for i in range(1000)}
    (own / imagenet_utils.CLASS_INDEX_FILE).write_text(json.dumps(index))
    preds = np.eye(1000, dtype="float32")[[42]]
    assert imagenet_utils.decode_predictions(preds, top=1) == [[("w42", "mine_42", 1.0)]]


def test_missing_class_index_says_where_to_put_it(caches):
    with pytest.raises(apps.ClassIndexNotFoundError) as info:
        apps.vgg16.decode_predictions(np.zeros((1, 1000)))
    message = str(info.value)
    assert "imagenet_class_index.json" in message
    assert imagenet_utils.CLASS_INDEX_URL in message
    assert str(caches / "home" / ".cache" / "deepgrad" / "models") in message
    assert isinstance(info.value, FileNotFoundError)


def test_decode_predictions_errors(caches):
    with pytest.raises(ValueError, match=r"Received array with shape: \(1000,\)"):
        imagenet_utils.decode_predictions(np.zeros(1000))
    folder = caches / "data" / "models"
    folder.mkdir(parents=True)
    (folder / imagenet_utils.CLASS_INDEX_FILE).write_text(json.dumps({"0": ["n0", "tench"]}))
    with pytest.raises(ValueError, match="is not an ImageNet class index"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_inside_a_model_and_under_a_tape(mode):
    # keras.io's triplet-loss siamese example calls resnet.preprocess_input(anchor_input)
    # on a KerasTensor (deepgrad raised ValueError); on a Tensor the result must keep the
    # graph so a gradient reaches the pixels.
    inputs = dg.Input(PIXELS.shape[1:])
    outputs = imagenet_utils.preprocess_input(inputs, mode=mode)
    assert outputs.shape == (None,) + PIXELS.shape[1:]
    model = dg.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(PIXELS, verbose=0), _expected(mode, PIXELS),
                               rtol=1e-5)
    first = imagenet_utils.preprocess_input(dg.Tensor(PIXELS.transpose(0, 3, 1, 2)),
                                            "channels_first", mode)
    np.testing.assert_allclose(first.numpy(), _expected(mode, PIXELS).transpose(0, 3, 1, 2),
                               rtol=1e-5)
    pixels = dg.Tensor(PIXELS)
    with dg.GradientTape() as tape:
        tape.watch(pixels)
        total = dg.ops.sum(imagenet_utils.preprocess_input(pixels, mode=mode))
    assert tape.gradient(total, pixels) is not None
