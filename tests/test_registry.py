"""One way to resolve names for every module (``registry.Catalog``): the same lookup order
(custom objects, scopes, registered objects, then the module's own table), the same
error listing the valid names, the same serialize/deserialize."""

import pytest

import deepgrad as dg
from deepgrad import activations, initializers, losses, metrics, optimizers, registry, regularizers
from deepgrad.optimizers import schedules

MODULES = {
    "activations": (activations, "activation", "relu"),
    "initializers": (initializers, "initializer", "he_normal"),
    "regularizers": (regularizers, "regularizer", "l2"),
    "losses": (losses, "loss", "mse"),
    "metrics": (metrics, "metric", "mse"),
    "optimizers": (optimizers, "optimizer", "adam"),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_unknown_names_list_the_valid_ones_in_one_form(name):
    module, kind, valid = MODULES[name]
    with pytest.raises(ValueError, match=rf"^Unknown {kind}: 'nope'\. Valid names[^:]*: .*"
                                         rf"\b{valid}\b.*\.$"):
        module.get("nope")


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"activations"}))
def test_malformed_configs_fail_in_one_form(name):
    module = MODULES[name][0]
    with pytest.raises(ValueError, match=rf"^{name}\.deserialize: expected a dict with "
                                         "'class_name' and 'config'"):
        module.deserialize({"config": {}})


def test_schedules_share_the_form():
    with pytest.raises(ValueError, match=r"^Unknown learning rate schedule: 'Nope'\. Valid "
                                         r"names: CosineDecay, CosineDecayRestarts, "):
        schedules.deserialize({"class_name": "Nope", "config": {}})


@dg.saving.register_keras_serializable(package="RegistryTest")
class ScaledMSE(dg.losses.Loss):
    def __init__(self, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, y_true, y_pred):
        return dg.losses.mean_squared_error(y_true, y_pred) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@dg.saving.register_keras_serializable(package="RegistryTest")
class Hits(dg.metrics.Mean):
    pass


@dg.saving.register_keras_serializable(package="RegistryTest")
class Slow(dg.optimizers.SGD):
    pass


@dg.saving.register_keras_serializable(package="RegistryTest")
class Flat(schedules.LearningRateSchedule):
    def __init__(self, rate=0.1):
        self.rate = rate

    def __call__(self, step):
        return self.rate

    def get_config(self):
        return {"rate": self.rate}


@pytest.mark.parametrize("module, obj", [
    (losses, ScaledMSE(scale=3.0)), (metrics, Hits(name="hits")),
    (optimizers, Slow(learning_rate=0.5)), (schedules, Flat(0.25)),
])
def test_registered_classes_round_trip_by_their_registered_name(module, obj):
    config = module.serialize(obj)
    assert config["class_name"] == f"RegistryTest>{type(obj).__name__}"
    clone = module.deserialize(config)
    assert type(clone) is type(obj)
    assert clone.get_config() == obj.get_config()


def test_custom_objects_resolve_unregistered_classes():
    class Twice(dg.initializers.Constant):
        pass

    config = initializers.serialize(Twice(2.0))
    assert config == {"class_name": "Twice", "config": {"value": 2.0}}
    with pytest.raises(ValueError, match="Unknown initializer: 'Twice'"):
        initializers.deserialize(config)
    assert type(initializers.deserialize(config, custom_objects={"Twice": Twice})) is Twice
    with dg.saving.custom_object_scope({"Twice": Twice}):
        assert type(initializers.get(config)) is Twice


def test_registered_names_resolve_in_get():
    assert type(losses.get("RegistryTest>ScaledMSE")) is ScaledMSE
    assert type(metrics.get("RegistryTest>Hits")) is Hits
    assert type(optimizers.get("RegistryTest>Slow")) is Slow


def test_function_wrappers_cannot_be_saved_by_name_but_subclasses_can():
    with pytest.raises(TypeError, match="a LossFunctionWrapper holds a Python function"):
        losses.serialize(losses.LossFunctionWrapper(losses.mse))
    with pytest.raises(TypeError, match="a MeanMetricWrapper holds a Python function"):
        metrics.serialize(metrics.MeanMetricWrapper(abs))
    # built-in classes are subclasses of the wrappers and pass their own function
    assert losses.serialize(losses.MeanSquaredError())["class_name"] == "MeanSquaredError"
    assert metrics.serialize(metrics.MeanSquaredError())["class_name"] == "MeanSquaredError"


def test_a_catalog_matches_case_insensitively_only_when_asked():
    table = {"adam": "the adam"}
    assert registry.Catalog("o", "optimizer", str, table, casefold=True).find("ADAM") == "the adam"
    assert registry.Catalog("o", "optimizer", str, table).find("ADAM") is None
