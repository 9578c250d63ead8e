"""Keras's reference for the applications (``tests/fixtures/keras_applications.json.gz``)
and a cheap way to build large models for inspection (see :func:`shapes_only`)."""

import gzip
import importlib.util
import json
from functools import cache
from pathlib import Path

import numpy as np

import deepgrad as dg
from deepgrad.tensor import Tensor, Variable

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@cache
def keras_reference() -> dict:
    """``tests/fixtures/keras_applications.json.gz``: what Keras 3 built (see its maker)."""
    with gzip.open(FIXTURES / "keras_applications.json.gz", "rt", encoding="utf8") as handle:
        return json.load(handle)


def fixture_module(name: str):
    """A helper module of ``tests/fixtures`` (shared with the scripts that run Keras)."""
    spec = importlib.util.spec_from_file_location(name, FIXTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _zeros_view(shape, dtype=None):
    return np.broadcast_to(np.zeros((), dtype or "float32"), tuple(shape))


def _variable_keeping_its_array(self, value, trainable=True, name=None, dtype=None):
    Tensor.__init__(self, value, requires_grad=trainable, dtype=dtype, name=name)
    self._trainable = bool(trainable)
    self.path = name
    self.regularizer = None
    self.constraint = None



def shapes_only(monkeypatch) -> None:
    """Build models whose weights have their shapes but no memory: every initializer gives
    a read-only zero view (``np.broadcast_to``), kept as it is by the Variable.

    Counting parameters and listing layers and weight paths need shapes only, and this
    builds even ConvNeXtXLarge (350 million parameters, 1.4 GB of float32) in a fraction of
    a second; with real weights the largest models take seconds each here. The models are
    for inspection only (their weights cannot be written).
    """
    monkeypatch.setattr(dg.initializers, "get", lambda identifier: _zeros_view)
    monkeypatch.setattr(Variable, "__init__", _variable_keeping_its_array)
