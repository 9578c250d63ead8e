"""The course's examples in their --quick form (seconds each): each runs top to bottom as
``python examples/NAME.py --quick``, prints what the course prints, saves its figures, and
its numbers are the ones the course expects. Several run in this one test process."""

import runpy
import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytest.importorskip("matplotlib", reason="the examples draw with matplotlib (the 'plot' "
                    "extra; CI installs it with the 'test' extra)")


def run_quick(name, tmp_path, monkeypatch):
    """Run examples/NAME.py --quick --out tmp_path; return its ``results`` and the PNGs."""
    script = EXAMPLES / f"{name}.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--quick", "--out", str(tmp_path)])
    # One BLAS thread: these models are small, and on a busy two-core machine OpenBLAS's
    # spinning workers cost several times the work itself.
    with threadpool_limits(limits=1, user_api="blas"):
        namespace = runpy.run_path(str(script), run_name="__main__")
    import matplotlib.pyplot as plt

    assert not plt.get_fignums(), "the example left figures open"
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
    return namespace["results"], pngs


def figures_listed_in_docstring(name):
    text = (EXAMPLES / f"{name}.py").read_text().split('"""')[1]
    listed = text[text.index("\nFigures"):]
    return sorted(word.strip(",") for word in listed.split() if word.endswith((".png", ".png,")))


def test_from_scratch(tmp_path, monkeypatch):
    results, pngs = run_quick("from_scratch", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("from_scratch")
    assert results["tape_vs_hand"] < 1e-5 and results["tape"] == pytest.approx(results["hand"])
    assert results["hand"] == pytest.approx((3, 2), abs=0.15)
    assert 25 < results["too_hot_threshold"] < 31 and results["too_hot_accuracy"] > 0.85
    assert results["digits_accuracy"] > 0.8
    assert results["network_output_difference"] < 1e-6
    assert results["network_gradient_difference"] < 1e-6


def test_first_networks(tmp_path, monkeypatch):
    results, pngs = run_quick("first_networks", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("first_networks")
    assert results["iris_arrays"] > 0.8 and results["iris_dataset"] > 0.8
    optimizers = {k: v for k, v in results.items() if k.startswith(("Fashion", "digits"))}
    assert len(optimizers) == 7 and min(optimizers.values()) > 0.5, optimizers
    assert results["circles linear"] < 0.8 < 0.95 < results["circles network"]


def test_regularisation(tmp_path, monkeypatch):
    results, pngs = run_quick("regularisation", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("regularisation")
    for kind in ("none", "dropout", "L2", "L1", "batch norm"):
        train, test = results[kind]
        assert train > 0.9 and test > 0.75, (kind, train, test)
    assert results["clipnorm=None"] == float("inf") and results["clipnorm=10.0"] < 15
    assert results["gradient ratio sigmoid"] < 1e-3 < 0.1 < results["gradient ratio relu"]


def test_convolutions(tmp_path, monkeypatch):
    results, pngs = run_quick("convolutions", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("convolutions")
    assert results["conv1d"] == [32, 32, 44, 44]
    assert results["conv2d"] == [[3, 2, 4], [2, 5, 0], [4, 1, 4]]
    assert results["numpy_vs_deepgrad"] < 1e-5 and results["scipy_vs_deepgrad"] < 1e-5
    assert results["backprop_kernel"] < 1e-12 and results["backprop_input"] < 1e-12
    assert results["low_level_cnn"] > 0.6
    assert results["batchnorm"] < 1e-5 and results["batchnorm_moving_mean"] < 1e-6
    assert results["sobel_mean"] > 0.01 and min(results["augmented_differs"][1:]) > 1


def test_cnns(tmp_path, monkeypatch):
    results, pngs = run_quick("cnns", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("cnns")
    assert results["accuracy"] > 0.4  # one epoch on 2,000 images
    assert results["inverted_accuracy"] < results["accuracy"] - 0.2
    # Keras 3.15's counts for the convolutional bases (include_top=False).
    assert results["vgg16"] == 14_714_688 and results["resnet50"] == 23_587_712


def test_localisation(tmp_path, monkeypatch):
    results, pngs = run_quick("localisation", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("localisation")
    assert results["shape_accuracy"] > 0.7
    assert results["mean_iou"] > 0.4 and results["found"] > 0.3


def test_ship_finder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "no-data"))  # the look-alike path
    results, pngs = run_quick("ship_finder", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("ship_finder")
    assert not results["real_data"] and "LOOK-ALIKE" in capsys.readouterr().out
    assert results["dummy"] < results["cnn"] and results["cnn"] > 0.8
    # The fully convolutional scan equals predict on every sliding window.
    assert results["fcn_vs_sliding"] < 1e-5
    assert results["detections"] >= 1 and results["precision"] > 0.5


def test_autoencoders(tmp_path, monkeypatch):
    results, pngs = run_quick("autoencoders", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("autoencoders")
    assert results["convolutional"] < results["dense (2-number code)"]
    assert results["denoised"] < results["noisy input"] / 1.5
    assert results["latent_separation"] > 1.2


def test_adversarial(tmp_path, monkeypatch):
    results, pngs = run_quick("adversarial", tmp_path, monkeypatch)
    assert pngs == figures_listed_in_docstring("adversarial")
    accuracy = results["accuracy"]
    assert accuracy[0.0] > 0.6
    assert list(accuracy.values()) == sorted(accuracy.values(), reverse=True)
    assert accuracy[0.1] < accuracy[0.0] - 0.2 < results["random_0.1"]


def test_ship_finder_reads_the_real_files_when_present(tmp_path, monkeypatch, capsys):
    """The real-data path, on a small dataset written in shipsnet.json's format (tiles as
    colour planes, labels, locations, scene ids) with one scene PNG."""
    import json

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(3)
    data = tmp_path / "data" / "shipsnet"
    (data / "scenes").mkdir(parents=True)
    tiles = rng.integers(0, 256, (60, 80, 80, 3), dtype=np.uint8)
    labels = [i % 4 == 0 for i in range(60)]
    tiles[labels, 30:50, 20:60] = 230  # a bright bar: something to learn
    (data / "shipsnet.json").write_text(json.dumps({
        "data": tiles.transpose(0, 3, 1, 2).reshape(60, -1).tolist(),
        "labels": [int(v) for v in labels], "locations": [[-122.4, 37.8]] * 60,
        "scene_ids": ["scene"] * 60}))
    Image.fromarray(rng.integers(0, 256, (200, 240, 3), dtype=np.uint8)).save(
        data / "scenes" / "sfbay_1.png")
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "data"))
    out = tmp_path / "out"
    out.mkdir()
    results, pngs = run_quick("ship_finder", out, monkeypatch)
    assert results["real_data"] and "LOOK-ALIKE" not in capsys.readouterr().out
    assert pngs == figures_listed_in_docstring("ship_finder")
    assert results["fcn_vs_sliding"] < 1e-5 and "recall" not in results
