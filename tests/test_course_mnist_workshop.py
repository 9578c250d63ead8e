"""examples/course_mnist_workshop.py: TensorFlow course code with only its imports changed
runs on deepgrad (issue 12's "done when"), in its quick mode."""

import re
import runpy
import sys
from pathlib import Path

import deepgrad as dg

from offline_data import needs_fashion_mnist

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "course_mnist_workshop.py"


def test_only_the_imports_name_deepgrad():
    code = SCRIPT.read_text().split('"""', 2)[2]
    lines = [line for line in code.splitlines() if "deepgrad" in line]
    assert lines == ["import deepgrad as keras  # was: from tensorflow import keras",
                     "import deepgrad as tf  # was: import tensorflow as tf",
                     "from deepgrad import layers  # was: from tensorflow.keras import layers"]


@needs_fashion_mnist
def test_the_workshop_runs_and_learns(monkeypatch, capsys):
    """1,000 training images, one epoch: well above chance (0.1) on 500 test images (0.46
    to 0.56 for seeds 0-2; real Keras 3.15 + TF gives 0.47 on the same script)."""
    dg.utils.set_random_seed(0)  # the course's code sets no seed; the test does
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--quick"])
    namespace = runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    assert "Num GPUs Available:  0" in out
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.35, out
    model = namespace["model"]
    assert model.layers[1] is model.layers[3]  # the one MaxPool2D, used twice
    assert model.count_params() == 34_826  # as Keras counts this model
    assert len(re.search(r"Predicted: \[([0-9 ]+)\]", out).group(1).split()) == 10
