"""Functional and Sequential models behave as Keras 3's: layer order, layer.input/output,
Sequential graphs, models as first layers, and summary labels."""

import numpy as np

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
