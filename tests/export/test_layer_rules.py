"""Every exportable layer alone (or after a convolution, to test the channels-first path):
``check_model(full_check=True)`` passes and ONNX Runtime equals ``predict`` within 1e-5 of
the largest value, for batches of 1 and 7 (see conftest.check_onnx)."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def randomize(model, seed: int = 0):
    """Random weights everywhere, variances positive (BatchNorm's statistics too)."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        if not np.issubdtype(weight.dtype, np.floating):
            continue
        shape = tuple(weight.shape)
        if "variance" in weight.name:
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        weight.assign(value.astype(weight.dtype))
    return model


def seq(shape, *layers, dtype=None):
    return randomize(dg.Sequential([L.Input(shape, dtype=dtype) if dtype else L.Input(shape),
                                    *layers]))


def conv_then(*layers, shape=(9, 9, 3)):
    """The layers after a convolution: their input arrives channels-first in the graph."""
    return seq(shape, L.Conv2D(4, 3, padding="same"), *layers)


def merged(layer, shapes=((5, 4), (5, 4))):
    inputs = [L.Input(s) for s in shapes]
    return randomize(dg.Model(inputs, layer(inputs)))


def merged_after_conv(layer):
    x = L.Input((6, 6, 3))
    a = L.Conv2D(4, 3, padding="same")(x)
    b = L.Conv2D(4, 1)(x)
    return randomize(dg.Model(x, layer([a, b])))


def _deprecated_rms_layer_norm():
    with pytest.warns(UserWarning, match="deprecated"):  # Keras's warning, kept
        return L.LayerNormalization(rms_scaling=True)


ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "selu", "softplus", "softsign", "silu",
               "gelu", "tanh", "sigmoid", "exponential", "hard_sigmoid", "hard_silu", "linear",
               "mish", "softmax", "log_softmax", "celu", "glu", "hard_shrink", "hard_tanh",
               "log_sigmoid", "soft_shrink", "sparse_plus", "sparse_sigmoid", "sparsemax",
               "squareplus", "tanh_shrink"]

