"""Keras's argument and input-shape rules, the offline weights lookup, preprocess_input."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import applications as apps
from deepgrad.applications import builders, imagenet_utils, local_files


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """No weights file anywhere: HOME and $DEEPGRAD_DATA point at empty folders."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "data"))
    return tmp_path


# -- input shapes ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "builder, too_small, minimum",
    [(apps.VGG16, 31, 32), (apps.ResNet50, 31, 32), (apps.ResNet18, 16, 32),
     (apps.MobileNetV2, 31, 32), (apps.Xception, 70, 71)],
    ids=["VGG16", "ResNet50", "ResNet18", "MobileNetV2", "Xception"],
)
def test_too_small_inputs_fail_with_the_minimum(builder, too_small, minimum):
    with pytest.raises(ValueError, match=f"at least {minimum}x{minimum}"):
        builder(weights=None, include_top=False, input_shape=(too_small, 64, 3))


def test_include_top_needs_a_static_shape():
    with pytest.raises(ValueError, match="static `input_shape`"):
        apps.ResNet18(weights=None, input_shape=(None, None, 3))


def test_input_shape_must_have_three_entries():
    with pytest.raises(ValueError, match="three integers"):
        apps.ResNet18(weights=None, include_top=False, input_shape=(64, 64))


def test_unusual_channel_count_warns_as_keras():
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        model = apps.ResNet18(weights=None, include_top=False, input_shape=(32, 32, 4))
    assert model.input.shape == (None, 32, 32, 4)


def test_imagenet_rules_checked_before_any_file_lookup(empty_caches):
    with pytest.raises(ValueError, match=r"`input_shape` should be \(224, 224, 3\)"):
        apps.VGG16(input_shape=(180, 180, 3))
    with pytest.raises(ValueError, match="must have 3 channels"):
        apps.VGG16(include_top=False, input_shape=(64, 64, 1))
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        apps.ResNet50(classes=10)
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        apps.Xception(classifier_activation="sigmoid")
    with pytest.raises(ValueError, match="alpha must be one of"):
        apps.MobileNetV2(alpha=0.6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="`weights` argument should be either"):
        apps.VGG16(weights="no/such/file.h5")
    with pytest.raises(ValueError, match="`pooling` must be None, 'avg' or 'max'"):
        apps.ResNet18(weights=None, include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="`classes` must be a positive int"):
        apps.ResNet18(weights=None, classes=0)
    with pytest.raises(ValueError, match="`alpha` must be a positive number"):
        apps.MobileNetV2(weights=None, alpha=-1)
    with pytest.raises(TypeError, match="`input_tensor` must be a KerasTensor"):
        apps.ResNet18(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))
    with pytest.raises(ValueError, match="no ImageNet weights are published for ResNet18"):
        apps.ResNet18(weights="imagenet")
    with pytest.raises(ValueError, match="at least 12x12"):
        apps.LeNet5(input_shape=(8, 8, 1))


def test_non_imagenet_classifier_activation_is_free():
    model = apps.ResNet18(weights=None, input_shape=(32, 32, 3), classes=1,
                          classifier_activation="sigmoid")
    assert model.get_layer("predictions").get_config()["activation"] == "sigmoid"


# -- imagenet weights: offline lookup ----------------------------------------------------
@pytest.mark.parametrize(
    "build, filename",
    [
        (lambda: apps.VGG16(include_top=False),
         "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (lambda: apps.VGG19(), "vgg19_weights_tf_dim_ordering_tf_kernels.h5"),
        (lambda: apps.ResNet50(include_top=False),
         "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (lambda: apps.MobileNetV2(input_shape=(160, 160, 3), include_top=False),
         "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5"),
        (lambda: apps.Xception(), "xception_weights_tf_dim_ordering_tf_kernels.h5"),
    ],
    ids=["VGG16", "VGG19", "ResNet50", "MobileNetV2", "Xception"],
)
def test_missing_imagenet_file_says_which_file_and_where(empty_caches, build, filename):
    with pytest.raises(apps.WeightsNotFoundError) as info:
        build()
    message = str(info.value)
    assert filename in message
    assert "https://storage.googleapis.com/tensorflow/keras-applications/" in message
    assert str(empty_caches / "home" / ".cache" / "deepgrad" / "models") in message
    assert "weights=None" in message
    assert isinstance(info.value, FileNotFoundError)


def test_weights_file_is_found_in_each_cache_folder(empty_caches):
    name = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    folders = local_files.search_dirs()
    assert folders == [empty_caches / "data" / "models",
                       empty_caches / "home" / ".cache" / "deepgrad" / "models",
                       empty_caches / "home" / ".keras" / "models"]
    for folder in reversed(folders):
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"")
        assert builders.find_weights_file("VGG16", name, "https://x/") == folder / name


def test_mobilenet_v2_odd_size_with_imagenet_warns_and_uses_224(empty_caches):
    with pytest.warns(UserWarning, match="Weights for input shape"):
        with pytest.raises(apps.WeightsNotFoundError, match="_1.0_224_no_top.h5"):
            apps.MobileNetV2(include_top=False, input_shape=(100, 100, 3))


# -- preprocess_input ------------------------------------------------------------------
def test_preprocess_caffe_mode():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    before = x.copy()
    expected = x[..., ::-1] - np.array([103.939, 116.779, 123.68], "float32")
    for module in (apps.vgg16, apps.vgg19, apps.resnet50, apps.resnet):
        out = module.preprocess_input(x)
        np.testing.assert_allclose(out, expected, rtol=1e-6)
        assert out.dtype == np.float32
    np.testing.assert_array_equal(x, before)  # the input is never changed


def test_preprocess_tf_and_torch_modes():
    x = np.array([[[0, 127.5, 255]]], dtype="float64")
    for module in (apps.mobilenet_v2, apps.xception):
        out = module.preprocess_input(x)
        np.testing.assert_allclose(out, [[[-1.0, 0.0, 1.0]]])
        assert out.dtype == np.float64
    torch_mode = imagenet_utils.preprocess_input(x, mode="torch")
    expected = (x / 255 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(torch_mode, expected)
    assert imagenet_utils.preprocess_input(np.zeros((2, 2, 3), "uint8")).dtype == np.float32


def test_preprocess_errors():
    with pytest.raises(ValueError, match="Expected mode to be one of"):
        imagenet_utils.preprocess_input(np.zeros((1, 1, 3)), mode="keras")
    with pytest.raises(ValueError, match="preprocess_input: `data_format` must be 'channels_"):
        imagenet_utils.preprocess_input(np.zeros((1, 1, 1, 3)), data_format="NHWC")
    with pytest.raises(ValueError, match="3 channels on axis -1"):
        apps.vgg16.preprocess_input(np.zeros((1, 4, 4, 1)))


def test_reachable_as_dg_applications():
    assert dg.applications.VGG16 is apps.vgg.VGG16
    assert dg.applications.vgg16.VGG16 is apps.VGG16
    assert dg.applications.resnet50.ResNet50 is apps.ResNet50
