"""dg.utils.serialize_keras_object / deserialize_keras_object are dg.saving's functions
(Keras exposes them in both), found on first use."""

import os
import pathlib
import subprocess
import sys

import deepgrad as dg


def test_same_functions_as_saving():
    assert dg.utils.serialize_keras_object is dg.saving.serialize_keras_object
    assert dg.utils.deserialize_keras_object is dg.saving.deserialize_keras_object
    spec = dg.utils.serialize_keras_object(dg.layers.Dense(2, name="d"))
    assert dg.utils.deserialize_keras_object(spec).units == 2


def test_importing_utils_does_not_load_the_saving_tier():
    src = pathlib.Path(dg.__file__).parents[1]
    code = ("import sys, deepgrad.utils\n"
            "print('deepgrad.saving.objects' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=env)
    assert result.stdout.strip() == "False"
