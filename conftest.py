"""Test-wide setup: doctests see ``np`` and ``dg``; every test starts from the same seed
and fresh layer names, so results do not depend on test order."""

import numpy as np
import pytest

import deepgrad as dg


@pytest.fixture(autouse=True)
def _fresh_state(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["dg"] = dg
    dg.utils.set_random_seed(1337)
    dg.layers.clear_session()
    yield
