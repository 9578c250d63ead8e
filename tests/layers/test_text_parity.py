"""TextVectorization, StringLookup and IntegerLookup against real Keras 3's answers.

The expected vocabularies and outputs were produced by Keras 3 with TensorFlow
(``tests/fixtures/make_keras_text_parity.py`` writes ``keras_text_parity.json``), on
a corpus with ties, case, ASCII and non-ASCII punctuation and spaces, n-grams, and
every output mode.
"""

import json
import pathlib

import numpy as np
import pytest

import deepgrad as dg

FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "keras_text_parity.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    case = CASES[name]
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    layer = getattr(dg.layers, case["layer"])(**kwargs)
    if case["adapt"] is not None:
        layer.adapt(case["adapt"])
    assert layer.get_vocabulary() == case["vocabulary"]
    out = layer(np.asarray(case["inputs"])).data
    expected = np.asarray(case["output"])
    if expected.dtype.kind == "f" or out.dtype.kind == "f":
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)
    else:
        assert out.tolist() == expected.tolist()


def test_fixture_covers_every_output_mode_and_layer():
    modes = {CASES[n]["kwargs"].get("output_mode", "int") for n in CASES}
    layers = {CASES[n]["layer"] for n in CASES}
    assert modes == {"int", "one_hot", "multi_hot", "count", "tf_idf"}
    assert layers == {"TextVectorization", "StringLookup", "IntegerLookup"}
