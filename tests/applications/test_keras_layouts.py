"""Every application against Keras 3: parameter counts, layers, and weight-file paths.

``KERAS_COUNTS`` are Keras 3.15.1's ``model.count_params()`` with and without the top
(``weights=None``, the default input shape), computed once with the real Keras
(``/opt/kerasvenv``) by ``tests/fixtures/make_keras_applications_fixture.py``; the keys
name the builder and, after an underscore, arguments that change the architecture. The
same script recorded each model's layers (name, class, weight shapes) and the path of
every weight in a Keras 3 ``.weights.h5`` file in ``keras_applications.json.gz``, so this
test needs no Keras.

Building cost: all these models together hold about 1.6 billion parameters, which take
minutes to initialize here; the :func:`shapes_only` fixture gives every weight a zero
view without memory, so each model builds in a fraction of a second (the count, layers
and paths depend on shapes alone). ``test_keras_outputs.py`` builds a member of each
family with real weights and compares its outputs with Keras's. Counts are taken at a
small input (they do not depend on it), except for VGG's flattening top and NASNet,
whose cells adjust to the input's size.
"""

from __future__ import annotations

import re

import pytest

import deepgrad as dg
from deepgrad import applications as apps
from deepgrad.saving.weight_paths import keras_snake_case, weight_entries

from application_reference import keras_reference

KERAS_COUNTS = {
    "MobileNet": (4_253_864, 3_228_864),
    "MobileNetV2": (3_538_984, 2_257_984),
    "MobileNetV3Small": (2_554_968, 939_120),
    "MobileNetV3Large": (5_507_432, 2_996_352),
    "ResNet50": (25_636_712, 23_587_712),
    "ResNet101": (44_707_176, 42_658_176),
    "ResNet152": (60_419_944, 58_370_944),
    "ResNet50V2": (25_613_800, 23_564_800),
    "ResNet101V2": (44_675_560, 42_626_560),
    "ResNet152V2": (60_380_648, 58_331_648),
    "InceptionV3": (23_851_784, 21_802_784),
    "InceptionResNetV2": (55_873_736, 54_336_736),
    "DenseNet121": (8_062_504, 7_037_504),
    "DenseNet169": (14_307_880, 12_642_880),
    "DenseNet201": (20_242_984, 18_321_984),
    "EfficientNetB0": (5_330_571, 4_049_571),
    "EfficientNetB1": (7_856_239, 6_575_239),
    "EfficientNetB2": (9_177_569, 7_768_569),
    "EfficientNetB3": (12_320_535, 10_783_535),
    "EfficientNetB4": (19_466_823, 17_673_823),
    "EfficientNetB5": (30_562_527, 28_513_527),
    "EfficientNetB6": (43_265_143, 40_960_143),
    "EfficientNetB7": (66_658_687, 64_097_687),
    "EfficientNetV2B0": (7_200_312, 5_919_312),
    "EfficientNetV2B1": (8_212_124, 6_931_124),
    "EfficientNetV2B2": (10_178_374, 8_769_374),
    "EfficientNetV2B3": (14_467_622, 12_930_622),
    "EfficientNetV2S": (21_612_360, 20_331_360),
    "EfficientNetV2M": (54_431_388, 53_150_388),
    "EfficientNetV2L": (119_027_848, 117_746_848),
    "ConvNeXtTiny": (28_589_128, 27_820_128),
    "ConvNeXtSmall": (50_223_688, 49_454_688),
    "ConvNeXtBase": (88_591_464, 87_566_464),
    "ConvNeXtLarge": (197_767_336, 196_230_336),
    "ConvNeXtXLarge": (350_196_968, 348_147_968),
    "NASNetMobile": (5_326_716, 4_269_716),
    "NASNetLarge": (88_949_818, 84_887_922),
    "Xception": (22_910_480, 20_861_480),
    "VGG16": (138_357_544, 14_714_688),
    "VGG19": (143_667_240, 20_024_384),
    "MobileNet_alpha0.5_dm2": (2_159_672, 1_646_672),
    "MobileNetV2_alpha1.4": (6_156_712, 4_363_712),
    "MobileNetV3Small_minimalistic": (2_056_848, 441_000),
    "MobileNetV3Large_alpha0.75_nopre": (4_012_616, 1_808_736),
    "EfficientNetV2B0_nopre": (7_200_312, 5_919_312),
    "ConvNeXtTiny_nopre": (28_589_128, 27_820_128),
}
# Without the top, counted for these only (each model's top is counted above).
NOTOP_CHECKED = ("MobileNet", "MobileNetV3Small", "ResNet152V2", "InceptionResNetV2",
                 "DenseNet121", "EfficientNetB3", "EfficientNetV2S", "ConvNeXtTiny",
                 "NASNetLarge", "Xception")


