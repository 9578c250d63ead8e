"""EarlyStopping through real fit runs: patience, min_delta, modes, baseline, restoring."""

import numpy as np
import pytest

import deepgrad as dg


def fit(model, data, callbacks, epochs=10, **kwargs):
    x, y, xv, yv = data
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0,
                     validation_data=(xv, yv), callbacks=callbacks, **kwargs)


@pytest.mark.parametrize(
    "values, patience, min_delta, epochs_run",
    [
        ([5, 4, 4, 4, 4, 4, 4, 4], 0, 0, 3),  # stops at the first non-improvement after 0
        ([5, 4, 3, 3.5, 3.2, 3.1, 3, 3], 3, 0, 6),  # 3 epochs without beating 3
        ([5, 4, 3, 2.9, 2.8, 2.7, 2.6, 2.5], 2, 0, 8),  # always improving: runs out
        ([5, 4, 3, 2.9, 2.8, 2.7, 2.6, 2.5], 2, 0.5, 5),  # too small to count
        ([5, 4, 3, 2.9, 2.4, 2.3, 2.2, 2.1], 2, 0.5, 7),  # 2.4 beats 3 by more than 0.5
        ([5, 4, 3, 2.9, 2.8, 2.7, 2.6, 2.5], 2, -0.5, 5),  # the sign of min_delta is ignored
    ],
)
def test_stops_after_patience_epochs_without_improvement(
    make_model, data, scripted, values, patience, min_delta, epochs_run
):
    stop = dg.callbacks.EarlyStopping("score", min_delta=min_delta, patience=patience,
                                      mode="min")
    history = fit(make_model(), data, [scripted("score", values), stop], epochs=len(values))
    assert len(history.history["loss"]) == epochs_run
    assert stop.stopped_epoch == (epochs_run - 1 if epochs_run < len(values) else 0)


def test_auto_mode_maximizes_accuracy_like_names(make_model, data, scripted):
    values = [0.5, 0.6, 0.7, 0.65, 0.66, 0.9]
    stop = dg.callbacks.EarlyStopping("val_accuracy", patience=2)
    history = fit(make_model(), data, [scripted("val_accuracy", values), stop], epochs=6)
    assert len(history.history["loss"]) == 5 and stop.best == 0.7
    down = dg.callbacks.EarlyStopping("val_accuracy", patience=2, mode="min")
    history = fit(make_model(), data, [scripted("val_accuracy", values), down], epochs=6)
    assert len(history.history["loss"]) == 3


@pytest.mark.parametrize("name", ["val_auc", "precision", "val_sparse_categorical_accuracy"])
def test_auto_mode_infers_max(make_model, data, scripted, name):
    stop = dg.callbacks.EarlyStopping(name, patience=0)
    history = fit(make_model(), data, [scripted(name, [1.0, 2.0, 3.0, 1.0]), stop], epochs=4)
    assert len(history.history["loss"]) == 4 and stop.mode_used == "max"


def test_real_val_loss_stops_a_diverging_model(make_model, data):
    # A learning rate this high makes the loss grow from the first step.
    model = make_model(optimizer=dg.optimizers.SGD(0.9))
    stop = dg.callbacks.EarlyStopping(patience=1)
    with np.errstate(all="ignore"):
        history = fit(model, data, [stop], epochs=20, stop_on_nan=False)
    losses = history.history["val_loss"]
    assert len(losses) < 20 and stop.stopped_epoch == len(losses) - 1
    assert losses[-1] >= stop.best and losses[-2] >= stop.best


def test_learning_model_runs_all_epochs(make_model, data):
    history = fit(make_model(), data, [dg.callbacks.EarlyStopping(patience=2)], epochs=8)
    assert len(history.history["loss"]) == 8


def test_restore_best_weights_on_early_stop(make_model, data, scripted, weight_log):
    log = weight_log()
    stop = dg.callbacks.EarlyStopping("score", patience=2, mode="min",
                                      restore_best_weights=True, verbose=1)
    values = [3.0, 1.0, 2.0, 2.0, 0.5, 0.1]
    model = make_model()
    history = fit(model, data, [scripted("score", values), log, stop], epochs=6)
    assert len(history.history["loss"]) == 4 and stop.best_epoch == 1
    for got, want in zip(model.get_weights(), log.weights[1], strict=True):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(log.weights[1][0], log.weights[3][0])


