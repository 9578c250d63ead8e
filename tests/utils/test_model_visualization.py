"""plot_model / model_to_dot: boxes and edges of Sequential, functional and nested models, and
PNGs whose size is what Graphviz's layout says (CI installs pydot and graphviz)."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import model_to_dot, plot_model

pydot = pytest.importorskip("pydot", reason="pydot is in the test extra; CI installs it")
needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None,
                                    reason="Graphviz's dot is missing: .ci/run apt-installs it")


def names_of(dot, layers):
    ids = {str(id(layer)): layer.name for layer in layers}
    nodes = [ids[n.get_name().strip('"')] for n in dot.get_nodes() if n.get_name() != "node"]
    edges = sorted((ids[e.get_source()], ids[e.get_destination()]) for e in dot.get_edges())
    return nodes, edges


def branching_model():
    inner = dg.Sequential([dg.layers.Dense(4, activation="relu", input_shape=(3,), name="a"),
                           dg.layers.Dense(5, name="b")], name="inner")
    x = dg.Input((3,), name="x")
    left = inner(x)
    right = dg.layers.Dense(5, activation="tanh", name="right")(x)
    out = dg.layers.Dense(1, name="out")(dg.layers.Concatenate(name="cat")([left, right]))
    return dg.Model(x, out), inner


def test_sequential_and_functional_graphs():
    seq = dg.Sequential([dg.layers.Dense(4, input_shape=(3,), name="d1"),
                         dg.layers.Dense(2, name="d2")])
    assert names_of(model_to_dot(seq), seq.layers) == (["d1", "d2"], [("d1", "d2")])
    model, inner = branching_model()
    nodes, edges = names_of(model_to_dot(model), model.layers)
    assert nodes == ["x", "inner", "right", "cat", "out"]
    assert edges == [("cat", "out"), ("inner", "cat"), ("right", "cat"), ("x", "inner"),
                     ("x", "right")]
    dot = model_to_dot(model, expand_nested=True)
    assert [s.get_name() for s in dot.get_subgraphs()] == ["cluster_inner"]
    cluster = dot.get_subgraphs()[0]
    assert names_of(cluster, inner.layers) == (["a", "b"], [("a", "b")])
    _, edges = names_of(dot, [*model.layers, *inner.layers])
    assert ("x", "a") in edges and ("b", "cat") in edges and ("x", "inner") not in edges


def test_labels_show_what_was_asked():
    model, _ = branching_model()
    label = model_to_dot(model, show_shapes=True, show_dtype=True, show_layer_names=True,
                         show_layer_activations=True, show_trainable=True)
    text = "".join(n.get("label") or "" for n in label.get_nodes())
    for piece in ("<b>right</b> (Dense)", "Activation: <b>tanh</b>",
                  "Input shape: <b>(None, 3)</b>", "Output shape: <b>(None, 10)</b>",
                  "Output dtype: <b>float32</b>", "Trainable", "<b>x</b> (InputLayer)"):
        assert piece in text
    assert "Non-trainable" not in text and text.count("Input shape") == 4  # all but the input
    plain = "".join(n.get("label") or "" for n in model_to_dot(model, show_layer_names=False)
                    .get_nodes())
    assert "right" not in plain and "shape" not in plain and "<b>Concatenate</b>" in plain
    model.get_layer("right").trainable = False
    text = "".join(n.get("label") or "" for n in model_to_dot(model, show_trainable=True)
                   .get_nodes())
    assert "Non-trainable" in text


def render(model, path, **options):
    """Plot, and return the PNG's size and pixels and the size Graphviz's layout gives."""
    from PIL import Image

    plot_model(model, path, **options)
    header = model_to_dot(model, show_layer_names=False, **options).create(format="plain")
    width, height = (float(v) for v in header.decode().split()[2:4])  # inches
    margin = 8 / 72  # Graphviz pads a drawing by 4 points on each side
    dpi = options["dpi"]
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size, np.asarray(image.convert("L")), ((width + margin) * dpi,
                                                            (height + margin) * dpi)


@needs_graphviz
@pytest.mark.parametrize("dpi", [72, 150])
def test_png_has_the_size_of_the_layout(tmp_path, dpi):
    model, _ = branching_model()
    sizes = {}
    for rankdir in ("TB", "LR"):
        size, pixels, expected = render(model, tmp_path / f"{rankdir}.png", show_shapes=True,
                                        expand_nested=True, dpi=dpi, rankdir=rankdir)
        assert abs(size[0] - expected[0]) <= 1 and abs(size[1] - expected[1]) <= 1
        assert pixels.min() == 0 and pixels.max() == 255  # black boxes on white, not blank
        sizes[rankdir] = size
    # Five layers in a chain of four steps: taller than wide top to bottom, the other way LR.
    assert sizes["TB"][1] / sizes["TB"][0] > sizes["LR"][1] / sizes["LR"][0]
    small, _, _ = render(model, tmp_path / "small.png", show_shapes=True, expand_nested=True,
                         dpi=dpi // 2, rankdir="TB")
    assert abs(small[0] * 2 - sizes["TB"][0]) <= 2  # the resolution scales the image
    plot_model(model, tmp_path / "model.svg")
    assert (tmp_path / "model.svg").read_text().lstrip().startswith("<?xml")


def test_errors_name_what_to_install(tmp_path, monkeypatch):
    model, _ = branching_model()
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        model_to_dot(model, show_everything=True)
    with pytest.raises(ValueError, match="has not yet been built"):
        plot_model(dg.Sequential([dg.layers.Dense(2)]))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program on the path
    with pytest.raises(ImportError, match="sudo apt-get install graphviz"):
        plot_model(model, tmp_path / "m.png")
    monkeypatch.setitem(sys.modules, "pydot", None)  # pydot not installed
    with pytest.raises(ImportError, match=r"pip install 'deepgrad\[plot\]'"):
        model_to_dot(model)