def _build(key: str, **kwargs):
    """Keras's builder for ``key`` with the fixture's arguments, at a small input."""
    entry = keras_reference()["models"][key]
    builder = getattr(apps, entry["builder"])
    if not key.startswith(("VGG", "NASNet")):
        size = 75 if key.startswith("Inception") else 71 if key == "Xception" else 32
        kwargs.setdefault("input_shape", (size, size, 3))
    dg.layers.clear_session()  # automatic names from zero, as the fixture's
    return builder(weights=None, **entry["kwargs"], **kwargs)


def test_the_fixture_holds_the_counts_written_here():
    stored = {key: (e["count_top"], e["count_notop"])
              for key, e in keras_reference()["models"].items()}
    assert stored == KERAS_COUNTS


@pytest.mark.parametrize("key", list(KERAS_COUNTS))
def test_parameter_count_is_keras_s(key, shapes_only):
    assert _build(key).count_params() == KERAS_COUNTS[key][0]
    if key in NOTOP_CHECKED:
        assert _build(key, include_top=False).count_params() == KERAS_COUNTS[key][1]


# -- layers and weight paths ----------------------------------------------------------------
def _is_automatic(name: str, class_name: str) -> bool:
    return re.fullmatch(f"{keras_snake_case(class_name)}(_[0-9]+)?", name) is not None


def _keras_layers(key: str) -> list:
    """The fixture's layers: automatic names (numbered in creation order) as ``<auto>``."""
    return [("<auto>" if _is_automatic(name, cls) else name, cls,
             [tuple(shape) for _, shape in weights])
            for name, cls, weights in keras_reference()["models"][key]["layers"]]


def _our_layers(key: str, model) -> list:
    """deepgrad's layers, with the documented differences from Keras's list undone:
    MobileNetV3's ``Activation("hard_sigmoid")`` stands where Keras has ``ReLU`` (between
    two symbolic operations), and ConvNeXt adds a block's input with an ``Add`` layer
    where Keras uses the ``+`` operation (see the modules' docstrings)."""
    found = []
    for layer in model.layers:
        cls = type(layer).__name__
        if getattr(getattr(layer, "activation", None), "__name__", "") == "hard_sigmoid":
            cls = "ReLU"
        elif key.startswith("ConvNeXt") and cls == "Add":
            continue
        name = "<auto>" if _is_automatic(layer.name, type(layer).__name__) else layer.name
        found.append((name, cls, [tuple(w.shape) for w in layer.weights]))
    return found


@pytest.mark.parametrize("key", list(KERAS_COUNTS))
def test_layers_and_weight_paths_are_keras_s(key, shapes_only):
    entry = keras_reference()["models"][key]
    model = _build(key, input_shape=tuple(entry["input_shape"]))
    assert model.name == entry["name"]
    ours, theirs = _our_layers(key, model), _keras_layers(key)
    assert len(ours) == len(theirs)
    for i, (mine, keras) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == keras, f"layer {i}"
    paths = {e.key: tuple(e.variable.shape) for e in weight_entries(model)}
    assert paths == {path: tuple(shape) for path, shape in entry["paths"]}