CASES = {
    # core
    "dense": lambda: seq((6,), L.Dense(5, activation="tanh")),
    "dense_rank3_no_bias": lambda: seq((3, 6), L.Dense(5, use_bias=False)),
    **{f"activation_{a}": (lambda a=a: seq((4, 6), L.Activation(a))) for a in ACTIVATIONS},
    "activation_softmax_after_conv": lambda: conv_then(L.Activation("softmax")),
    "relu_layer": lambda: conv_then(L.ReLU()),
    "relu_max_value": lambda: conv_then(L.ReLU(max_value=0.5)),
    "relu_slope_threshold": lambda: seq((7,), L.ReLU(max_value=1.0, negative_slope=0.3,
                                                     threshold=0.2)),
    "leaky_relu_layer": lambda: conv_then(L.LeakyReLU(0.1)),
    "elu_layer": lambda: conv_then(L.ELU(0.7)),
    "softmax_layer_axis1": lambda: conv_then(L.Softmax(axis=1)),
    "prelu_shared": lambda: conv_then(L.PReLU(shared_axes=[1, 2])),
    "prelu_full": lambda: seq((5, 4), L.PReLU()),
    "identity_layers": lambda: conv_then(
        L.Dropout(0.5), L.SpatialDropout2D(0.3), L.GaussianNoise(1.0), L.GaussianDropout(0.2),
        L.ActivityRegularization(0.1), L.Identity(), L.RandomFlip(), L.RandomRotation(0.2),
        L.RandomTranslation(0.1, 0.1), L.RandomZoom(0.2), L.RandomContrast(0.3),
        L.RandomBrightness(0.2)),
    "spatial_dropout_1d": lambda: seq((5, 3), L.SpatialDropout1D(0.5), L.Dense(2)),
    # convolutions
    "conv2d_same_stride2": lambda: seq((9, 8, 3), L.Conv2D(5, 3, strides=2, padding="same",
                                                         activation="relu")),
    "conv2d_valid_dilated": lambda: seq((9, 9, 2), L.Conv2D(4, 3, dilation_rate=2)),
    "conv2d_even_kernel_same": lambda: seq((8, 7, 2), L.Conv2D(3, (4, 2), padding="same")),
    "conv2d_groups": lambda: seq((7, 7, 4), L.Conv2D(6, 3, groups=2, use_bias=False)),
    "conv1d_causal": lambda: seq((10, 3), L.Conv1D(4, 3, padding="causal", dilation_rate=2)),
    "conv1d_same_stride": lambda: seq((11, 3), L.Conv1D(4, 4, strides=3, padding="same")),
    "conv3d": lambda: seq((5, 6, 4, 2), L.Conv3D(3, (2, 3, 2), padding="same")),
    "conv2d_transpose_same": lambda: seq((5, 4, 3), L.Conv2DTranspose(4, 3, strides=2,
                                                                    padding="same")),
    "conv2d_transpose_valid": lambda: seq((5, 4, 3), L.Conv2DTranspose(4, (3, 2), strides=2)),
    "conv2d_transpose_small_kernel": lambda: seq((4, 4, 2), L.Conv2DTranspose(3, 1, strides=3)),
    "conv2d_transpose_output_padding": lambda: seq(
        (5, 5, 2), L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=0)),
    "conv2d_transpose_output_padding_valid": lambda: seq(
        (5, 5, 2), L.Conv2DTranspose(3, 3, strides=3, output_padding=(1, 2))),
    "conv2d_transpose_dilated": lambda: seq((5, 5, 2), L.Conv2DTranspose(3, 3,
                                                                       dilation_rate=2)),
    "conv1d_transpose": lambda: seq((6, 3), L.Conv1DTranspose(2, 3, strides=2, padding="same")),
    "conv3d_transpose": lambda: seq((3, 4, 3, 2), L.Conv3DTranspose(2, 2, strides=2)),
    "depthwise2d": lambda: seq((9, 9, 3), L.DepthwiseConv2D(3, strides=2, padding="same",
                                                          depth_multiplier=2)),
    "depthwise1d": lambda: seq((9, 3), L.DepthwiseConv1D(3, depth_multiplier=2)),
    "separable2d": lambda: seq((8, 8, 3), L.SeparableConv2D(5, 3, padding="same",
                                                          depth_multiplier=2,
                                                          activation="relu")),
    "separable1d": lambda: seq((8, 3), L.SeparableConv1D(4, 3, strides=2)),
    # pooling
    "max_pool_same_odd": lambda: seq((7, 9, 2), L.MaxPooling2D(2, padding="same")),
    "avg_pool_same_stride": lambda: seq((7, 8, 2), L.AveragePooling2D(3, strides=2,
                                                                     padding="same")),
    "avg_pool_valid": lambda: conv_then(L.AveragePooling2D(2)),
    "max_pool_1d": lambda: seq((9, 3), L.MaxPooling1D(2, padding="same")),
    "avg_pool_1d": lambda: seq((9, 3), L.AveragePooling1D(3, strides=2)),
    "pool_3d": lambda: seq((4, 5, 5, 2), L.MaxPooling3D(2, padding="same"),
                           L.AveragePooling3D((1, 2, 2), padding="same")),
    "global_avg_after_conv": lambda: conv_then(L.GlobalAveragePooling2D()),
    "global_max_after_conv_keepdims": lambda: conv_then(L.GlobalMaxPooling2D(keepdims=True)),
    "global_avg_channels_last": lambda: seq((5, 5, 3), L.GlobalAveragePooling2D()),
    "global_1d": lambda: seq((6, 3), L.GlobalMaxPooling1D(), L.Dense(2)),
    "global_avg_1d_keepdims": lambda: seq((6, 3), L.GlobalAveragePooling1D(keepdims=True)),
    "global_3d": lambda: seq((3, 4, 4, 2), L.GlobalAveragePooling3D()),
    # normalization
    "batch_norm_after_conv": lambda: conv_then(L.BatchNormalization(epsilon=1e-2)),
    "batch_norm_dense": lambda: seq((6,), L.BatchNormalization(center=False)),
    "batch_norm_axis1": lambda: seq((4, 5), L.BatchNormalization(axis=1, scale=False)),
    "batch_norm_on_input_image": lambda: seq((5, 5, 3), L.BatchNormalization()),
    "layer_norm": lambda: seq((4, 6), L.LayerNormalization()),
    "layer_norm_suffix_axes": lambda: conv_then(L.LayerNormalization(axis=[1, 2, 3])),
    "layer_norm_middle_axis": lambda: seq((4, 6), L.LayerNormalization(axis=1, center=False)),
    "layer_norm_rms": lambda: seq((4, 6), _deprecated_rms_layer_norm()),
    # preprocessing
    "rescaling": lambda: seq((5, 5, 3), L.Rescaling(1 / 255.0, offset=-0.5)),
    "rescaling_per_channel_after_conv": lambda: conv_then(L.Rescaling([0.5, 2.0, 1.0, 3.0])),
    "normalization": lambda: seq((5, 5, 3), L.Normalization(mean=[1.0, 2.0, 3.0],
                                                            variance=[4.0, 0.5, 2.0])),
    "normalization_invert": lambda: seq((6,), L.Normalization(mean=0.5, variance=2.0,
                                                              invert=True)),
    "resizing_bilinear_up": lambda: seq((5, 6, 2), L.Resizing(9, 13)),
    "resizing_bilinear_down": lambda: seq((9, 8, 2), L.Resizing(4, 3)),
    "resizing_nearest": lambda: seq((5, 6, 2), L.Resizing(8, 4, interpolation="nearest")),
    "resizing_crop": lambda: seq((6, 9, 2), L.Resizing(4, 4, crop_to_aspect_ratio=True)),
    "resizing_pad": lambda: seq((6, 9, 2), L.Resizing(4, 4, pad_to_aspect_ratio=True,
                                                      fill_value=0.5)),
    "center_crop": lambda: conv_then(L.CenterCrop(5, 4)),
    "center_crop_smaller": lambda: seq((4, 6, 2), L.CenterCrop(6, 6)),
    "random_crop_inference": lambda: seq((7, 9, 3), L.RandomCrop(5, 5)),
    # reshaping
    "flatten_after_conv": lambda: conv_then(L.Flatten(), L.Dense(3)),
    "reshape": lambda: seq((4, 6), L.Reshape((3, -1))),
    "permute": lambda: seq((3, 4, 5), L.Permute((3, 1, 2))),
    "repeat_vector": lambda: seq((4,), L.RepeatVector(3)),
    "zero_padding2d_after_conv": lambda: conv_then(L.ZeroPadding2D(((1, 2), (0, 3)))),
    "zero_padding1d_3d": lambda: seq((5, 2), L.ZeroPadding1D((2, 1))),
    "zero_padding3d": lambda: seq((3, 3, 3, 2), L.ZeroPadding3D(1)),
    "cropping2d_after_conv": lambda: conv_then(L.Cropping2D(((1, 2), (2, 0)))),
    "cropping1d": lambda: seq((7, 2), L.Cropping1D((1, 2))),
    "cropping3d": lambda: seq((5, 5, 5, 2), L.Cropping3D(((1, 1), (0, 2), (2, 0)))),
    "up_sampling2d": lambda: conv_then(L.UpSampling2D((2, 3))),
    "up_sampling2d_bilinear": lambda: seq((4, 5, 2), L.UpSampling2D(2, interpolation="bilinear")),
    "up_sampling1d": lambda: seq((4, 3), L.UpSampling1D(3)),
    "up_sampling3d": lambda: seq((2, 3, 2, 2), L.UpSampling3D((2, 1, 2))),
    # merging
    **{f"merge_{cls.__name__}": (lambda cls=cls: merged(cls()))
       for cls in (L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum)},
    "add_after_convs": lambda: merged_after_conv(L.Add()),
    "maximum_after_convs": lambda: merged_after_conv(L.Maximum()),
    "add_broadcast": lambda: merged(L.Add(), shapes=((5, 4), (1, 4))),
    "concatenate": lambda: merged(L.Concatenate(), shapes=((5, 4), (5, 2))),
    "concatenate_axis1": lambda: merged(L.Concatenate(axis=1), shapes=((5, 4), (2, 4))),
    "concatenate_after_convs": lambda: merged_after_conv(L.Concatenate()),
    "dot_vectors": lambda: merged(L.Dot(axes=1), shapes=((4,), (4,))),
    "dot_sequences": lambda: merged(L.Dot(axes=(2, 2)), shapes=((3, 4), (5, 4))),
    "dot_normalize": lambda: merged(L.Dot(axes=(1, 2), normalize=True), shapes=((4, 3), (5, 4))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_exports(case, onnx_check):
    onnx_check(CASES[case]())


def test_nested_model(onnx_check):
    inner = dg.Sequential([L.Input((6, 6, 3)), L.Conv2D(4, 3), L.ReLU()], name="inner")
    x = L.Input((6, 6, 3))
    y = L.GlobalAveragePooling2D()(inner(x))
    onnx_check(randomize(dg.Model(x, L.Dense(2)(y))))


def test_shared_layer_and_two_outputs(onnx_check):
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    shared = L.Dense(3, name="shared")
    model = randomize(dg.Model([a, b], [shared(a), L.Add()([shared(a), shared(b)])]))
    proto = onnx_check(model)
    assert [o.name for o in proto.graph.output] == ["shared", "add"]


def test_embedding(onnx_check, onnx_inputs):
    random_inputs = onnx_inputs
    model = seq((5,), L.Embedding(11, 4), L.Flatten(), L.Dense(2))
    onnx_check(model, lambda m, n: random_inputs(m, n, integers=11))
    ints = seq((5,), L.Embedding(11, 4), dtype="int32")
    onnx_check(ints, lambda m, n: random_inputs(m, n, integers=11))


def test_masking_zeroes_masked_steps(onnx_check):
    def inputs(model, n):
        x = np.random.default_rng(n).normal(size=(n, 6, 3)).astype("float32")
        x[:, 2] = 0.0
        return [x]

    onnx_check(seq((6, 3), L.Masking(), L.Dense(2)), inputs)


def test_antialias_is_refused():
    """ONNX's antialiased Resize filters differently from TensorFlow's (0.1 apart on a
    4x3 shrink of 9x8), so it is refused rather than exported wrong."""
    model = seq((9, 8, 2), L.Resizing(4, 3, antialias=True))
    with pytest.raises(dg.export.ExportError, match="antialias=True"):
        dg.export.onnx_model(model, opset_version=18)


MORE_CASES = {
    "unit_norm": lambda: conv_then(L.UnitNormalization()),
    "unit_norm_axes": lambda: seq((4, 6), L.UnitNormalization(axis=[1, 2])),
    "rms_norm": lambda: seq((4, 6), L.RMSNormalization()),
    "group_norm_after_conv": lambda: conv_then(L.GroupNormalization(groups=2)),
    "group_norm_axis1": lambda: seq((6, 5), L.GroupNormalization(groups=3, axis=1)),
    "group_norm_dense": lambda: seq((6,), L.GroupNormalization(groups=2, center=False)),
    "time_distributed_dense": lambda: seq((4, 5), L.TimeDistributed(L.Dense(3))),
    "time_distributed_conv": lambda: seq((3, 6, 6, 2), L.TimeDistributed(L.Conv2D(4, 3)),
                                         L.TimeDistributed(L.Flatten())),
}


@pytest.mark.parametrize("case", sorted(MORE_CASES))
def test_more_layer_exports(case, onnx_check):
    onnx_check(MORE_CASES[case]())


CHANNELS_FIRST = {
    "conv_pool_bn": lambda: seq((3, 9, 8), L.Conv2D(4, 3, padding="same",
                                                    data_format="channels_first"),
                                L.BatchNormalization(axis=1), L.ReLU(),
                                L.MaxPooling2D(2, padding="same", data_format="channels_first"),
                                L.AveragePooling2D(2, strides=1, data_format="channels_first"),
                                L.Flatten(data_format="channels_first"), L.Dense(3)),
    "depthwise_separable": lambda: seq((3, 8, 8), L.DepthwiseConv2D(3, strides=2,
                                                                    data_format="channels_first"),
                                       L.SeparableConv2D(4, 2, data_format="channels_first"),
                                       L.GlobalAveragePooling2D(data_format="channels_first")),
    "transpose_global_max_keepdims": lambda: seq(
        (2, 4, 4), L.Conv2DTranspose(3, 3, strides=2, padding="same",
                                     data_format="channels_first"),
        L.GlobalMaxPooling2D(data_format="channels_first", keepdims=True)),
    "conv1d": lambda: seq((3, 10), L.Conv1D(4, 3, data_format="channels_first"),
                          L.MaxPooling1D(2, data_format="channels_first")),
    "padding_upsampling": lambda: seq((2, 4, 5), L.ZeroPadding2D(1, data_format="channels_first"),
                                      L.UpSampling2D(2, data_format="channels_first"),
                                      L.Cropping2D(1, data_format="channels_first")),
}


@pytest.mark.parametrize("case", sorted(CHANNELS_FIRST))
def test_channels_first_layers(case, onnx_check):
    onnx_check(CHANNELS_FIRST[case]())


ADAPTIVE = {
    "average_2d_uneven": lambda: conv_then(L.AdaptiveAveragePooling2D((4, 2))),
    "max_2d_uneven": lambda: seq((7, 9, 2), L.AdaptiveMaxPooling2D((3, 4))),
    "average_1d": lambda: seq((10, 3), L.AdaptiveAveragePooling1D(4)),
    "max_3d_channels_first": lambda: seq((2, 5, 4, 6), L.AdaptiveMaxPooling3D(
        (2, 3, 4), data_format="channels_first")),
}


@pytest.mark.parametrize("case", sorted(ADAPTIVE))
def test_adaptive_pooling(case, onnx_check):
    onnx_check(ADAPTIVE[case]())
