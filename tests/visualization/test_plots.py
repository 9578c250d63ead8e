"""Every figure renders with Agg at its size, is not blank, and holds what it says."""

import sys

import numpy as np
import pytest

import deepgrad as dg

vis = dg.visualization
RNG = np.random.default_rng(0)


def test_image_gallery_shows_every_image_with_titles(assert_drawn):
    images = RNG.integers(0, 255, (5, 16, 16, 3)).astype(np.uint8)
    fig = vis.plot_image_gallery(images, y_true=[0, 1, 0, 1, 0], y_pred=[0, 1, 1, 1, 0],
                                 label_map={0: "cat", 1: "dog"}, show=False)
    shown = [a for a in fig.axes if a.images]
    assert len(shown) == 5 and len(fig.axes) == 6  # 3x2 grid, the last one empty
    assert shown[2].get_title() == "Label: cat  Pred: dog"
    assert_drawn(fig)


def test_image_gallery_grey_float_range_and_path(tmp_path):
    images = RNG.uniform(0, 1, (4, 8, 8, 1))
    fig = vis.plot_image_gallery(images, value_range=(0, 1), path=tmp_path / "g.png")
    from PIL import Image
    with Image.open(tmp_path / "g.png") as saved:
        assert saved.size[0] > 40
    assert fig.axes[0].images[0].get_array().shape == (8, 8)
    with pytest.raises(ValueError, match="label_map"):
        vis.plot_image_gallery(images, y_true=[0, 1, 2, 3], show=False)
    with pytest.raises(ValueError, match="not both"):
        vis.plot_image_gallery(images, path=tmp_path / "x.png", show=True)


def test_bounding_box_gallery_draws_true_and_predicted_colours(assert_drawn):
    images = np.zeros((2, 40, 40, 3), np.uint8)
    y_true = {"boxes": np.array([[[5, 5, 30, 30]]] * 2), "labels": np.array([[0], [0]])}
    y_pred = {"boxes": np.array([[[10, 10, 20, 20]]] * 2), "labels": np.array([[0], [0]]),
              "confidences": np.array([[0.9], [0.4]])}
    fig = vis.plot_bounding_box_gallery(images, "xyxy", y_true=y_true, y_pred=y_pred,
                                        class_mapping={0: "ship"}, legend=True, show=False)
    drawn = fig.axes[0].images[0].get_array()
    assert tuple(drawn[5, 15]) == (0, 188, 212) and tuple(drawn[10, 15]) == (255, 235, 59)
    assert_drawn(fig)


def test_segmentation_mask_gallery_has_a_row_per_image(assert_drawn):
    images = RNG.integers(0, 255, (2, 12, 12, 3)).astype(np.uint8)
    masks = RNG.integers(0, 3, (2, 12, 12))
    fig = vis.plot_segmentation_mask_gallery(images, 3, y_true=masks, y_pred=masks, show=False)
    assert len(fig.axes) == 6
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(),
                                  fig.axes[2].images[0].get_array())
    assert_drawn(fig)


def test_plot_history_one_panel_per_metric_and_comparisons(assert_drawn):
    history = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8],
               "val_loss": [1.1, 0.8, 0.7], "val_accuracy": [0.4, 0.6, 0.7]}
    fig = vis.plot_history(history)
    loss_axis, accuracy_axis = fig.axes
    assert loss_axis.get_title() == "loss" and len(loss_axis.lines) == 2
    assert accuracy_axis.lines[1].get_ydata().tolist() == [0.4, 0.6, 0.7]
    assert_drawn(fig)
    both = vis.plot_history({"adam": history, "sgd": {"loss": [2.0, 1.0]}}, metrics=["loss"])
    assert len(both.axes[0].lines) == 3
    assert_drawn(both)
    with pytest.raises(ValueError, match="no metric 'auc'"):
        vis.plot_history(history, metrics=["auc"])


