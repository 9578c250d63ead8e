"""The functional API, subclassed models, multiple outputs, and graph errors."""

import numpy as np
import pytest

import deepgrad as dg

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 4)).astype("float32")
Y_CLASS = rng.integers(0, 3, 40)
Y_BOX = rng.uniform(size=(40, 2)).astype("float32")


def two_headed():
    inp = dg.Input(shape=(4,), name="features")
    hidden = dg.layers.Dense(16, activation="relu", name="hidden")(inp)
    cls = dg.layers.Dense(3, activation="softmax", name="class")(hidden)
    loc = dg.layers.Dense(2, name="loc")(hidden)
    return dg.Model(inp, [cls, loc], name="two_headed")


def test_multi_output_history_keys_follow_keras_naming():
    model = two_headed()
    model.compile("nadam", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[0.1, 0.9], metrics={"class": ["accuracy"], "loc": ["mae"]})
    history = model.fit(X, [Y_CLASS, Y_BOX], epochs=2, validation_split=0.25, verbose=0)
    assert set(history.history) == {
        "loss", "class_loss", "loc_loss", "class_accuracy", "loc_mae",
        "val_loss", "val_class_loss", "val_loc_loss", "val_class_accuracy", "val_loc_mae"}
    h = history.history
    assert h["loss"][-1] == pytest.approx(0.1 * h["class_loss"][-1] + 0.9 * h["loc_loss"][-1],
                                          rel=0.05)


def test_loss_dict_by_output_name_and_dict_targets():
    model = two_headed()
    model.compile("adam", loss={"class": "sparse_categorical_crossentropy", "loc": "mse"})
    model.fit(X, {"class": Y_CLASS, "loc": Y_BOX}, epochs=1, verbose=0)
    loss, class_loss, loc_loss = model.evaluate(X, [Y_CLASS, Y_BOX], verbose=0)
    assert loss == pytest.approx(class_loss + loc_loss, rel=1e-5)
    outputs = model.predict(X, verbose=0)
    assert [o.shape for o in outputs] == [(40, 3), (40, 2)]


def test_targets_only_for_the_outputs_with_a_loss():
    # keras.io "Training & evaluation with the built-in methods": with loss=[None, ...] or a
    # dict naming some outputs, fit takes targets only for the outputs that have a loss (a
    # list 1:1 with those losses, or a dict by name). Keras 3.15 takes fit(x, [y]) for
    # loss=[None, "mse"] and then logs only "loss" (per-output losses only where more than
    # one output has one); it refuses the partial loss dict that tf.keras took, which
    # deepgrad keeps.
    def fresh(loss):
        dg.utils.set_random_seed(1)
        model = two_headed()
        model.compile("sgd", loss=loss)
        return model

    expected = fresh([None, "mse"]).fit(X, [Y_CLASS, Y_BOX], epochs=1, verbose=0).history
    assert set(expected) == {"loss"}
    for loss, y in [([None, "mse"], [Y_BOX]), ({"loc": "mse"}, {"loc": Y_BOX}),
                    ({"loc": "mse"}, [Y_BOX])]:
        history = fresh(loss).fit(X, y, epochs=1, verbose=0).history
        assert set(history) == set(expected)  # (pytest 9.2's approx takes no nested dicts)
        for key, values in expected.items():
            assert history[key] == pytest.approx(values)
    model = fresh({"loc": "mse"})
    assert model.evaluate(X, {"loc": Y_BOX}, verbose=0) == pytest.approx(
        model.evaluate(X, [Y_CLASS, Y_BOX], verbose=0))
    with pytest.raises(ValueError, match=r"a loss for output 'loc' but no target"):
        fresh(["sparse_categorical_crossentropy", "mse"]).fit(X, {"class": Y_CLASS}, verbose=0)
    with pytest.raises(ValueError, match=r"`y` hold 3 arrays but the model has 2 outputs "
                                         r"\(class, loc\)"):
        fresh([None, "mse"]).fit(X, [Y_CLASS, Y_BOX, Y_BOX], verbose=0)


