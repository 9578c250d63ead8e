"""Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D: shapes and parameter
counts (the course CNN), finite-difference gradients through each layer in float64,
PyTorch on identical weights (kernels transposed between layouts), config, errors."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradient_check

import torch_reference as tr

L = dg.layers
rng = np.random.default_rng(0)


def _course_cnn(pooling: bool):
    pool = [L.MaxPooling2D(2)] if pooling else []
    return dg.Sequential([
        L.Conv2D(32, 5, padding="same", activation="relu", input_shape=(28, 28, 1)),
        *pool,
        L.Conv2D(64, 5, padding="same"),
        *([L.MaxPooling2D()] if pooling else []),
        L.Flatten(),
        L.Dense(1024),
        L.Dropout(0.5),
        L.Dense(10),
    ])


def test_course_cnn_shapes_and_parameter_counts():
    model = _course_cnn(pooling=True)
    shapes = [layer.compute_output_shape(layer._build_shapes) for layer in model.layers]
    assert shapes[:4] == [(None, 28, 28, 32), (None, 14, 14, 32), (None, 14, 14, 64),
                          (None, 7, 7, 64)]
    assert shapes[4] == (None, 3136)
    counts = [layer.count_params() for layer in model.layers]
    # (F*F*C_in + 1) * C_out for the convolutions, (in + 1) * out for Dense.
    assert counts == [(5 * 5 * 1 + 1) * 32, 0, (5 * 5 * 32 + 1) * 64, 0, 0,
                      (3136 + 1) * 1024, 0, (1024 + 1) * 10]
    assert model.count_params() == 3_274_634
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for piece in ("(None, 28, 28, 32)", "832", "(None, 14, 14, 64)", "51,264", "3,274,634"):
        assert piece in text
    assert model.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0).shape == (2, 10)


@pytest.mark.parametrize(
    "layer, in_shape, out_shape",
    [
        (lambda: L.Conv2D(8, 3), (None, 10, 12, 3), (None, 8, 10, 8)),
        (lambda: L.Conv2D(8, (3, 5), strides=2, padding="same"), (None, 9, 10, 3),
         (None, 5, 5, 8)),
        (lambda: L.Conv2D(4, 3, dilation_rate=2), (None, 10, 10, 1), (None, 6, 6, 4)),
        (lambda: L.Conv2D(4, 3, strides=(2, 1)), (None, None, 10, 2), (None, None, 8, 4)),
        (lambda: L.Conv1D(6, 3, padding="causal", dilation_rate=2), (None, 10, 2),
         (None, 10, 6)),
        (lambda: L.Conv1D(6, 4, strides=3), (None, 10, 2), (None, 3, 6)),
        (lambda: L.Conv2DTranspose(5, 3, strides=2), (None, 7, 7, 3), (None, 15, 15, 5)),
        (lambda: L.Conv2DTranspose(5, 3, strides=2, padding="same", output_padding=1),
         (None, 7, 7, 3), (None, 14, 14, 5)),
        (lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (None, 6, 6, 3),
         (None, 6, 6, 6)),
        (lambda: L.SeparableConv2D(7, 3, strides=2), (None, 9, 9, 3), (None, 4, 4, 7)),
    ],
)
def test_output_shapes_match_a_real_call(layer, in_shape, out_shape):
    layer = layer()
    assert layer.compute_output_shape(in_shape) == out_shape
    concrete = (2,) + tuple(12 if s is None else s for s in in_shape[1:])
    out = layer(np.zeros(concrete, dtype="float32"))
    assert out.shape == layer.compute_output_shape(concrete)
    assert out.dtype == np.float32


def test_weight_shapes_and_names_in_keras_order():
    x = np.zeros((1, 8, 8, 3), "float32")
    cases = [
        (L.Conv2D(4, (3, 2)), [("kernel", (3, 2, 3, 4)), ("bias", (4,))]),
        (L.Conv2DTranspose(4, 3), [("kernel", (3, 3, 4, 3)), ("bias", (4,))]),
        (L.DepthwiseConv2D(3, depth_multiplier=2), [("kernel", (3, 3, 3, 2)), ("bias", (6,))]),
        (L.SeparableConv2D(5, 3, depth_multiplier=2, use_bias=False),
         [("depthwise_kernel", (3, 3, 3, 2)), ("pointwise_kernel", (1, 1, 6, 5))]),
    ]
    for layer, expected in cases:
        layer(x)
        assert [(w.name, w.shape) for w in layer.weights] == expected
    conv1 = L.Conv1D(4, 3)
    conv1(np.zeros((1, 8, 2), "float32"))
    assert [w.shape for w in conv1.weights] == [(3, 2, 4), (4,)]
    assert L.Convolution2D is L.Conv2D and L.Convolution1D is L.Conv1D
    assert L.Convolution2DTranspose is L.Conv2DTranspose
    assert L.SeparableConvolution2D is L.SeparableConv2D


def _swap_weights(layer, names, tensors):
    for name, tensor in zip(names, tensors):
        setattr(layer, name, tensor)


GRAD_CASES = [
    (lambda: L.Conv2D(3, (3, 2), strides=(2, 1), padding="same", activation="relu"),
     (2, 5, 6, 2)),
    (lambda: L.Conv2D(2, 2, dilation_rate=2, activation="tanh"), (1, 5, 5, 2)),
    (lambda: L.Conv1D(3, 3, padding="causal", dilation_rate=2), (2, 6, 2)),
    (lambda: L.Conv1D(2, 2, strides=2, padding="same"), (2, 5, 3)),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same"), (1, 3, 3, 2)),
    (lambda: L.Conv2DTranspose(2, 2, strides=2, output_padding=1, padding="valid"),
     (1, 3, 2, 2)),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
     (2, 4, 4, 2)),
    (lambda: L.SeparableConv2D(3, 2, strides=2, depth_multiplier=2), (1, 5, 5, 2)),
]


@pytest.mark.parametrize("make, shape", GRAD_CASES)
def test_gradients_through_layers_float64(make, shape):
    layer = make()
    layer.dtype = "float64"
    x = rng.normal(size=shape)
    layer(x)
    names = [w.name for w in layer.weights]
    originals = [getattr(layer, n) for n in names]

    def fn(t, *weights):
        _swap_weights(layer, names, weights)
        return layer(t)

    # Move values away from the ReLU kink so central differences are smooth.
    weights = [rng.normal(size=w.shape) for w in originals]
    gradient_check(fn, [x] + weights, atol=1e-6, rtol=1e-5)
    _swap_weights(layer, names, originals)


def test_config_round_trips():
    layers = [
        L.Conv2D(8, (3, 5), strides=2, padding="same", dilation_rate=1, activation="relu",
                 use_bias=False, kernel_initializer="he_normal", kernel_regularizer="l2"),
        L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"),
        L.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1),
        L.DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer="he_uniform"),
        L.SeparableConv2D(6, 3, pointwise_initializer="zeros", depthwise_regularizer="l1"),
    ]
    for layer in layers:
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
    assert layers[0].get_config()["kernel_size"] == (3, 5)
    assert layers[0].get_config()["padding"] == "same"


def test_regularizers_and_training_step():
    model = dg.Sequential([
        L.Conv2D(4, 3, activation="relu", input_shape=(6, 6, 1), kernel_regularizer="l2",
                 activity_regularizer="l1"),
        L.Flatten(),
        L.Dense(2),
    ])
    model.compile("sgd", "mse")
    x = rng.normal(size=(4, 6, 6, 1)).astype("float32")
    y = rng.normal(size=(4, 2)).astype("float32")
    before = model.layers[0].kernel.data.copy()
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(before, model.layers[0].kernel.data)
    assert len(model.layers[0].losses) == 2


def test_save_load_round_trip_with_every_layer_of_this_family(tmp_path):
    """Conv, BatchNormalization and the other layers of this family in one model: fit,
    save, load, and the loaded model predicts the same (moving statistics included)."""
    model = dg.Sequential([
        L.Conv2D(4, 3, padding="same", input_shape=(8, 8, 2)), L.BatchNormalization(),
        L.ReLU(6.0), L.DepthwiseConv2D(3, depth_multiplier=2),
        L.SeparableConv2D(3, 3, padding="same"), L.SpatialDropout2D(0.2), L.ZeroPadding2D(1),
        L.UpSampling2D(2, interpolation="bilinear"), L.Cropping2D(2),
        L.Conv2DTranspose(2, 3, strides=2, padding="same"), L.LayerNormalization(),
        L.PReLU(shared_axes=[1, 2]), L.Flatten(), L.Dense(3), L.Softmax(),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = rng.normal(size=(16, 8, 8, 2)).astype("float32")
    y = np.arange(16) % 3
    history = model.fit(x, y, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "model.deepgrad")
    model.save(path)
    loaded = dg.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_errors_name_the_layer():
    conv = L.Conv2D(4, 3, name="conv")
    with pytest.raises(ValueError, match=r"Conv2D 'conv': expected a 4-D input \(batch, height, "
                       r"width, channels\), got shape \(28, 28, 1\) — missing batch dimension"):
        conv(np.zeros((28, 28, 1), "float32"))
    conv(np.zeros((1, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match="Conv2D 'conv': the layer was built for inputs with 3 "
                                         r"channels .*got shape \(1, 8, 8, 1\)"):
        conv(np.zeros((1, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'big': the kernel \(5, 5\).*larger than the "
                                         r"input's spatial size \(3, 3\) with padding='valid'"):
        L.Conv2D(2, 5, name="big")(np.zeros((1, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match="larger than"):
        L.Conv2D(2, 5)(dg.Input((4, 4, 1)))
    with pytest.raises(ValueError, match=r"Conv2D: `padding` must be one of 'valid', 'same'\. "
                                         "Received: padding='full'"):
        L.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="'causal'"):
        L.Conv1D(2, 3, padding="bad")
    with pytest.raises(ValueError, match="evenly divisible by the number of groups"):
        L.Conv2D(4, 3, groups=3)
    with pytest.raises(ValueError, match=r"Conv2D: `data_format` must be 'channels_last' or "):
        L.Conv2D(4, 3, data_format="NCHW")
    with pytest.raises(ValueError, match=r"`kernel_size` must be a positive int.*\(3, 0\)"):
        L.Conv2D(4, (3, 0))
    with pytest.raises(ValueError, match="filters"):
        L.Conv2D(0, 3)
    with pytest.raises(ValueError, match="dilation_rate"):
        L.Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="output_padding"):
        L.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"Conv1D 'c1': expected a 3-D input \(batch, steps"):
        L.Conv1D(2, 3, name="c1")(np.zeros((10, 2), "float32"))
    padded = L.Conv2D(2, 5, padding="same")(np.zeros((1, 3, 3, 1), "float32"))
    assert padded.shape == (1, 3, 3, 2)


@pytest.mark.parametrize("kwargs", [
    {"padding": "valid"},
    {"padding": "same", "strides": (2, 2), "activation": "relu"},
    {"padding": "same", "kernel_size": (4, 4)},
    {"padding": "valid", "dilation_rate": (2, 1), "activation": "sigmoid"},
])
def test_conv2d_matches_torch(kwargs):
    torch = tr.import_torch()
    kwargs = {"kernel_size": (3, 3), **kwargs}
    layer = L.Conv2D(4, dtype="float64", bias_initializer="random_normal", **kwargs)
    x = rng.normal(size=(2, 9, 8, 3))
    layer(x)
    act = {"relu": torch.relu, "sigmoid": torch.sigmoid}.get(kwargs.get("activation"), None)

    def forward(tx, kernel, bias):
        strides, dil = kwargs.get("strides", (1, 1)), kwargs.get("dilation_rate", (1, 1))
        padded = tr.keras_padding(tr.channels_first(tx), kwargs["padding"],
                                  kwargs["kernel_size"], strides, dil)
        out = torch.nn.functional.conv2d(padded, tr.conv_kernel(kernel), bias, stride=strides,
                                         dilation=dil)
        return tr.channels_last(act(out) if act else out)

    tr.compare(layer, forward, [x], params=[layer.kernel, layer.bias], grad_atol=1e-9,
               grad_rtol=1e-9)


@pytest.mark.parametrize("padding, strides, dilation", [
    ("valid", 1, 1), ("same", 2, 1), ("causal", 1, 2), ("same", 1, 3)])
def test_conv1d_matches_torch(padding, strides, dilation):
    F = tr.import_torch().nn.functional
    layer = L.Conv1D(5, 3, strides=strides, padding=padding, dilation_rate=dilation,
                     dtype="float64", bias_initializer="random_normal")
    x = rng.normal(size=(2, 11, 3))
    layer(x)

    def forward(tx, kernel, bias):
        padded = tr.keras_padding(tr.channels_first(tx), padding, (3,), (strides,), (dilation,))
        return tr.channels_last(F.conv1d(padded, tr.conv_kernel(kernel), bias, stride=strides,
                                         dilation=dilation))

    tr.compare(layer, forward, [x], params=[layer.kernel, layer.bias], grad_atol=1e-9,
               grad_rtol=1e-9)


@pytest.mark.parametrize("kernel, strides, padding, output_padding", [
    (3, 2, "valid", None), (4, 2, "same", None), (3, 2, "same", None), (2, 3, "valid", None),
    (3, 2, "same", 0), (3, 2, "valid", 1)])
def test_conv2d_transpose_matches_torch(kernel, strides, padding, output_padding):
    """Reference: torch's full transposed convolution (no padding), cropped as TF/Keras do:
    ``pad_before`` is the 'same' padding of the forward convolution with this output size."""
    F = tr.import_torch().nn.functional
    layer = L.Conv2DTranspose(4, kernel, strides=strides, padding=padding,
                              output_padding=output_padding, dtype="float64",
                              bias_initializer="random_normal")
    x = rng.normal(size=(2, 5, 4, 3))
    layer(x)
    out_h, out_w = layer.compute_output_shape(x.shape)[1:3]

    def forward(tx, k, bias):
        full = F.conv_transpose2d(tr.channels_first(tx), tr.conv_kernel(k), None,
                                  stride=strides)
        crops = []
        for axis, size in ((2, out_h), (3, out_w)):
            before = 0
            if padding == "same":
                before = tr.same_padding(size, kernel, strides)[0]
            extra = before + size - full.shape[axis]
            if extra > 0:
                pad = [0, 0, 0, extra] if axis == 2 else [0, extra, 0, 0]
                full = F.pad(full, pad)
            crops.append(slice(before, before + size))
        return tr.channels_last(full[:, :, crops[0], crops[1]] + bias.reshape(1, -1, 1, 1))

    tr.compare(layer, forward, [x], params=[layer.kernel, layer.bias], grad_atol=1e-9,
               grad_rtol=1e-9)


@pytest.mark.parametrize("multiplier, padding, strides", [(1, "valid", 1), (2, "same", 2)])
def test_depthwise_and_separable_match_torch(multiplier, padding, strides):
    F = tr.import_torch().nn.functional
    x = rng.normal(size=(2, 7, 6, 3))
    dw = L.DepthwiseConv2D(3, strides=strides, padding=padding, depth_multiplier=multiplier,
                           dtype="float64", bias_initializer="random_normal")
    dw(x)

    def depthwise(tx, kernel, bias=None):
        padded = tr.keras_padding(tx, padding, (3, 3), (strides, strides), (1, 1))
        # (kh, kw, C, M) -> (C * M, 1, kh, kw): output channel c * M + m, as TF orders it.
        weight = kernel.permute(2, 3, 0, 1).reshape(-1, 1, 3, 3)
        return F.conv2d(padded, weight, bias, stride=strides, groups=3)

    tr.compare(dw, lambda tx, kernel, bias: tr.channels_last(
        depthwise(tr.channels_first(tx), kernel, bias)), [x], params=[dw.kernel, dw.bias],
        grad_atol=1e-9, grad_rtol=1e-9)
    sep = L.SeparableConv2D(5, 3, strides=strides, padding=padding, depth_multiplier=multiplier,
                            dtype="float64", bias_initializer="random_normal")
    sep(x)

    def separable(tx, dk, pk, bias):
        mid = depthwise(tr.channels_first(tx), dk)
        return tr.channels_last(F.conv2d(mid, tr.conv_kernel(pk), bias))

    tr.compare(sep, separable, [x], params=[sep.depthwise_kernel, sep.pointwise_kernel, sep.bias],
               grad_atol=1e-9, grad_rtol=1e-9)


def _fused_calls(monkeypatch) -> list:
    calls, real = [], dg.ops.conv2d_max_pool
    monkeypatch.setattr(dg.ops, "conv2d_max_pool",
                        lambda *a, **k: (calls.append(k), real(*a, **k))[1])
    return calls


def test_sequential_fuses_conv_and_max_pooling(monkeypatch):
    """predict runs Conv2D + MaxPooling2D pairs as one op; the numbers are those of the
    layers one by one, to float32 rounding: the fused op multiplies other blocks of rows,
    and BLAS need not give a row the same last bits in another block (OpenBLAS pinned to
    Haswell does not)."""
    model = _course_cnn(pooling=True)
    x = rng.uniform(size=(5, 28, 28, 1)).astype(np.float32)
    one_by_one = x
    for layer in model.layers:
        one_by_one = layer(one_by_one, training=False)
    calls = _fused_calls(monkeypatch)
    np.testing.assert_allclose(model.predict(x, verbose=0), one_by_one.data, rtol=1e-5,
                               atol=1e-6)
    assert [c["pool_size"] for c in calls] == [(2, 2), (2, 2)]


def test_fused_training_gives_the_gradients_of_the_layers_one_by_one(monkeypatch):
    """In training the pairs run as one op too (keeping each window's winner, not the
    full output); the weights' gradients are those of the layers one by one, bit for
    bit: one pair on the im2col path (3 channels), one on Winograd's (8 channels)."""
    model = dg.Sequential([
        L.Input((12, 12, 3)), L.Conv2D(8, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2), L.Conv2D(6, 3, padding="same"), L.MaxPooling2D(2),
        L.Flatten(), L.Dense(3),
    ])
    x = rng.normal(size=(4, 12, 12, 3)).astype(np.float32)
    weights = model.trainable_weights
    calls = _fused_calls(monkeypatch)
    fused = dg.tensor.grad(dg.ops.sum(model(x, training=True) ** 2), weights)
    assert len(calls) == 2
    y = x
    for layer in model.layers:
        y = layer(y, training=True)
    apart = dg.tensor.grad(dg.ops.sum(y ** 2), weights)
    assert len(calls) == 2
    for a, b in zip(fused, apart, strict=True):
        np.testing.assert_array_equal(a, b)


