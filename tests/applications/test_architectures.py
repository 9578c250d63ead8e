"""Architectures against Keras: parameter counts, layer names, output shapes.

Keras's counts are in ``test_keras_layouts.py``; here the deepgrad extras ResNet18/34
have torchvision's trainable parameter counts
(``sum(p.numel() for p in resnet18().parameters())``). Expected layer names are written
from Keras's source (keras/src/applications/*.py), not from ours.
"""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import applications as apps


def _names(model):
    return [layer.name for layer in model.layers]


def _trainable_count(model):
    return int(sum(v.size for v in model.trainable_weights))


# -- parameter counts ------------------------------------------------------------------
# Keras's applications: tests/applications/test_keras_layouts.py.
@pytest.mark.parametrize(
    "builder, trainable, moving_stats",
    [(apps.ResNet18, 11_689_512, 9_600), (apps.ResNet34, 21_797_672, 17_024)],
    ids=["ResNet18", "ResNet34"],
)
def test_basic_block_resnets_match_torchvision_counts(builder, trainable, moving_stats):
    model = builder(weights=None)
    assert _trainable_count(model) == trainable
    assert model.count_params() == trainable + moving_stats
    assert model.output.shape == (None, 1000)


def test_lenet5_classic_shapes_and_count():
    model = apps.LeNet5()
    assert model.count_params() == 61_706
    assert model.output.shape == (None, 10)
    assert _names(model) == ["input_layer", "conv1", "pool1", "conv2", "pool2", "flatten",
                             "fc1", "fc2", "predictions"]
    assert model.get_layer("pool2").compute_output_shape((None, 10, 10, 16)) == (None, 5, 5, 16)
    out = model.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0)
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


# -- layer names -----------------------------------------------------------------------
VGG_BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}


@pytest.mark.parametrize("builder", [apps.VGG16, apps.VGG19], ids=["VGG16", "VGG19"])
def test_vgg_layer_names(builder):
    model = builder(weights=None, include_top=False, input_shape=(32, 32, 3))
    expected = ["input_layer"]
    for block, depth in enumerate(VGG_BLOCKS[model.name], start=1):
        expected += [f"block{block}_conv{i}" for i in range(1, depth + 1)]
        expected.append(f"block{block}_pool")
    assert _names(model) == expected
    assert model.get_layer("block5_pool").name == "block5_pool"


def test_vgg16_top_layer_names_and_course_shape():
    base = apps.VGG16(weights=None, include_top=False, input_shape=(180, 180, 3))
    assert base.output.shape == (None, 5, 5, 512)
    assert base.name == "vgg16"


def _resnet50_names(include_top):
    names = ["input_layer", "conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu",
             "pool1_pad", "pool1_pool"]
    for stage, blocks in zip((2, 3, 4, 5), (3, 4, 6, 3)):
        for b in range(1, blocks + 1):
            p = f"conv{stage}_block{b}"
            if b == 1:
                names += [f"{p}_0_conv", f"{p}_0_bn"]
            for i in (1, 2):
                names += [f"{p}_{i}_conv", f"{p}_{i}_bn", f"{p}_{i}_relu"]
            names += [f"{p}_3_conv", f"{p}_3_bn", f"{p}_add", f"{p}_out"]
    return names + (["avg_pool", "predictions"] if include_top else [])


def test_resnet50_layer_names():
    model = apps.ResNet50(weights=None)
    assert len(model.layers) == 177
    assert sorted(_names(model)) == sorted(_resnet50_names(True))


def _mobilenet_v2_names():
    names = ["input_layer", "Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise",
             "expanded_conv_depthwise_BN", "expanded_conv_depthwise_relu",
             "expanded_conv_project", "expanded_conv_project_BN"]
    for i in range(1, 17):
        p = f"block_{i}_"
        names += [f"{p}expand", f"{p}expand_BN", f"{p}expand_relu"]
        if i in (1, 3, 6, 13):
            names.append(f"{p}pad")
        names += [f"{p}depthwise", f"{p}depthwise_BN", f"{p}depthwise_relu",
                  f"{p}project", f"{p}project_BN"]
        if i in (2, 4, 5, 7, 8, 9, 11, 12, 14, 15):
            names.append(f"{p}add")
    return names + ["Conv_1", "Conv_1_bn", "out_relu", "global_average_pooling2d",
                    "predictions"]


def test_mobilenet_v2_layer_names_in_keras_order():
    model = apps.MobileNetV2(weights=None)
    assert _names(model) == _mobilenet_v2_names()
    assert model.name == "mobilenetv2_1.00_224"


def _xception_names():
    names = ["input_layer", "block1_conv1", "block1_conv1_bn", "block1_conv1_act",
             "block1_conv2", "block1_conv2_bn", "block1_conv2_act",
             "block2_sepconv1", "block2_sepconv1_bn", "block2_sepconv2_act",
             "block2_sepconv2", "block2_sepconv2_bn", "block2_pool"]
    for block in (3, 4, 13):
        names += [f"block{block}_sepconv1_act", f"block{block}_sepconv1",
                  f"block{block}_sepconv1_bn", f"block{block}_sepconv2_act",
                  f"block{block}_sepconv2", f"block{block}_sepconv2_bn", f"block{block}_pool"]
    for block in range(5, 13):
        for conv in (1, 2, 3):
            p = f"block{block}_sepconv{conv}"
            names += [f"{p}_act", p, f"{p}_bn"]
    names += ["block14_sepconv1", "block14_sepconv1_bn", "block14_sepconv1_act",
              "block14_sepconv2", "block14_sepconv2_bn", "block14_sepconv2_act"]
    # The four shortcut convolutions, their batch norms and the 12 additions are unnamed
    # in Keras, so they take the automatic names.
    names += ["conv2d"] + [f"conv2d_{i}" for i in (1, 2, 3)]
    names += ["batch_normalization"] + [f"batch_normalization_{i}" for i in (1, 2, 3)]
    names += ["add"] + [f"add_{i}" for i in range(1, 12)]
    return names + ["avg_pool", "predictions"]