def test_wrong_number_of_losses_names_the_outputs():
    with pytest.raises(ValueError, match=r"`loss` has 1 entries but the model has 2 outputs "
                                         r"\(class, loc\)"):
        two_headed().compile("adam", loss=["mse"])
    with pytest.raises(ValueError, match=r"keys \['box'\] that are not output names"):
        two_headed().compile("adam", loss={"box": "mse"})


def test_shared_layer_and_multiple_inputs():
    a, b = dg.Input(shape=(4,), name="a"), dg.Input(shape=(4,), name="b")
    shared = dg.layers.Dense(3, name="shared")
    merged = dg.layers.Concatenate()([shared(a), shared(b)])
    model = dg.Model([a, b], dg.layers.Dense(1)(merged))
    assert sum(layer.name == "shared" for layer in model.layers) == 1
    assert model.count_params() == 15 + 7
    model.compile("sgd", "mse")
    model.fit([X, X[::-1]], Y_BOX[:, :1], epochs=1, verbose=0)
    out = model.predict({"a": X, "b": X[::-1]}, verbose=0)
    assert out.shape == (40, 1)


def test_model_as_a_layer_and_new_heads_on_a_base():
    base_in = dg.Input(shape=(4,))
    base = dg.Model(base_in, dg.layers.Dense(8, activation="relu", name="features")(base_in),
                    name="base")
    stacked = dg.Sequential([base, dg.layers.Dense(3, activation="softmax")])
    stacked.build((None, 4))
    assert stacked.count_params() == 40 + 27
    head = dg.layers.Dense(3, name="new_head")(base.output)
    model = dg.Model(base.input, head)
    assert [layer.name for layer in model.layers][-2:] == ["features", "new_head"]
    assert model.get_layer("features") is base.get_layer("features")
    base.trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    before = base.get_weights()
    model.fit(X, Y_CLASS, epochs=1, verbose=0)
    for w0, w1 in zip(before, base.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)


def test_layers_can_be_sliced_and_looked_up():
    model = two_headed()
    assert [layer.name for layer in model.layers[:2]] == ["features", "hidden"]
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.get_layer("nope")


def test_disconnected_input_and_unreachable_output():
    a, b = dg.Input(shape=(4,), name="a"), dg.Input(shape=(4,), name="b")
    out = dg.layers.Dense(1)(a)
    with pytest.raises(ValueError, match="disconnected"):
        dg.Model([a, b], out)
    with pytest.raises(ValueError, match="not reachable from the given inputs"):
        dg.Model(b, out)


def test_duplicate_layer_names():
    a = dg.Input(shape=(4,))
    x = dg.layers.Dense(2, name="same")(a)
    with pytest.raises(ValueError, match="two different layers are named 'same'"):
        dg.Model(a, dg.layers.Dense(2, name="same")(x))


def test_wrong_input_shape_in_functional_model():
    model = two_headed()
    with pytest.raises(ValueError, match=r"expects shape \(None, 4\), got \(2, 5\)"):
        model.predict(np.zeros((2, 5)), verbose=0)


def test_subclassed_model_and_custom_train_step():
    class Net(dg.Model):
        def __init__(self):
            super().__init__()
            self.hidden = dg.layers.Dense(8, activation="relu")
            self.out = dg.layers.Dense(3)
            self.steps = 0

        def call(self, x, training=False):
            return self.out(self.hidden(x))

        def train_step(self, data):
            self.steps += 1
            return super().train_step(data)

    net = Net()
    net.compile("adam", dg.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    history = net.fit(X, Y_CLASS, batch_size=10, epochs=2, verbose=0)
    assert net.steps == 8 and len(net.weights) == 4 and "accuracy" in history.history


def test_custom_layer_with_build_and_call_trains():
    class Scale(dg.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs):
            return inputs * self.w

    model = dg.Sequential([dg.layers.Input(shape=(4,)), Scale(), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    before = model.layers[0].get_weights()[0].copy()
    model.fit(X, Y_BOX[:, :1], epochs=1, verbose=0)
    assert not np.array_equal(before, model.layers[0].get_weights()[0])


def test_summary_show_flops(capsys):
    two_headed().summary(show_flops=True)
    out = capsys.readouterr().out
    assert "MACs / sample" in out and "64" in out and "Activations" in out
