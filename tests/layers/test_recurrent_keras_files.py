"""Keras 3's own ``.weights.h5`` files of recurrent models load into the same models built
with deepgrad (the same code, see tests/fixtures/keras_rnn_models.py), and predict what
Keras predicted. The files come from tests/fixtures/make_keras_rnn_fixture.py."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg

pytest.importorskip("h5py", reason="reading .weights.h5 needs h5py (the test extra)")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location("keras_rnn_models", FIXTURES / "keras_rnn_models.py")
models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(models)
EXPECTED = json.loads((FIXTURES / "keras_rnn" / "expected.json").read_text())


def load(name: str):
    model = getattr(models, name)(dg)
    model.load_weights(FIXTURES / "keras_rnn" / f"{name}.weights.h5")
    return model


@pytest.mark.parametrize("build", models.MODELS, ids=[b.__name__ for b in models.MODELS])
def test_keras_weights_give_keras_outputs(build):
    """Masked models included: Embedding(mask_zero=True) and Masking pass their masks on
    through Bidirectional, stacked LSTMs, GRU and pooling as Keras does (padding at the
    end, at the start, and a sequence with no real step)."""
    name = build.__name__
    x = models.inputs_for(name)
    got = load(name).predict(x, verbose=0)
    expected = np.array(EXPECTED[name]["output"], dtype=np.float64)
    if name == "masked_average":
        # The sequence without a real step: Keras divides 0 by 0; deepgrad gives zeros.
        empty = ~(x != 0).any(axis=1)
        assert np.isnan(expected[empty]).all() and (got[empty] == 0).all()
        got, expected = got[~empty], expected[~empty]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-6)


def test_padded_steps_do_not_count_in_the_loss_as_in_keras():
    model = load("masked_sequences")
    x = models.inputs_for("masked_sequences")
    y = np.linspace(-1, 1, x.size).reshape(x.shape + (1,)).astype("float32")
    model.compile(loss="mse")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(EXPECTED["masked_sequences"]["mse"],
                                                             rel=1e-5)