def test_xception_layer_names():
    dg.layers.clear_session()
    model = apps.Xception(weights=None)
    assert len(model.layers) == 134
    assert sorted(_names(model)) == sorted(_xception_names())
    assert model.input.shape == (None, 299, 299, 3)


def test_resnet18_names_follow_keras_scheme():
    model = apps.ResNet18(weights=None, include_top=False, input_shape=(32, 32, 3))
    names = set(_names(model))
    assert {"conv1_conv", "conv2_block2_out", "conv3_block1_0_conv", "conv3_block1_1_pad",
            "conv5_block2_2_bn", "conv5_block2_out"} <= names
    assert "conv2_block1_0_conv" not in names  # 64 -> 64 at stride 1: identity shortcut
    assert model.get_layer("conv1_conv").use_bias is False


# -- output shapes and pooling ---------------------------------------------------------
@pytest.mark.parametrize(
    "builder, shape, features",
    [
        (apps.VGG16, (32, 32, 3), 512),
        (apps.ResNet50, (32, 32, 3), 2048),
        (apps.ResNet18, (64, 64, 3), 512),  # 2x2 features: avg and max differ
        (apps.MobileNetV2, (64, 64, 3), 1280),  # 2x2
        (apps.Xception, (71, 71, 3), 2048),  # 3x3
    ],
    ids=["VGG16", "ResNet50", "ResNet18", "MobileNetV2", "Xception"],
)
def test_pooling_avg_and_max_give_2d_features(builder, shape, features):
    """pooling='avg'/'max' is the spatial mean/max of the unpooled model's feature map."""
    x = np.random.default_rng(0).uniform(0, 255, (2,) + shape).astype("float32")
    unpooled = builder(weights=None, include_top=False, input_shape=shape)
    feature_map = unpooled.predict(x, verbose=0)
    for pooling, reduce in (("avg", np.mean), ("max", np.max)):
        model = builder(weights=None, include_top=False, pooling=pooling, input_shape=shape)
        assert model.output.shape == (None, features)
        model.set_weights(unpooled.get_weights())
        np.testing.assert_allclose(model.predict(x, verbose=0), reduce(feature_map, axis=(1, 2)),
                                   rtol=1e-5, atol=1e-6)


def test_default_shapes_without_top_are_free_and_with_top_fixed():
    assert apps.ResNet50(weights=None, include_top=False).input.shape == (None, None, None, 3)
    assert apps.VGG16(weights=None, include_top=False).output.shape == (None, None, None, 512)
    assert apps.VGG16(weights=None, include_top=False).input.shape == (None, None, None, 3)
    assert apps.MobileNetV2(weights=None, input_shape=(96, 96, 3)).name == "mobilenetv2_1.00_96"


def test_include_top_with_other_shape_and_classes():
    model = apps.VGG16(weights=None, input_shape=(64, 64, 3), classes=7,
                       classifier_activation=None)
    assert model.output.shape == (None, 7)
    assert model.get_layer("fc1").kernel.shape == (2 * 2 * 512, 4096)


def test_mobilenet_v2_alpha_scales_widths():
    model = apps.MobileNetV2(weights=None, alpha=0.5, include_top=False,
                             input_shape=(32, 32, 3))
    assert model.get_layer("Conv1").filters == 16
    assert model.get_layer("block_16_project").filters == 160
    assert model.output.shape == (None, 1, 1, 1280)
    wide = apps.MobileNetV2(weights=None, alpha=1.4, include_top=False, input_shape=(32, 32, 3))
    assert wide.output.shape == (None, 1, 1, 1792)


@pytest.mark.parametrize("size", [32, 33])
def test_correct_pad_then_valid_equals_tf_same_padding(size):
    """MobileNetV2's strided depthwise convolutions pad as TensorFlow's 'same' does."""
    from deepgrad.applications.imagenet_utils import correct_pad

    inputs = dg.Input(shape=(size, size, 4))
    padded = dg.layers.ZeroPadding2D(padding=correct_pad(inputs, 3))(inputs)
    valid = dg.layers.DepthwiseConv2D(3, strides=2, padding="valid")
    same = dg.layers.DepthwiseConv2D(3, strides=2, padding="same")
    explicit = dg.Model(inputs, valid(padded))
    implicit = dg.Model(inputs, same(inputs))
    same.set_weights(valid.get_weights())
    x = np.random.default_rng(size).normal(size=(2, size, size, 4)).astype("float32")
    np.testing.assert_allclose(explicit.predict(x, verbose=0), implicit.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("builder", [apps.ResNet18, apps.MobileNetV2], ids=["ResNet18", "MNv2"])
def test_without_top_any_image_size_runs(builder):
    model = builder(weights=None, include_top=False, pooling="avg")
    for rows, cols in ((40, 40), (45, 64)):
        out = model.predict(np.zeros((1, rows, cols, 3), "float32"), verbose=0)
        assert out.shape == (1, model.output.shape[-1])
