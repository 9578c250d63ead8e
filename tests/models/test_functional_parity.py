"""Functional and Sequential models behave as Keras 3's: layer order, layer.input/output,
Sequential graphs, models as first layers, and summary labels."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def names(model):
    return [layer.name for layer in model.layers]


# -- 1. layer order: Keras's map_graph (depth from the outputs, ties by first visit) --------
def test_branches_ordered_by_depth_then_first_visit():
    # Walking back from `add`: add, c, in, b, a. Depths: add 0, c 1, b 1, a 2, in 3.
    inp = dg.Input(shape=(4,), name="in")
    b = L.Dense(4, name="b")(L.Dense(4, name="a")(inp))
    out = L.Add(name="add")([L.Dense(4, name="c")(inp), b])
    model = dg.Model(inp, out)
    assert names(model) == ["in", "a", "c", "b", "add"]
    assert [w.path for w in model.weights] == [
        "a/kernel", "a/bias", "c/kernel", "c/bias", "b/kernel", "b/bias"]
    assert [w.shape for w in model.get_weights()] == [(4, 4), (4,)] * 3


def test_late_input_sits_at_its_depth():
    a, b = dg.Input(shape=(2,), name="a"), dg.Input(shape=(3,), name="b")
    h = L.Dense(3, name="h2")(L.Dense(3, name="h1")(a))
    model = dg.Model([a, b], L.Concatenate(name="cat")([h, b]))
    assert names(model) == ["a", "h1", "h2", "b", "cat"]


def test_shared_layer_takes_its_deepest_call():
    x = dg.Input(shape=(4,), name="x")
    shared = L.Dense(4, name="s")
    out = shared(L.Dense(4, name="mid")(shared(x)))
    model = dg.Model(x, out)
    assert names(model) == ["x", "s", "mid"]
    np.testing.assert_allclose(
        model.predict(np.ones((2, 4)), verbose=0),
        shared(model.get_layer("mid")(shared(np.ones((2, 4), np.float32)))).data, rtol=1e-6)


def test_resnet50_block_order_is_keras():
    model = dg.applications.ResNet50(weights=None, input_shape=(32, 32, 3), include_top=False)
    block = [n for n in names(model) if n.startswith("conv2_block1_")]
    assert block == [
        "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu",
        "conv2_block1_2_conv", "conv2_block1_2_bn", "conv2_block1_2_relu",
        "conv2_block1_0_conv", "conv2_block1_3_conv", "conv2_block1_0_bn", "conv2_block1_3_bn",
        "conv2_block1_add", "conv2_block1_out"]
    assert isinstance(model.layers[0], L.InputLayer)
    assert names(model)[1:7] == [
        "conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool"]
    assert names(model)[-1] == "conv5_block3_out"


def test_reordered_model_saves_and_loads(tmp_path):
    inp = dg.Input(shape=(4,), name="in")
    b = L.Dense(4, name="b")(L.Dense(4, name="a")(inp))
    model = dg.Model(inp, L.Add(name="add")([L.Dense(4, name="c")(inp), b]))
    model.save(tmp_path / "m.keras")
    loaded = dg.models.load_model(tmp_path / "m.keras")
    assert names(loaded) == names(model)
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- 2. layer.input / layer.output: the first symbolic call's tensors ------------------------
IMAGES = np.random.default_rng(1).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")


@pytest.fixture(scope="module")
def vgg_base():
    return dg.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))


def test_feature_extraction_from_a_named_layer(vgg_base):
    conv = vgg_base.get_layer("block5_conv3")
    features = dg.Model(vgg_base.input, conv.output)
    assert features.output.shape == (None, 4, 4, 512)
    assert conv.input is vgg_base.get_layer("block5_conv2").output
    maps = features.predict(IMAGES, verbose=0)
    pooled = maps.reshape(2, 2, 2, 2, 2, 512).max(axis=(2, 4))
    # The full model pools inside the convolution's chunks (kernels.conv.pools_in_chunks):
    # its matrix products see rows in another order, so float32 rounding may differ.
    np.testing.assert_allclose(pooled, vgg_base.predict(IMAGES, verbose=0), rtol=1e-6, atol=1e-6)


def test_activation_model_over_every_layer(vgg_base):
    model = dg.Model(inputs=vgg_base.inputs, outputs=[lay.output for lay in vgg_base.layers[1:]])
    outs = model.predict(IMAGES, verbose=0)
    assert len(outs) == len(vgg_base.layers) - 1 == 18
    assert outs[0].shape == (2, 64, 64, 64) and outs[-1].shape == (2, 2, 2, 512)
    np.testing.assert_allclose(outs[-1], vgg_base.predict(IMAGES, verbose=0), rtol=1e-6, atol=1e-6)


def test_never_called_layer_has_no_output():
    dense = L.Dense(2, name="lonely")
    with pytest.raises(AttributeError, match="'lonely'.*never been called.*no defined output"):
        _ = dense.output
    with pytest.raises(AttributeError, match="no defined input"):
        _ = dense.input
    dense(np.ones((1, 3)))  # eager calls record nothing, as in Keras
    assert not hasattr(dense, "output")


def test_layer_called_twice_answers_for_its_first_call():
    a, b = dg.Input(shape=(3,), name="first"), dg.Input(shape=(3,), name="second")
    shared = L.Dense(2)
    out_a, _ = shared(a), shared(b)
    assert shared.input is a and shared.output is out_a
    add = L.Add()
    total = add([a, b])
    assert add.input == [a, b] and add.output is total


def test_sequential_with_input_has_a_graph():
    model = dg.Sequential([L.Input(shape=(4,)), L.Dense(3, name="h"), L.Dense(2, name="o")])
    assert model.input.shape == (None, 4) and model.output.shape == (None, 2)
    assert model.inputs == [model.input] and model.outputs == [model.output]
    assert model.get_layer("o").input is model.get_layer("h").output
    probe = dg.Model(model.input, [layer.output for layer in model.layers])
    x = np.ones((5, 4), "float32")
    hidden, out = probe.predict(x, verbose=0)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6)
    assert hidden.shape == (5, 3)


def test_sequential_gets_its_graph_when_fit_builds_it():
    model = dg.Sequential([L.Dense(3), L.Dense(1)], name="lazy")
    with pytest.raises(ValueError, match="Sequential model 'lazy' has no defined input yet"):
        _ = model.input
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    assert model.input.shape == (None, 2) and model.layers[0].output.shape == (None, 3)


def test_sequential_input_of_another_shape_is_refused():
    model = dg.Sequential([L.Input(shape=(4,)), L.Dense(2)], name="fixed")
    with pytest.raises(ValueError, match=r"'fixed': the model is configured for input shape "
                                         r"\(None, 4\); it cannot be built for input shape "
                                         r"\(None, 5\)"):
        model.build((None, 5))


# -- 3. a model as the first layer builds the Sequential; summary labels --------------------
def test_course_transfer_learning_summary(capsys):
    base = dg.applications.VGG16(weights=None, include_top=False, input_shape=(180, 180, 3))
    base.trainable = False
    model = dg.Sequential([base, L.Flatten(), L.Dense(256, activation="relu"),
                           L.Dense(1, activation="sigmoid")])
    assert model.built and model.output_shape == (None, 1)
    model.summary()
    out = capsys.readouterr().out
    assert "vgg16 (Functional)" in out and "(None, 5, 5, 512)" in out
    assert "(None, 12800)" in out and "3,277,056" in out
    assert "Total params: 17,992,001" in out
    assert "Trainable params: 3,277,313" in out
    assert "Non-trainable params: 14,714,688" in out


def test_nested_sequential_first_layer_and_labels(capsys):
    base = dg.Sequential([L.Input(shape=(6,)), L.Dense(4)], name="base")
    model = dg.Sequential([base, L.Dense(2)], name="top")
    assert model.built and model.count_params() == 28 + 10
    model.summary()
    assert "base (Sequential)" in capsys.readouterr().out


def test_subclassed_model_keeps_its_class_name(capsys):
    class Head(dg.Model):
        def __init__(self):
            super().__init__(name="head")
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    head = Head()
    head(np.ones((1, 3)))
    dg.Sequential([L.Input(shape=(3,)), head]).summary()
    assert "head (Head)" in capsys.readouterr().out