def test_functional_models_fuse_the_pairs_whose_conv_output_only_the_pool_reads(monkeypatch):
    inputs = dg.Input((12, 12, 3))
    first = L.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    pooled = L.MaxPooling2D(2)(first)
    second = L.Conv2D(6, 3, padding="same")(pooled)
    both = L.Concatenate()([  # second's output is read twice: not fused
        L.Flatten()(L.MaxPooling2D(2)(second)), L.GlobalAveragePooling2D()(second)])
    outputs = L.Dense(3)(both)
    model = dg.Model(inputs, outputs)
    x = rng.normal(size=(4, 12, 12, 3)).astype(np.float32)
    weights = model.trainable_weights
    calls = _fused_calls(monkeypatch)
    fused = dg.tensor.grad(dg.ops.sum(model(x, training=True) ** 2), weights)
    predicted = model.predict(x, verbose=0)
    assert len(calls) == 2  # the first pair, in training and in predict
    monkeypatch.setattr(L.Conv2D, "fuse", dg.layers.Layer.fuse)  # no pair fuses
    apart_model = dg.Model(inputs, outputs)  # the same layers and weights, layer by layer
    apart = dg.tensor.grad(dg.ops.sum(apart_model(x, training=True) ** 2), weights)
    np.testing.assert_array_equal(apart_model.predict(x, verbose=0), predicted)
    assert len(calls) == 2
    for a, b in zip(fused, apart, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_conv_output_that_is_a_model_output_is_not_fused(monkeypatch):
    inputs = dg.Input((8, 8, 2))
    conv = L.Conv2D(3, 3)(inputs)
    model = dg.Model(inputs, [L.MaxPooling2D(2)(conv), conv])
    calls = _fused_calls(monkeypatch)
    pooled, full = model.predict(rng.normal(size=(2, 8, 8, 2)).astype(np.float32), verbose=0)
    assert calls == [] and full.shape == (2, 6, 6, 3) and pooled.shape == (2, 3, 3, 3)


@pytest.mark.parametrize("conv, pool", [
    (L.Conv2D(3, 3, activation="tanh"), L.MaxPooling2D(2)),  # activation outside the op
    (L.Conv2D(3, 3), L.MaxPooling2D(2, strides=1)),             # overlapping windows
    (L.Conv2D(3, 3), L.MaxPooling2D(2, padding="same")),
    (L.Conv2D(3, 3), L.AveragePooling2D(2)),
])
def test_other_pairs_run_layer_by_layer(monkeypatch, conv, pool):
    model = dg.Sequential([L.Input((7, 7, 2)), conv, pool])
    x = rng.normal(size=(2, 7, 7, 2)).astype(np.float32)
    calls = _fused_calls(monkeypatch)
    np.testing.assert_array_equal(model.predict(x, verbose=0), pool(conv(x)).data)
    assert calls == []


def test_fused_pair_reports_a_pool_larger_than_the_conv_output():
    model = dg.Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3), L.MaxPooling2D(4, name="pool")])
    with pytest.raises(ValueError, match=r"MaxPooling2D 'pool': pool_size \(4, 4\) is larger "
                                         r"than the input's spatial size \(3, 3\)"):
        model.predict(np.zeros((1, 5, 5, 1), np.float32), verbose=0)


