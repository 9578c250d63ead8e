"""ModelCheckpoint through real fit runs: the file-name logic with stand-in save methods
that record their calls, and round trips through the real ``deepgrad.saving``."""

import os

import numpy as np
import pytest

import deepgrad as dg


def recording(model):
    """Replace the model's save methods by ones that record and touch the path."""
    calls = []

    def saver(kind):
        def save(filepath, overwrite=True):
            calls.append((kind, os.path.basename(filepath)))
            with open(filepath, "w") as f:
                f.write(kind)

        return save

    model.save = saver("model")
    model.save_weights = saver("weights")
    return calls


def fit(model, data, callbacks, epochs=4, **kwargs):
    x, y, xv, yv = data
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0,
                     validation_data=(xv, yv), callbacks=callbacks, **kwargs)


def test_saves_every_epoch_with_1_based_epoch_and_log_fields(make_model, data, scripted,
                                                             tmp_path):
    model = make_model()
    calls = recording(model)
    path = tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.deepgrad"
    values = [0.5, 0.25, 0.125]
    ckpt = dg.callbacks.ModelCheckpoint(path)
    fit(model, data, [scripted("val_loss", values), ckpt], epochs=3)
    names = ["ckpt-01-0.50.deepgrad", "ckpt-02-0.25.deepgrad", "ckpt-03-0.12.deepgrad"]
    assert calls == [("model", name) for name in names]
    assert sorted(os.listdir(tmp_path)) == names


def test_save_best_only_file_names(make_model, data, scripted, tmp_path, capsys):
    model = make_model()
    calls = recording(model)
    path = str(tmp_path / "best-{epoch}-{val_loss:.1f}.deepgrad")
    ckpt = dg.callbacks.ModelCheckpoint(path, save_best_only=True, verbose=1)
    fit(model, data, [scripted("val_loss", [0.9, 0.5, 0.7, 0.3, 0.3]), ckpt], epochs=5)
    assert [name for _, name in calls] == [
        "best-1-0.9.deepgrad", "best-2-0.5.deepgrad", "best-4-0.3.deepgrad"
    ]
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 0.90000, saving model to" in out
    assert "Epoch 3: val_loss did not improve from 0.50000" in out
    assert ckpt.best == 0.3


def test_save_best_only_max_mode_and_threshold(make_model, data, scripted, tmp_path):
    model = make_model()
    calls = recording(model)
    ckpt = dg.callbacks.ModelCheckpoint(
        tmp_path / "m-{epoch}.deepgrad", monitor="val_accuracy", save_best_only=True,
        initial_value_threshold=0.6,
    )
    fit(model, data, [scripted("val_accuracy", [0.5, 0.7, 0.65, 0.8]), ckpt])
    assert [name for _, name in calls] == ["m-2.deepgrad", "m-4.deepgrad"]
    assert ckpt.mode_used == "max"


def test_best_is_kept_across_fits_and_one_path_is_overwritten(make_model, data, scripted,
                                                             tmp_path):
    model = make_model()
    calls = recording(model)
    ckpt = dg.callbacks.ModelCheckpoint(tmp_path / "best.deepgrad", monitor="loss",
                                        save_best_only=True)
    fit(model, data, [scripted("loss", [3.0, 2.0]), ckpt], epochs=2)
    fit(model, data, [scripted("loss", [2.5, 1.0]), ckpt], epochs=2)
    assert calls == [("model", "best.deepgrad")] * 3


def test_save_weights_only(make_model, data, tmp_path):
    model = make_model()
    calls = recording(model)
    ckpt = dg.callbacks.ModelCheckpoint(tmp_path / "w-{epoch}.weights.safetensors",
                                        save_weights_only=True)
    fit(model, data, [ckpt], epochs=2)
    assert calls == [("weights", "w-1.weights.safetensors"), ("weights", "w-2.weights.safetensors")]


