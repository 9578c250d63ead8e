"""TensorBoard: event files read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

pytest.importorskip("tensorboard", reason="tensorboard is in the test extra; CI installs it")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)


def read(folder):
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0,
                                                          "images": 0})
    events.Reload()
    return events


def scalars(events, tag):
    return [(e.step, e.value) for e in events.Scalars(tag)]


def steps_and_values(events, tag):
    points = scalars(events, tag)
    return [step for step, _ in points], [value for _, value in points]


def test_epoch_scalars_learning_rate_and_validation(tmp_path, data, make_model):
    x, y, xv, yv = data
    model = make_model(optimizer=dg.optimizers.SGD(0.05), metrics=["mae"])
    schedule = dg.callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 / (epoch + 1))
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(xv, yv),
                        callbacks=[schedule, dg.callbacks.TensorBoard(tmp_path)])
    train, validation = read(tmp_path / "train"), read(tmp_path / "validation")
    for name in ("loss", "mae"):
        steps, values = steps_and_values(train, f"epoch_{name}")
        assert steps == [0, 1, 2] and values == pytest.approx(history.history[name], rel=1e-6)
        steps, values = steps_and_values(validation, f"epoch_{name}")
        assert steps == [0, 1, 2]
        assert values == pytest.approx(history.history[f"val_{name}"], rel=1e-6)
    steps, values = steps_and_values(train, "epoch_learning_rate")
    assert steps == [0, 1, 2] and values == pytest.approx([0.05, 0.025, 0.05 / 3], rel=1e-6)
    iterations = [step for step, _ in scalars(validation, "evaluation_loss_vs_iterations")]
    assert iterations == [4, 8, 12]  # 4 batches an epoch
    assert "epoch_val_loss" not in train.Tags()["scalars"]


@pytest.mark.parametrize("update_freq, steps", [("batch", list(range(1, 9))), (3, [3, 6])])
def test_batch_scalars_every_update_freq(tmp_path, data, make_model, update_freq, steps):
    x, y, _, _ = data
    model = make_model()
    seen = []
    record = dg.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[
        record, dg.callbacks.TensorBoard(tmp_path, update_freq=update_freq,
                                         write_steps_per_second=True)])
    train = read(tmp_path / "train")
    points = scalars(train, "batch_loss")
    assert [step for step, _ in points] == steps
    assert [value for _, value in points] == pytest.approx([seen[s - 1] for s in steps], rel=1e-6)
    assert [s for s, _ in scalars(train, "batch_steps_per_second")] == steps
    assert all(v > 0 for _, v in scalars(train, "epoch_steps_per_second"))


def test_weight_histograms_and_images(tmp_path, data):
    x, y, _, _ = data
    model = dg.Sequential([dg.layers.Dense(4, input_shape=(3,), name="hidden"),
                           dg.layers.Dense(1, name="out")])
    model.compile(dg.optimizers.SGD(0.01), "mse")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[
        dg.callbacks.TensorBoard(tmp_path, histogram_freq=2, write_images=True)])
    train = read(tmp_path / "train")
    tags = set(train.Tags()["histograms"])
    assert tags == {"hidden/kernel/histogram", "hidden/bias/histogram", "out/kernel/histogram",
                    "out/bias/histogram"}
    points = train.Histograms("hidden/kernel/histogram")
    assert [p.step for p in points] == [0, 2]
    kernel = model.get_layer("hidden").kernel.numpy().ravel().astype(np.float64)
    last = points[-1].histogram_value
    assert last.num == 12 and sum(last.bucket) == 12
    assert last.min == pytest.approx(kernel.min()) and last.max == pytest.approx(kernel.max())
    assert last.sum == pytest.approx(kernel.sum()) and len(last.bucket) == 30
    counts, _ = np.histogram(kernel, bins=30)
    assert list(last.bucket) == counts.tolist()
    images = {tag for tag in train.Tags()["images"]}
    assert images == {"hidden/kernel/image", "hidden/bias/image", "out/kernel/image"}  # as Keras
    image = train.Images("hidden/kernel/image")[-1]
    assert (image.width, image.height) == (4, 3)  # the longer axis across


def test_evaluate_alone_and_arguments(tmp_path, data, make_model):
    x, y, _, _ = data
    model = make_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0, callbacks=[dg.callbacks.TensorBoard(tmp_path)])
    assert scalars(read(tmp_path / "validation"), "evaluation_loss_vs_iterations")[0][0] == 1
    for bad in ({"histogram_freq": -1}, {"update_freq": 0}, {"profile_batch": 2},
                {"embeddings_freq": -1}):
        with pytest.raises(ValueError):
            dg.callbacks.TensorBoard(tmp_path, **bad)


def test_without_the_package_the_error_says_what_to_install(tmp_path, monkeypatch, data,
                                                            make_model):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboard.summary.writer.event_file_writer", None)
    x, y, _, _ = data
    with pytest.raises(ImportError, match=r"pip install 'deepgrad\[tensorboard\]'"):
        make_model().fit(x, y, verbose=0, callbacks=[dg.callbacks.TensorBoard(tmp_path)])


def test_embeddings_for_the_projector(tmp_path):
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2

    model = dg.Sequential([dg.layers.Embedding(6, 3, input_shape=(2,), name="words"),
                           dg.layers.Flatten(), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.array([[1, 2], [3, 4]]), np.ones((2, 1), np.float32)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[dg.callbacks.TensorBoard(
        tmp_path, embeddings_freq=1, embeddings_metadata={"words": "vocab.tsv"})])
    config = text_format.Parse((tmp_path / "train" / "projector_config.pbtxt").read_text(),
                               projector_config_pb2.ProjectorConfig())
    (entry,) = config.embeddings
    assert (entry.tensor_name, entry.tensor_path, entry.metadata_path) == (
        "words", "words.tsv", "vocab.tsv")
    assert list(entry.tensor_shape) == [6, 3]
    table = np.loadtxt(tmp_path / "train" / "words.tsv", delimiter="\t", dtype=np.float32)
    np.testing.assert_array_equal(table, model.get_layer("words").embeddings.numpy())
    with pytest.raises(ValueError, match="Unrecognized `Embedding` layer names"):
        model.fit(x, y, verbose=0, callbacks=[dg.callbacks.TensorBoard(
            tmp_path, embeddings_freq=1, embeddings_metadata={"dense": "v.tsv"})])
