"""NASNet-A (Zoph et al., 2018), Keras's NASNetMobile and NASNetLarge.

A 3x3 stem convolution, two stem reduction cells, then three groups of normal cells
separated by reduction cells. Each cell takes the two previous cells' outputs (the
earlier one adjusted to the later one's shape: ``adjust_*``), and combines separable
convolutions (``separable_conv_{1,2}_{cell}``), poolings and additions; names are Keras's
(``normal_conv_1_{i}``, ``reduction_concat_reduce_{i}``...), the activations are
unnamed. Batch norms use momentum 0.9997 and epsilon 1e-3; convolutions He-normal
initializers. NASNetMobile's default input is 224x224x3, NASNetLarge's 331x331x3 (the
minimum is 32x32). Inputs are scaled to ``[-1, 1]`` (:func:`preprocess_input`, tf mode).

>>> base = NASNetMobile(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape
(None, 1, 1, 1056)
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import correct_pad, decode_predictions
from deepgrad.applications.imagenet_utils import tf_preprocess_input as preprocess_input
from deepgrad.applications.local_files import KERAS_BASE_URL
from deepgrad.models.model import Model

__all__ = ["NASNetMobile", "NASNetLarge", "preprocess_input", "decode_predictions"]

_BN = {"axis": -1, "momentum": 0.9997, "epsilon": 1e-3}
# Keras saves the files under other names than those of its download addresses.
_FILES = {
    ("mobile", True): ("nasnet_mobile.h5", "NASNet-mobile.h5"),
    ("mobile", False): ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5"),
    ("large", True): ("nasnet_large.h5", "NASNet-large.h5"),
    ("large", False): ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5"),
}


def _conv_bn(x, filters: int, conv_name: str, bn_name: str):
    """ReLU, a 1x1 convolution and batch norm."""
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, (1, 1), padding="same", use_bias=False, name=conv_name,
                      kernel_initializer="he_normal")(x)
    return layers.BatchNormalization(**_BN, name=bn_name)(x)


def _separable_conv_block(x, filters: int, kernel_size=(3, 3), strides=1, block_id=""):
    """Two ReLU, separable convolution and batch-norm triples; the first may stride."""
    for i in (1, 2):
        x = layers.Activation("relu")(x)
        stride = strides if i == 1 else 1
        if stride == 2:
            x = layers.ZeroPadding2D(padding=correct_pad(x, kernel_size),
                                     name=f"separable_conv_1_pad_{block_id}")(x)
        x = layers.SeparableConv2D(filters, kernel_size, strides=stride,
                                   name=f"separable_conv_{i}_{block_id}",
                                   padding="valid" if stride == 2 else "same",
                                   use_bias=False)(x)
        x = layers.BatchNormalization(**_BN, name=f"separable_conv_{i}_bn_{block_id}")(x)
    return x


def _adjust_block(p, ip, filters: int, block_id: str):
    """Bring the previous cell's output ``p`` to the shape of ``ip``'s cell."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                           name=f"adjust_conv_1_{block_id}", kernel_initializer="he_normal")(p1)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                           name=f"adjust_conv_2_{block_id}", kernel_initializer="he_normal")(p2)
        p = layers.Concatenate(axis=-1)([p1, p2])
        return layers.BatchNormalization(**_BN, name=f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        return _conv_bn(p, filters, f"adjust_conv_projection_{block_id}",
                        f"adjust_bn_{block_id}")
    return p


def _pool(x, kind: str, strides: int, name: str):
    pool = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
    return pool((3, 3), strides=(strides, strides), padding="same" if strides == 1 else "valid",
                name=name)(x)


def _normal_a_cell(ip, p, filters: int, block_id: str):
    p = _adjust_block(p, ip, filters, block_id)
    h = _conv_bn(ip, filters, f"normal_conv_1_{block_id}", f"normal_bn_1_{block_id}")
    x1 = layers.Add(name=f"normal_add_1_{block_id}")([
        _separable_conv_block(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
        _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")])
    x2 = layers.Add(name=f"normal_add_2_{block_id}")([
        _separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
        _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")])
    x3 = layers.Add(name=f"normal_add_3_{block_id}")([
        _pool(h, "avg", 1, f"normal_left3_{block_id}"), p])
    x4 = layers.Add(name=f"normal_add_4_{block_id}")([
        _pool(p, "avg", 1, f"normal_left4_{block_id}"),
        _pool(p, "avg", 1, f"normal_right4_{block_id}")])
    x5 = layers.Add(name=f"normal_add_5_{block_id}")([
        _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}"), h])
    x = layers.Concatenate(axis=-1, name=f"normal_concat_{block_id}")([p, x1, x2, x3, x4, x5])
    return x, ip


def _reduction_a_cell(ip, p, filters: int, block_id: str):
    p = _adjust_block(p, ip, filters, block_id)
    h = _conv_bn(ip, filters, f"reduction_conv_1_{block_id}", f"reduction_bn_1_{block_id}")
    h3 = layers.ZeroPadding2D(padding=correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    x1 = layers.Add(name=f"reduction_add_1_{block_id}")([
        _separable_conv_block(h, filters, (5, 5), 2, f"reduction_left1_{block_id}"),
        _separable_conv_block(p, filters, (7, 7), 2, f"reduction_right1_{block_id}")])
    x2 = layers.Add(name=f"reduction_add_2_{block_id}")([
        _pool(h3, "max", 2, f"reduction_left2_{block_id}"),
        _separable_conv_block(p, filters, (7, 7), 2, f"reduction_right2_{block_id}")])
    x3 = layers.Add(name=f"reduction_add3_{block_id}")([
        _pool(h3, "avg", 2, f"reduction_left3_{block_id}"),
        _separable_conv_block(p, filters, (5, 5), 2, f"reduction_right3_{block_id}")])
    x4 = layers.Add()([x2, _pool(x1, "avg", 1, f"reduction_left4_{block_id}")])
    x5 = layers.Add(name=f"reduction_add4_{block_id}")([
        _separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
        _pool(h3, "max", 2, f"reduction_right5_{block_id}")])
    x = layers.Concatenate(axis=-1, name=f"reduction_concat_{block_id}")([x2, x3, x4, x5])
    return x, ip


def _nasnet(who: str, args, *, variant: str, penultimate_filters: int, num_blocks: int,
            stem_block_filters: int, skip_reduction: bool, default_size: int,
            filter_multiplier: int = 2) -> Model:
    if isinstance(args.input_shape, tuple) and None in args.input_shape \
            and args.weights == "imagenet":
        raise ValueError(
            "When specifying the input shape of a NASNet and loading `ImageNet` weights, the "
            "input_shape argument must be static (no None entries). Got: "
            f"`input_shape={args.input_shape}`."
        )
    if variant == "mobile" and not args.include_top and args.input_shape is None:
        args.input_shape = (224, 224, 3)  # Keras's NASNetMobile default without the top
    filename, source = _FILES[variant, bool(args.include_top)]
    img_input, inputs, weights_path = builders.start(
        who, args, (filename, f"{KERAS_BASE_URL}nasnet/{source}"), default_size=default_size)

    filters = penultimate_filters // 24
    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, name="stem_conv1", kernel_initializer="he_normal")(
        img_input)
    x = layers.BatchNormalization(**_BN, name="stem_bn1")(x)
    x, p = _reduction_a_cell(x, None, filters // filter_multiplier**2, "stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, "stem_2")
    for group in range(3):
        if group:
            x, p0 = _reduction_a_cell(x, p, filters * filter_multiplier**group,
                                      f"reduce_{group * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            block_id = f"{group * num_blocks + 1 + i if group else i}"
            x, p = _normal_a_cell(x, p, filters * filter_multiplier**group, block_id)
    x = layers.Activation("relu")(x)
    x = builders.top_or_pooling(x, args)
    return builders.finish(inputs, x, args.name, weights_path, who)


_ARGS = (("input_shape", None), *(arg for arg in builders.KERAS_ARGS if arg[0] != "input_shape"))


def _builder(who: str, variant: str, settings: tuple, count: int, example: str):
    size = settings[-1]
    doc = builders.builder_doc(
        f"Build {who} ({count:,} parameters with the top; {size}x{size} inputs).", example,
        args=_ARGS, default_size=size)
    penultimate, blocks, stem, skip, size = settings
    return builders.keras_builder(
        _nasnet, who, f"nasnet_{variant}", doc, __name__, args=_ARGS, variant=variant,
        penultimate_filters=penultimate, num_blocks=blocks, stem_block_filters=stem,
        skip_reduction=skip, default_size=size)


NASNetMobile = _builder("NASNetMobile", "mobile", (1056, 4, 32, False, 224), 5_326_716, """\
>>> NASNetMobile(weights=None, include_top=False, pooling="avg").output.shape
(None, 1056)""")
NASNetLarge = _builder("NASNetLarge", "large", (4032, 6, 96, True, 331), 88_949_818,
                       builders.size_error_example("NASNetLarge"))
__test__ = {"NASNetMobile": NASNetMobile, "NASNetLarge": NASNetLarge}
