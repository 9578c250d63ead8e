"""The scripts in examples/ run and reach the accuracy they print."""

import importlib.util
from pathlib import Path

import pytest

from offline_data import needs_fashion_mnist, needs_fortunes

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_iris_tape_example(capsys):
    load("iris_tape").main()
    lines = capsys.readouterr().out.splitlines()
    accuracies = [float(line.rsplit(" ", 1)[1]) for line in lines]
    assert len(accuracies) == 2 and min(accuracies) >= 0.85, lines


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_examples_have_a_docstring_saying_how_to_run(path):
    assert "Run: python examples/" in path.read_text().split('"""')[1]


@needs_fashion_mnist
def test_transfer_learning_example_runs_on_a_small_budget(capsys):
    """A shortened run (3,000 pretraining images, 5 head epochs, 200 images): both models
    learn; the full run's numbers are in the README."""
    results = load("transfer_learning").main(
        pretrain_epochs=1, pretrain_limit=3000, sizes=(200,), head_epochs=5, verbose=False)
    transfer, scratch = results[200]
    assert transfer > 0.6 and scratch > 0.4
    assert "frozen pretrained base" in capsys.readouterr().out


@needs_fortunes
def test_char_rnn_example_learns_on_a_short_run(capsys):
    """60,000 characters, two epochs of stateful truncated BPTT: held-out bits per
    character fall well below a uniform guess (6.6 bits) and from one epoch to the next;
    samples are printed."""
    bits = load("char_rnn").main(quick=True, limit=60_000, epochs=2, units=64,
                                 learning_rate=0.02, verbose=0)
    assert len(bits) == 2 and bits[1] < bits[0] < 6.0 and bits[1] < 4.8, bits
    assert "T=0.5: 'The " in capsys.readouterr().out
