"""dg.name_scope: variable paths as Keras 3.15 gives them for the same code."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.scopes import current_path, name_scope


def test_paths_follow_the_scopes_open_when_a_variable_is_made():
    """Keras 3.15: 'dense/kernel' (made in the scope, built outside), 'block/v',
    'block/inner/w', and 'x/late/kernel' (built inside scope x)."""
    with dg.name_scope("block"):
        layer = dg.layers.Dense(2)
        v = dg.Variable(np.ones(2), name="v")
        with dg.name_scope("inner"):
            w = dg.Variable(np.ones(2), name="w")
    layer.build((None, 3))
    assert (layer.kernel.path, v.path, w.path) == ("dense/kernel", "block/v", "block/inner/w")
    late = dg.layers.Dense(2, name="late")
    with dg.name_scope("x"):
        late.build((None, 3))
    assert late.kernel.path == "x/late/kernel"
    assert dg.Variable(np.ones(1), name="free").path == "free"


def test_scope_object_and_errors():
    with dg.name_scope("block") as scope:
        assert (scope.name, scope.caller, scope.deduplicate, scope.override_parent) == (
            "block", None, True, None)
        assert current_path() == "block"
    assert current_path() == ""
    with pytest.raises(ValueError, match=r"name_scope: `name` must be a string without '/'\. "
                                         r"Received: name='a/b'"):
        dg.name_scope("a/b")


def test_deduplicate_and_override_parent():
    owner = object()
    with name_scope("layer", caller=owner):
        with name_scope("layer", caller=owner):
            assert current_path() == "layer"
        with name_scope("layer", caller=owner, deduplicate=False):
            assert current_path() == "layer/layer"
        with name_scope("child", override_parent="root/sub"):
            assert current_path() == "root/sub/child"
    assert current_path() == ""


def test_scopes_are_per_thread():
    seen = []
    with name_scope("main"):
        thread = threading.Thread(target=lambda: seen.append(current_path()))
        thread.start()
        thread.join()
    assert seen == [""]
