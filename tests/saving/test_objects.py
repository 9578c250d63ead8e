"""serialize_keras_object / deserialize_keras_object: every kind of saveable object round
trips, and a file can only name deepgrad's public objects or the user's own."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.saving import deserialize_keras_object, serialize_keras_object

OBJECTS = [
    dg.layers.Dense(3, activation="relu", name="dense_x"),
    dg.losses.Huber(delta=2.0),
    dg.metrics.AUC(num_thresholds=50),
    dg.optimizers.Adam(learning_rate=dg.optimizers.schedules.CosineDecay(0.1, 10)),
    dg.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5),
    dg.initializers.HeNormal(seed=3),
    dg.regularizers.L1L2(l1=0.1, l2=0.2),
]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: type(o).__name__)
def test_objects_round_trip(obj):
    spec = serialize_keras_object(obj)
    assert spec["class_name"] == type(obj).__name__
    assert spec["module"].startswith("deepgrad.")
    clone = deserialize_keras_object(spec)
    assert type(clone) is type(obj) and clone is not obj
    assert clone.get_config() == obj.get_config()


@pytest.mark.parametrize("fn", [dg.activations.gelu, dg.losses.mean_squared_error,
                                dg.metrics.binary_accuracy, dg.layers.Dense])
def test_functions_and_classes_round_trip_by_name(fn):
    spec = serialize_keras_object(fn)
    assert spec["class_name"] in ("function", "__class__")
    assert deserialize_keras_object(spec) is fn


def test_nested_structures_and_plain_values():
    value = {"loss": ["mse", None, 1.5], "weights": {"a": True}}
    assert serialize_keras_object(value) == value
    assert deserialize_keras_object(value) == value
    assert serialize_keras_object((1, 2)) == [1, 2]


@dg.saving.register_keras_serializable(package="ObjectsTest")
def cubed(x):
    return x ** 3


def test_registered_and_custom_objects():
    spec = serialize_keras_object(cubed)
    assert spec["config"] == "ObjectsTest>cubed"
    assert deserialize_keras_object(spec) is cubed

    def local(x):
        return x

    spec = serialize_keras_object(local)
    with pytest.raises(ValueError, match="unknown function 'local'"):
        deserialize_keras_object(spec)
    assert deserialize_keras_object(spec, custom_objects={"local": local}) is local


@pytest.mark.parametrize("spec", [
    {"module": "os", "class_name": "function", "config": "system"},
    {"module": "deepgrad.losses", "class_name": "function", "config": "np"},
    {"module": "deepgrad.losses", "class_name": "function", "config": "_private"},
    {"module": "builtins", "class_name": "__class__", "config": "eval"},
    {"module": "numpy", "class_name": "ndarray", "config": {}},
])
def test_files_cannot_name_anything_else(spec):
    with pytest.raises(ValueError, match="deserialize_keras_object: unknown"):
        deserialize_keras_object(spec)


def test_unsaveable_objects_are_refused():
    with pytest.raises(TypeError, match="a lambda has no name"):
        serialize_keras_object(lambda x: x)
    with pytest.raises(TypeError, match="cannot save"):
        serialize_keras_object(object())
    assert serialize_keras_object(np.float32(0.5)) == pytest.approx(0.5)
