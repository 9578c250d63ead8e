"""Keras semantics of compile/fit/evaluate/predict, the demo, determinism and bad input."""

import gc
import tracemalloc

import numpy as np
import pytest

import deepgrad as dg


def iris():
    return dg.datasets.iris.load_data(test_split=0.25, seed=0)


def iris_model(**compile_kwargs):
    model = dg.Sequential([
        dg.layers.Dense(10, activation="relu", input_shape=(4,)),
        dg.layers.Dense(10, activation="relu"),
        dg.layers.Dense(3, activation="softmax"),
    ])
    kwargs = dict(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    kwargs.update(compile_kwargs)
    model.compile(**kwargs)
    return model


def test_iris_reaches_090_test_accuracy_in_seconds():
    (x, y), (xt, yt) = iris()
    model = iris_model()
    model.fit(x, y, epochs=150, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.9


def test_history_has_one_value_per_epoch_for_every_metric():
    (x, y), _ = iris()
    history = iris_model().fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]


def test_validation_data_and_initial_epoch():
    (x, y), (xt, yt) = iris()
    history = iris_model().fit(x, y, epochs=4, initial_epoch=2, validation_data=(xt, yt),
                               verbose=0)
    assert history.epoch == [2, 3] and len(history.history["val_loss"]) == 2


def test_evaluate_return_forms():
    (x, y), _ = iris()
    with_metrics = iris_model()
    result = with_metrics.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    as_dict = with_metrics.evaluate(x, y, verbose=0, return_dict=True)
    assert set(as_dict) == {"loss", "accuracy"}
    assert as_dict["loss"] == pytest.approx(result[0])
    loss_only = iris_model(metrics=None).evaluate(x, y, verbose=0)
    assert isinstance(loss_only, float)


def test_metrics_accumulate_over_the_epoch_not_per_batch_average():
    x = np.zeros((3, 1), dtype="float32")
    y = np.array([0, 1, 1])
    model = dg.Sequential([dg.layers.Dense(2, input_shape=(1,), kernel_initializer="zeros",
                                           bias_initializer=dg.initializers.Constant(0.0))])
    model.layers[0].bias.assign([1.0, 0.0])  # always predicts class 0
    model.compile("sgd", dg.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    # batches of 2 and 1: per-batch accuracies 0.5 and 0.0 average to 0.25; the epoch has 1/3
    acc = model.evaluate(x, y, batch_size=2, verbose=0)[1]
    assert acc == pytest.approx(1 / 3)


def test_accuracy_resolution_follows_the_loss_and_shapes():
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    cases = [
        ("sparse_categorical_crossentropy", np.arange(8) % 3, 3, "softmax",
         "SparseCategoricalAccuracy"),
        ("categorical_crossentropy", dg.utils.to_categorical(np.arange(8) % 3, 3), 3, "softmax",
         "CategoricalAccuracy"),
        ("binary_crossentropy", (np.arange(8) % 2).reshape(-1, 1).astype("float32"), 1,
         "sigmoid", "BinaryAccuracy"),
    ]
    for loss, y, units, activation, expected in cases:
        model = dg.Sequential([dg.layers.Dense(units, activation=activation, input_shape=(4,))])
        model.compile("adam", loss, metrics=["accuracy"])
        model.fit(x, y, epochs=1, verbose=0)
        metric = model.compiled_metrics.all[0]
        assert type(metric).__name__ == expected and metric.name == "accuracy"


def test_from_logits_loss_equals_softmax_probability_loss():
    x = np.random.default_rng(1).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3
    logits = dg.Sequential([dg.layers.Dense(3, input_shape=(4,))])
    probs = dg.Sequential([dg.layers.Dense(3, activation="softmax", input_shape=(4,))])
    probs.set_weights(logits.get_weights())
    logits.compile("sgd", dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    probs.compile("sgd", "sparse_categorical_crossentropy")
    assert logits.evaluate(x, y, verbose=0) == pytest.approx(probs.evaluate(x, y, verbose=0),
                                                             rel=1e-6)


def test_layer_names_are_numbered_like_keras():
    names = [dg.layers.Dense(1).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert dg.layers.Dropout(0.1).name == "dropout"
    assert dg.Sequential().name == "sequential"


def test_predict_accepts_lists_and_returns_ndarray():
    model = iris_model()
    out = model.predict([[5.1, 3.3, 1.7, 0.5]], verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (1, 3) and out.dtype == np.float32
    big = model.predict(np.zeros((100, 4)), batch_size=32, verbose=0)
    assert big.shape == (100, 3)
    np.testing.assert_allclose(big[:1], model(np.zeros((1, 4))).data, rtol=1e-6)


def test_same_seed_gives_bit_identical_weights():
    (x, y), _ = iris()

    def run():
        dg.utils.set_random_seed(7)
        model = dg.Sequential([dg.layers.Dense(10, activation="relu", input_shape=(4,)),
                               dg.layers.Dropout(0.3), dg.layers.Dense(3)])
        model.compile("adam", dg.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run(), strict=True):
        assert np.array_equal(a, b)


def test_dropout_only_in_training():
    layer = dg.layers.Dropout(0.5)
    x = np.ones((4, 8), dtype="float32")
    assert np.array_equal(layer(x).data, x)
    assert not np.array_equal(layer(x, training=True).data, x)


def test_memory_stays_flat_over_repeated_fit_and_predict():
    (x, y), _ = iris()
    model = iris_model()
    for _ in range(20):
        model.fit(x, y, epochs=1, verbose=0)
        model.predict(x, verbose=0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(200):
        model.fit(x, y, epochs=1, verbose=0)
        model.predict(x, verbose=0)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 200_000, f"memory grew by {after - before} bytes"


def test_single_sample_predict_is_well_under_a_millisecond():
    import time

    model = iris_model()
    sample = np.array([[5.1, 3.3, 1.7, 0.5]], dtype="float32")
    model.predict(sample, verbose=0)
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        model.predict(sample, verbose=0)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 1e-3, f"{per_call * 1e6:.0f} us per single-sample predict"


def test_fit_stops_on_nan_loss_naming_epoch_and_batch():
    x = np.ones((64, 2), dtype="float32")
    y = np.ones((64, 1), dtype="float32")
    model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    model.compile(dg.optimizers.SGD(learning_rate=1e6), "mse")
    with np.errstate(all="ignore"), pytest.raises(
        FloatingPointError, match=r"loss became (nan|inf) at epoch \d+, batch \d+"
    ):
        model.fit(x, y, epochs=5, verbose=0)
    model.compile(dg.optimizers.SGD(learning_rate=1e6), "mse")
    with np.errstate(all="ignore"):
        history = model.fit(x, y, epochs=2, verbose=0, stop_on_nan=False)
    assert len(history.history["loss"]) == 2


def test_verbose_modes_print_keras_lines(capsys):
    (x, y), _ = iris()
    model = iris_model()
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert out.count("\r") == 0 and " - accuracy: " in out and "/step" in out
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=1, verbose="auto")  # captured output is not a terminal: like 2
    assert "\r" not in capsys.readouterr().out
    model.fit(x, y, epochs=1, verbose=1)
    live = capsys.readouterr().out
    assert "4/4" in live and "━" in live and "loss:" in live


def test_evaluate_line_times_the_whole_pass(capsys):
    # evaluate's line showed 1us/step: its clock started after the pass. A callback that
    # waits 20 ms per batch makes each step last at least that long.
    import re
    import time

    class Slow(dg.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            time.sleep(0.02)

    model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.evaluate(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), batch_size=2,
                   verbose=2, callbacks=[Slow()])
    amount, unit = re.search(r"- (\d+)(us|ms|s)/step", capsys.readouterr().out).groups()
    assert unit == "s" or (unit == "ms" and int(amount) >= 20), (amount, unit)


def test_summary_counts_and_shapes(capsys):
    model = iris_model()
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 10)" in out and "(None, 3)" in out
    assert "Total params: 193" in out and "Trainable params: 193" in out
    model.layers[0].trainable = False
    model.summary()
    out = capsys.readouterr().out
    assert "Trainable params: 143" in out and "Non-trainable params: 50" in out


def test_summary_of_an_unbuilt_sequential_says_unbuilt():
    # keras.io "The Sequential model": Keras 3.15 prints "?" and "0 (unbuilt)" per layer.
    model = dg.Sequential([dg.layers.Dense(2, name="first"), dg.layers.Dense(3)])
    lines = []
    model.summary(print_fn=lines.append)
    row = next(line for line in lines if "first (Dense)" in line)
    assert row.split("│")[2].strip() == "?"
    assert row.split("│")[3].strip() == "0 (unbuilt)"


def test_frozen_layer_is_not_updated():
    (x, y), _ = iris()
    model = iris_model()
    model.layers[0].trainable = False
    before = model.layers[0].get_weights()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(before, model.layers[0].get_weights(), strict=True):
        assert np.array_equal(a, b)


def test_set_num_threads_caps_blas():
    dg.config.set_num_threads(1)
    try:
        assert dg.config.get_num_threads() == 1
    finally:
        dg.config.set_num_threads(None)


def test_regularization_adds_to_the_loss():
    x = np.ones((4, 2), dtype="float32")
    y = np.zeros((4, 1), dtype="float32")
    plain = dg.Sequential([dg.layers.Dense(1, input_shape=(2,), kernel_initializer="ones")])
    reg = dg.Sequential([dg.layers.Dense(1, input_shape=(2,), kernel_initializer="ones",
                                         kernel_regularizer=dg.regularizers.L2(0.5))])
    for m in (plain, reg):
        m.compile("sgd", "mse")
    # Keras adds the penalties in evaluate too: 0.5 * (1 + 1) on top of the MSE.
    assert reg.evaluate(x, y, verbose=0) == pytest.approx(plain.evaluate(x, y, verbose=0) + 1.0)
    assert reg.train_on_batch(x, y) == pytest.approx(plain.train_on_batch(x, y) + 1.0)


# ---- bad input --------------------------------------------------------------------------

def test_input_with_wrong_last_dimension_names_the_layer():
    model = iris_model()
    with pytest.raises(ValueError, match=r"Dense 'dense': expected input with last dimension 4, "
                                         r"got shape \(32, 5\)"):
        model.predict(np.zeros((32, 5)), verbose=0)


def test_missing_batch_dimension_hint():
    model = iris_model()
    with pytest.raises(ValueError, match="Missing batch dimension"):
        model.predict(np.array([5.1, 3.3, 1.7, 0.5]), verbose=0)


def test_y_length_differs_from_x():
    model = iris_model()
    with pytest.raises(ValueError, match=r"x has 10.*y has 9"):
        model.fit(np.zeros((10, 4)), np.zeros(9), verbose=0)


def test_labels_out_of_range_for_sparse_loss():
    model = iris_model()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\].*\[3\]"):
        model.fit(np.zeros((4, 4)), np.array([0, 1, 2, 3]), verbose=0)


def test_one_hot_labels_with_sparse_loss_and_the_reverse():
    x = np.zeros((6, 4), dtype="float32")
    labels = np.arange(6) % 3
    sparse_model = iris_model()
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        sparse_model.fit(x, dg.utils.to_categorical(labels, 3), verbose=0)
    dense_model = iris_model(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy|to_categorical"):
        dense_model.fit(x, labels, verbose=0)


@pytest.mark.parametrize("kind,name", [("optimizer", "adamm"), ("loss", "mse2"),
                                       ("metrics", ["acuracy"])])
def test_unknown_names_list_valid_ones(kind, name):
    model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    kwargs = {"optimizer": "sgd", "loss": "mse", kind: name}
    model.compile(**kwargs)  if kind == "metrics" else None
    if kind == "metrics":
        with pytest.raises(ValueError, match="acuracy"):
            model.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)
    else:
        with pytest.raises(ValueError, match=name):
            model.compile(**kwargs)


def test_unknown_activation_and_initializer_names():
    with pytest.raises(ValueError, match="rleu"):
        dg.layers.Dense(1, activation="rleu")
    with pytest.raises(ValueError, match="he_norml"):
        dg.layers.Dense(1, kernel_initializer="he_norml")


def test_fit_before_compile():
    model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match=r"compile\(\) before fit\(\)"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_x(bad):
    x = np.zeros((5, 4), dtype="float32")
    x[3, 2] = bad
    with pytest.raises(ValueError, match=r"NaN or inf \(first at index \(3, 2\)"):
        iris_model().fit(x, np.zeros(5, dtype=int), verbose=0)


def test_mse_shapes_are_not_silently_broadcast():
    model = dg.Sequential([dg.layers.Dense(3, input_shape=(2,))])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"mean_squared_error: expected y_true with the shape "
                                         r"of y_pred \(4, 3\).*y_true.shape=\(4, 2\)"):
        model.fit(np.zeros((4, 2)), np.zeros((4, 2)), verbose=0)


def test_bad_fit_arguments():
    (x, y), _ = iris()
    model = iris_model()
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5)


def test_set_weights_checks_count_and_shapes():
    model = iris_model()
    weights = model.get_weights()
    with pytest.raises(ValueError, match="expected a list of 6 arrays"):
        model.set_weights(weights[:-1])
    weights[0] = np.zeros((5, 10))
    with pytest.raises(ValueError, match=r"'dense/kernel' has shape \(4, 10\)"):
        model.set_weights(weights)


def test_fit_validation_fires_the_test_hooks_as_keras_does():
    (x, y), (xt, yt) = iris()
    calls = []

    class Record(dg.callbacks.Callback):
        def on_test_begin(self, logs=None):
            calls.append("test_begin")

        def on_test_batch_begin(self, batch, logs=None):
            calls.append(f"b{batch}")

        def on_test_batch_end(self, batch, logs=None):
            calls.append(f"e{batch}")

        def on_test_end(self, logs=None):
            calls.append("test_end" if "loss" in logs else "no-loss")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch{epoch}")

    iris_model().fit(x, y, epochs=1, batch_size=32, validation_data=(xt[:40], yt[:40]),
                     verbose=0, callbacks=[Record()])
    assert calls == ["test_begin", "b0", "e0", "b1", "e1", "test_end", "epoch0"]


def test_summary_never_cuts_names_or_shapes_short():
    model = dg.Sequential([
        dg.layers.Input((28, 28, 1)),
        dg.layers.Conv2D(32, 5, padding="same", name="a_rather_long_convolution_name"),
        dg.layers.MaxPooling2D(2),
    ])
    lines = []
    model.summary(print_fn=lines.append, show_flops=True)
    text = "\n".join(lines)
    assert "a_rather_long_convolution_name (Conv2D)" in text
    assert "(None, 28, 28, 32)" in text and "max_pooling2d (MaxPooling2D)" in text
    assert "627,200" in text  # MACs of the conv: 28 * 28 * 5 * 5 * 1 * 32
    assert len({len(line) for line in lines if line[0] in "┏┃┡│├└"}) == 1  # aligned