def test_plot_history_of_a_real_fit(assert_drawn):
    dg.utils.set_random_seed(1)
    model = dg.Sequential([dg.layers.Dense(4, activation="relu", input_shape=(2,)),
                           dg.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    x = RNG.normal(size=(64, 2)).astype(np.float32)
    history = model.fit(x, (x[:, 0] > 0).astype(np.float32), epochs=3, verbose=0,
                        validation_split=0.25)
    fig = vis.plot_history(history)
    assert [a.get_title() for a in fig.axes] == ["loss", "accuracy"]
    assert_drawn(fig)


def small_cnn():
    dg.utils.set_random_seed(2)
    model = dg.Sequential([dg.layers.Conv2D(6, 3, activation="relu", input_shape=(12, 12, 3),
                                            name="conv"),
                           dg.layers.MaxPooling2D(name="pool"), dg.layers.Flatten(),
                           dg.layers.Dense(3, activation="softmax")])
    return model


def test_plot_filters_rgb_and_one_channel(assert_drawn):
    model = small_cnn()
    fig = vis.plot_filters(model.get_layer("conv"), cols=3)
    assert sum(bool(a.images) for a in fig.axes) == 6
    assert fig.axes[0].images[0].get_array().shape == (3, 3, 3)
    assert_drawn(fig)
    grey = vis.plot_filters(model.get_layer("conv"), channel=2)
    assert grey.axes[0].images[0].get_array().shape == (3, 3)
    assert_drawn(grey)
    with pytest.raises(ValueError, match="channel"):
        vis.plot_filters(model.get_layer("conv"), channel=3)
    with pytest.raises(ValueError, match="kernel shape \\(3, 4\\)"):
        vis.plot_filters(np.zeros((3, 4)))


def test_plot_feature_maps_equal_the_layer_output(assert_drawn):
    model = small_cnn()
    image = RNG.uniform(size=(12, 12, 3)).astype(np.float32)
    fig = vis.plot_feature_maps(model, "pool", image, max_maps=4)
    assert sum(bool(a.images) for a in fig.axes) == 4
    probe = dg.Model(model.inputs, model.get_layer("pool").output)
    expected = probe.predict(image[None], verbose=0)[0, :, :, 1]
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), expected)
    assert_drawn(fig)
    with pytest.raises(ValueError, match="no layer 'conv9'.*'conv'"):
        vis.plot_feature_maps(model, "conv9", image)


def test_plot_predictions_bars_equal_probabilities(assert_drawn):
    images = RNG.uniform(size=(3, 10, 10))
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    fig = vis.plot_predictions(images, probs, ["a", "b", "c"], true_labels=[0, 1, 1])
    bar_axis = fig.axes[1]
    widths = sorted(p.get_width() for p in bar_axis.patches)
    assert widths == pytest.approx([0.1, 0.2, 0.7])
    assert "a 70%" in fig.axes[0].get_title() and "true: b" in fig.axes[2].get_title()
    assert_drawn(fig)
    with pytest.raises(ValueError, match="shape \\(3, 2\\)"):
        vis.plot_predictions(images, probs, ["a", "b"])


def test_plot_decision_boundary_for_deepgrad_sklearn_and_functions(assert_drawn):
    from sklearn.linear_model import LogisticRegression

    x = RNG.normal(size=(40, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    fig = vis.plot_decision_boundary(LogisticRegression().fit(x, y), x, y, resolution=30)
    assert_drawn(fig)
    sigmoid = vis.plot_decision_boundary(lambda p: 1 / (1 + np.exp(-p[:, :1])), x, y,
                                         resolution=30)
    assert len(sigmoid.axes) == 2  # the plot and its probability colour bar
    assert_drawn(sigmoid)
    dense = dg.Sequential([dg.layers.Dense(3, activation="softmax", input_shape=(2,))])
    assert_drawn(vis.plot_decision_boundary(dense, x, resolution=20))
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        vis.plot_decision_boundary(dense, np.zeros((4, 3)))


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"plot_history needs matplotlib.*deepgrad\[plot\]"):
        vis.plot_history({"loss": [1.0]})
    with pytest.raises(ImportError, match=r"plot_image_gallery needs matplotlib"):
        vis.plot_image_gallery(np.zeros((1, 4, 4, 3)), show=False)
    assert vis.draw_bounding_boxes(np.zeros((1, 4, 4, 3)), {"boxes": np.zeros((1, 0, 4)),
                                   "labels": np.zeros((1, 0))}, "xyxy").shape == (1, 4, 4, 3)