def test_integer_save_freq_counts_batches_across_epochs(make_model, data, tmp_path):
    model = make_model()
    calls = recording(model)  # 32 samples, batch 8: 4 batches per epoch
    ckpt = dg.callbacks.ModelCheckpoint(tmp_path / "e{epoch}-b{batch}.deepgrad", save_freq=3)
    fit(model, data, [ckpt], epochs=3)
    assert [name for _, name in calls] == [
        "e1-b3.deepgrad", "e2-b2.deepgrad", "e3-b1.deepgrad", "e3-b4.deepgrad"
    ]


def test_missing_folders_are_created(make_model, data, tmp_path):
    model = make_model()
    recording(model)
    ckpt = dg.callbacks.ModelCheckpoint(tmp_path / "run" / "{epoch}" / "m.deepgrad")
    fit(model, data, [ckpt], epochs=2)
    assert (tmp_path / "run" / "2" / "m.deepgrad").exists()


def test_missing_monitor_warns_and_saves(make_model, data, tmp_path):
    model = make_model()
    calls = recording(model)
    ckpt = dg.callbacks.ModelCheckpoint(tmp_path / "m.deepgrad", monitor="val_auc",
                                        save_best_only=True)
    x, y, _, _ = data
    with pytest.warns(UserWarning, match="only with val_auc available.*loss"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ckpt])
    assert len(calls) == 1


def test_bad_template_field_names_the_available_ones(make_model, data, tmp_path):
    model = make_model()
    recording(model)
    ckpt = dg.callbacks.ModelCheckpoint(tmp_path / "{epoch}-{val_acc}.deepgrad")
    with pytest.raises(KeyError, match="val_acc.*val_loss"):
        fit(model, data, [ckpt], epochs=1)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unrecognized save_freq: 'batch'"):
        dg.callbacks.ModelCheckpoint("m.deepgrad", save_freq="batch")
    with pytest.raises(ValueError, match="save_freq"):
        dg.callbacks.ModelCheckpoint("m.deepgrad", save_freq=0)
    with pytest.raises(TypeError, match="`filepath` must be a string or a path"):
        dg.callbacks.ModelCheckpoint(3)
    with pytest.raises(ValueError, match=r"must end in .deepgrad or .keras.*filepath=m.h5"):
        dg.callbacks.ModelCheckpoint("m.h5")
    with pytest.raises(ValueError, match=r"save_weights_only=True.*\.weights\.safetensors or "
                       r"\.weights\.h5. Received: filepath=m.deepgrad"):
        dg.callbacks.ModelCheckpoint("m.deepgrad", save_weights_only=True)


def test_existing_directory_as_filepath_is_an_error(make_model, data, tmp_path):
    model = make_model()
    recording(model)
    (tmp_path / "m.deepgrad").mkdir()
    with pytest.raises(IsADirectoryError, match="non-directory filepath"):
        fit(model, data, [dg.callbacks.ModelCheckpoint(tmp_path / "m.deepgrad")], epochs=1)


def test_real_round_trip_of_the_best_weights(make_model, data, tmp_path):
    model = make_model()
    kept = []
    path = tmp_path / "best.weights.safetensors"
    ckpt = dg.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True,
                                        save_weights_only=True)
    keep = dg.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: kept.append(
        (logs["val_loss"], model.get_weights())))
    fit(model, data, [keep, ckpt], epochs=4)
    best = min(kept, key=lambda item: item[0])[1]
    fresh = make_model()
    fresh.load_weights(path)
    for got, want in zip(fresh.get_weights(), best, strict=True):
        np.testing.assert_array_equal(got, want)


def test_real_full_model_checkpoints(make_model, data, tmp_path):
    model = make_model()
    ckpt = dg.callbacks.ModelCheckpoint(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.deepgrad")
    history = fit(model, data, [ckpt], epochs=2)
    names = sorted(os.listdir(tmp_path))
    assert names == [f"m-{i + 1:02d}-{v:.2f}.deepgrad"
                     for i, v in enumerate(history.history["val_loss"])]
    loaded = dg.models.load_model(tmp_path / names[-1])
    np.testing.assert_array_equal(loaded.predict(data[2], verbose=0),
                                  model.predict(data[2], verbose=0))
