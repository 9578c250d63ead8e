"""dg.strings: the tf.strings functions of keras.io's text examples.

Expected values are TensorFlow 2.21's for the same calls (tf.strings.lower(...).numpy(),
run in /opt/kerasvenv); TF returns bytes, deepgrad keeps the kind it was given.
"""

import re
import string

import numpy as np
import pytest

import deepgrad as dg
import deepgrad as tf


def test_values_as_tensorflow():
    assert tf.strings.lower([b"Hello \xc3\x89T\xc3\x89 <br />Film, GREAT!"]).tolist() == [
        b"hello \xc3\x89t\xc3\x89 <br />film, great!"]  # ASCII letters only, as TF
    assert tf.strings.upper(["abc é"]).tolist() == ["ABC é"]
    assert tf.strings.strip([" a b  "]).tolist() == ["a b"]
    assert tf.strings.regex_replace(["a1b22"], r"\d+", "#").tolist() == ["a#b#"]
    assert tf.strings.regex_replace(["a1b22"], r"\d", "#", replace_global=False).tolist() == [
        "a#b22"]
    assert tf.strings.regex_replace([b"ab cd"], r"(\w+) (\w+)", r"\2 \1").tolist() == [b"cd ab"]
    assert tf.strings.length(["é", "ab"]).tolist() == [2, 2]
    assert tf.strings.length(["é", "ab"], unit="UTF8_CHAR").tolist() == [1, 2]
    text = tf.strings.lower("A <br />Film, GREAT!")
    assert tf.strings.regex_replace(text, f"[{re.escape(string.punctuation)}]", "") == (
        "a br film great")


def test_shapes_tensors_and_errors():
    out = tf.strings.lower(dg.Tensor(np.array([["A"], ["B"]])))
    assert out.shape == (2, 1) and out.tolist() == [["a"], ["b"]]
    with pytest.raises(TypeError, match="expected text"):
        tf.strings.lower(np.array([1, 2]))
    with pytest.raises(ValueError, match="`unit` must be"):
        tf.strings.length(["a"], unit="CHAR")


def custom_standardization(input_data):
    # keras.io "Text classification from scratch", with only the imports changed; the
    # vocabulary and ids below are Keras 3.15's for the same adapt and call.
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]", "")


def test_the_text_classification_standardization():
    layer = dg.layers.TextVectorization(standardize=custom_standardization, output_mode="int")
    layer.adapt(np.array(["Good FILM<br />bad, plot!", "good plot."]))
    assert layer.get_vocabulary() == ["", "[UNK]", "plot", "good", "film", "bad"]
    np.testing.assert_array_equal(layer(np.array(["BAD film"])).numpy(), [[5, 4]])
