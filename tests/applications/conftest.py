"""The application tests' fixture for building large models cheaply."""

import pytest

import application_reference


@pytest.fixture
def shapes_only(monkeypatch):
    """See :func:`application_reference.shapes_only`."""
    application_reference.shapes_only(monkeypatch)
