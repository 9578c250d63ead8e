"""The builders need the convolution layers; until they are exported, skip with the reason."""

import pytest

import deepgrad as dg

_NEEDED = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D",
           "GlobalAveragePooling2D", "GlobalMaxPooling2D", "BatchNormalization", "ReLU")
_MISSING = [name for name in _NEEDED if not hasattr(dg.layers, name)]


def pytest_collection_modifyitems(config, items):
    if not _MISSING:
        return
    here = __file__.rsplit("/", 1)[0]
    skip = pytest.mark.skip(reason=f"dg.layers lacks {', '.join(_MISSING)} (not landed yet)")
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(skip)