def test_restore_best_weights_when_epochs_run_out(make_model, data, scripted, weight_log):
    log = weight_log()
    stop = dg.callbacks.EarlyStopping("score", patience=10, mode="min",
                                      restore_best_weights=True)
    model = make_model()
    fit(model, data, [scripted("score", [3.0, 1.0, 2.0, 2.5]), log, stop], epochs=4)
    assert stop.stopped_epoch == 0 and stop.best_epoch == 1
    for got, want in zip(model.get_weights(), log.weights[1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_without_restore_the_last_weights_stay(make_model, data, scripted, weight_log):
    log = weight_log()
    stop = dg.callbacks.EarlyStopping("score", patience=1, mode="min")
    model = make_model()
    fit(model, data, [scripted("score", [1.0, 2.0, 3.0]), log, stop], epochs=3)
    for got, want in zip(model.get_weights(), log.weights[-1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_verbose_messages(make_model, data, scripted, capsys):
    stop = dg.callbacks.EarlyStopping("score", patience=1, mode="min", verbose=1,
                                      restore_best_weights=True)
    fit(make_model(), data, [scripted("score", [1.0, 2.0, 3.0, 4.0]), stop], epochs=4)
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 1." in out


def test_baseline_not_beaten_stops_after_patience(make_model, data, scripted, weight_log):
    log = weight_log()
    stop = dg.callbacks.EarlyStopping("score", patience=3, mode="min", baseline=1.0,
                                      restore_best_weights=True)
    model = make_model()
    history = fit(model, data, [scripted("score", [5, 6, 4.5, 7, 8, 9]), log, stop], epochs=6)
    # Epochs 0 and 2 improve on the best but not on the baseline, so `wait` keeps counting.
    assert len(history.history["loss"]) == 4 and stop.best_epoch == 2
    for got, want in zip(model.get_weights(), log.weights[2], strict=True):
        np.testing.assert_array_equal(got, want)
    beaten = dg.callbacks.EarlyStopping("score", patience=1, mode="min", baseline=4.5)
    history = fit(make_model(), data, [scripted("score", [5, 4, 3, 2, 1]), beaten], epochs=5)
    assert len(history.history["loss"]) == 5


def test_start_from_epoch_ignores_warm_up(make_model, data, scripted):
    stop = dg.callbacks.EarlyStopping("score", patience=0, mode="min", start_from_epoch=3)
    history = fit(make_model(), data, [scripted("score", [1, 2, 3, 4, 5, 6]), stop], epochs=6)
    assert len(history.history["loss"]) == 5  # epoch 3 sets the best, epoch 4 stops


def test_reused_instance_starts_afresh(make_model, data, scripted):
    stop = dg.callbacks.EarlyStopping("score", patience=1, mode="min")
    fit(make_model(), data, [scripted("score", [1, 2, 3]), stop], epochs=3)
    assert stop.stopped_epoch == 1
    history = fit(make_model(), data, [scripted("score", [9, 8, 7]), stop], epochs=3)
    assert len(history.history["loss"]) == 3 and stop.stopped_epoch == 0 and stop.best == 7


def test_missing_monitor_warns_with_available_keys(make_model, data):
    stop = dg.callbacks.EarlyStopping("val_acc", mode="max")
    with pytest.warns(UserWarning, match="`val_acc` which is not available.*val_loss"):
        history = fit(make_model(), data, [stop], epochs=2)
    assert len(history.history["loss"]) == 2


def test_unknown_direction_in_auto_mode_is_an_error(make_model, data):
    with pytest.raises(ValueError, match="monitor=my_score.*mode='max'"):
        fit(make_model(), data, [dg.callbacks.EarlyStopping("my_score")], epochs=1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="`patience` must be an int >= 0. Received: patience=-1"):
        dg.callbacks.EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="start_from_epoch"):
        dg.callbacks.EarlyStopping(start_from_epoch=1.5)
    with pytest.raises(TypeError, match="`min_delta` must be a number"):
        dg.callbacks.EarlyStopping(min_delta="0.1")
    with pytest.raises(TypeError, match="`monitor` must be a string"):
        dg.callbacks.EarlyStopping(monitor=None)
    with pytest.warns(UserWarning, match="mode 'up' is unknown, falling back to auto"):
        assert dg.callbacks.EarlyStopping(mode="up").mode == "auto"


def test_real_val_accuracy_in_auto_mode(data):
    x, y, xv, yv = data
    labels, val_labels = (y[:, 0] > 0.3).astype(np.int64), (yv[:, 0] > 0.3).astype(np.int64)
    model = dg.Sequential([dg.layers.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(dg.optimizers.SGD(0.05), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    # Start from weights that favour the wrong class, so accuracy rises, then plateaus.
    wrong = 0.2 * np.array([[1, -1], [-2, 2], [0.5, -0.5]], np.float32)
    model.set_weights([wrong, np.zeros(2, np.float32)])
    stop = dg.callbacks.EarlyStopping("val_accuracy", patience=2, restore_best_weights=True)
    history = model.fit(x, labels, epochs=40, batch_size=8, verbose=0,
                        validation_data=(xv, val_labels), callbacks=[stop])
    values = history.history["val_accuracy"]
    assert stop.mode_used == "max" and values[-1] > values[0] + 0.5
    best_epoch = int(np.argmax(values))  # the first maximum
    assert stop.best == max(values) and stop.best_epoch == best_epoch
    assert len(values) < 40 and stop.stopped_epoch == best_epoch + 2
    restored = model.evaluate(xv, val_labels, verbose=0, return_dict=True)
    assert restored["accuracy"] == max(values)
