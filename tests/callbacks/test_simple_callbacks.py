"""CSVLogger, TerminateOnNaN and LambdaCallback through real fit runs."""

import csv
import math

import numpy as np
import pytest

import deepgrad as dg


def fit(model, data, callbacks, epochs=3, validate=True, **kwargs):
    x, y, xv, yv = data
    if validate:
        kwargs["validation_data"] = (xv, yv)
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks,
                     **kwargs)


def read_rows(path, separator=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=separator))


# -- CSVLogger ------------------------------------------------------------------------------
def test_csv_has_one_row_per_epoch_with_val_keys(make_model, data, tmp_path):
    path = tmp_path / "log.csv"
    history = fit(make_model(metrics=["mae"]), data, [dg.callbacks.CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    for i, row in enumerate(rows[1:]):
        for key, cell in zip(rows[0][1:], row[1:], strict=True):
            assert float(cell) == pytest.approx(history.history[key][i], rel=1e-12)


def test_csv_separator_and_learning_rate_column(make_model, data, tmp_path):
    path = tmp_path / "log.tsv"
    schedule = dg.callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    fit(make_model(), data, [schedule, dg.callbacks.CSVLogger(path, separator="\t")],
        validate=False)
    rows = read_rows(path, "\t")
    # Keras 3.15 adds a val_ column per key when there is no validation (written NA)
    assert rows[0] == ["epoch", "learning_rate", "loss", "val_learning_rate", "val_loss"]
    assert [float(row[1]) for row in rows[1:]] == pytest.approx([0.01, 0.02, 0.03])
    assert {row[3] for row in rows[1:]} == {row[4] for row in rows[1:]} == {"NA"}


def test_csv_append_keeps_one_header_and_overwrite_starts_over(make_model, data, tmp_path):
    path = tmp_path / "log.csv"
    model = make_model()
    fit(model, data, [dg.callbacks.CSVLogger(path)], epochs=2)
    fit(model, data, [dg.callbacks.CSVLogger(path, append=True)], epochs=4, initial_epoch=2)
    rows = read_rows(path)
    assert rows[0][0] == "epoch" and [row[0] for row in rows[1:]] == ["0", "1", "2", "3"]
    fit(model, data, [dg.callbacks.CSVLogger(path)], epochs=1)
    assert len(read_rows(path)) == 2


def test_csv_append_to_a_missing_file_writes_a_header(make_model, data, tmp_path):
    path = tmp_path / "new.csv"
    fit(make_model(), data, [dg.callbacks.CSVLogger(path, append=True)], epochs=1)
    assert read_rows(path)[0][0] == "epoch"


def test_csv_writes_na_for_missing_values_and_lists(make_model, data, scripted, tmp_path):
    path = tmp_path / "log.csv"
    values = [np.array([1, 2]), None, np.float64(0.5)]
    inject = dg.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: logs.update(
            {} if values[epoch] is None else {"extra": values[epoch]})
    )
    fit(make_model(), data, [inject, dg.callbacks.CSVLogger(path)], validate=False)
    assert [row[1] for row in read_rows(path)] == ["extra", "[1, 2]", "NA", "0.5"]


def test_csv_file_is_flushed_each_epoch_and_closed_at_the_end(make_model, data, tmp_path):
    path = tmp_path / "log.csv"
    logger = dg.callbacks.CSVLogger(path)
    lines = []
    peek = dg.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: lines.append(len(read_rows(path)))
    )
    fit(make_model(), data, [logger, peek])
    assert lines == [2, 3, 4] and logger.csv_file.closed


def test_csv_bad_arguments():
    with pytest.raises(TypeError, match="`filename` must be a string or a path"):
        dg.callbacks.CSVLogger(None)
    with pytest.raises(TypeError, match="`separator` must be a one-character string"):
        dg.callbacks.CSVLogger("log.csv", separator=", ")


# -- TerminateOnNaN ---------------------------------------------------------------------------
def nan_after(step):
    """A mean-squared-error loss that becomes NaN from training step ``step`` on."""
    calls = {"n": 0}

    def loss(y_true, y_pred):
        calls["n"] += 1
        scale = math.nan if calls["n"] > step else 1.0
        return dg.ops.mean((y_pred - y_true) ** 2) * scale

    return loss


def test_terminate_on_nan_stops_after_the_bad_batch(make_model, data, capsys):
    model = make_model(loss=nan_after(5))
    batches = []
    count = dg.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))
    history = fit(model, data, [dg.callbacks.TerminateOnNaN(), count], epochs=5,
                  validate=False)
    # 4 batches per epoch: the 6th step (epoch 2, batch 1) is the first NaN.
    assert batches == [0, 1, 2, 3, 0, 1]
    assert len(history.history["loss"]) == 2 and math.isnan(history.history["loss"][1])
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_stops_on_inf(make_model, data):
    model = make_model(loss=lambda y_true, y_pred: dg.ops.mean((y_pred - y_true) ** 2) * math.inf)
    with np.errstate(invalid="ignore"):  # inf * 0 in the backward pass
        history = fit(model, data, [dg.callbacks.TerminateOnNaN()], epochs=3, validate=False)
    assert len(history.history["loss"]) == 1 and history.history["loss"][0] == math.inf


def test_without_the_callback_fit_raises_on_nan(make_model, data):
    with pytest.raises(FloatingPointError, match="epoch 2, batch 2 of 4"):
        fit(make_model(loss=nan_after(5)), data, [], epochs=3, validate=False)


# -- LambdaCallback --------------------------------------------------------------------------
def test_lambda_hooks_are_called_in_keras_order(make_model, data):
    events = []
    cb = dg.callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: events.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
    )
    x, y, xv, yv = data
    make_model().fit(x[:16], y[:16], batch_size=8, epochs=2, verbose=0,
                     validation_data=(xv, yv), callbacks=[cb])
    epoch = ["batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1"]
    assert events == [
        "train_begin",
        "epoch_begin 0", *epoch, "epoch_end 0 ['loss', 'val_loss']",
        "epoch_begin 1", *epoch, "epoch_end 1 ['loss', 'val_loss']",
        "train_end",
    ]


def test_lambda_keras2_batch_names_and_batch_logs(make_model, data):
    losses = []
    cb = dg.callbacks.LambdaCallback(
        on_batch_end=lambda batch, logs: losses.append(logs["loss"])
    )
    history = fit(make_model(), data, [cb], epochs=2, validate=False)
    assert len(losses) == 8 and losses[-1] == history.history["loss"][-1]


def test_lambda_can_stop_training(make_model, data):
    cb = dg.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(cb.model, "stop_training", epoch == 1)
    )
    history = fit(make_model(), data, [cb], epochs=10)
    assert history.epoch == [0, 1]


def test_lambda_bad_arguments():
    with pytest.raises(TypeError, match="unknown hook 'on_step_end'.*on_batch_end"):
        dg.callbacks.LambdaCallback(on_step_end=print)
    with pytest.raises(TypeError, match="`on_epoch_end` must be callable"):
        dg.callbacks.LambdaCallback(on_epoch_end=1)


def test_callbacks_must_be_callbacks(make_model, data):
    with pytest.raises(TypeError, match="must be a list of dg.callbacks.Callback"):
        fit(make_model(), data, [print], epochs=1)