def test_a_missing_channel_axis_is_named_as_such():
    # issue 12: (5, 28, 28) is five grayscale images, not one image without a batch axis
    with pytest.raises(ValueError, match=r"got shape \(5, 28, 28\) — missing channel axis\? For "
                       r"a batch of 5 one-channel inputs, add one with x\[\.\.\., None\] "
                       r"\(shape \(5, 28, 28, 1\)\)\."):
        L.Conv2D(4, 3)(np.zeros((5, 28, 28), "float32"))
    with pytest.raises(ValueError, match=r"missing batch dimension\? For one sample, add one "
                       r"with x\[None\] \(shape \(1, 28, 28, 3\)\)"):
        L.Conv2D(4, 3)(np.zeros((28, 28, 3), "float32"))
    built = L.Conv2D(4, 3)
    built(np.zeros((1, 8, 8, 1), "float32"))  # built for one channel
    with pytest.raises(ValueError, match="missing channel axis"):
        built(np.zeros((2, 8, 8), "float32"))
    with pytest.raises(ValueError, match="missing channel axis"):
        L.MaxPooling2D()(np.zeros((5, 28, 28), "float32"))
    with pytest.raises(ValueError, match="missing channel axis"):
        L.Conv1D(4, 3)(np.zeros((5, 100), "float32"))
