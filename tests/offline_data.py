"""Data the tests read from this machine: Debian packages that ``.ci/run`` installs.

Tests never download. A test that needs one of these folders is marked with the matching
``needs_...`` marker, so that it skips with the install command as its reason on a
machine without the package (CI has it, so nothing skips there).
"""

from pathlib import Path

import pytest

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

needs_fashion_mnist = pytest.mark.skipif(
    not (FASHION_MNIST / "train-images-idx3-ubyte.gz").exists(),
    reason="needs Debian's dataset-fashion-mnist in /usr/share/datasets "
    "(sudo apt-get install dataset-fashion-mnist; .ci/run installs it)",
)

FORTUNES = Path("/usr/share/games/fortunes")

needs_fortunes = pytest.mark.skipif(
    not (FORTUNES / "fortunes").exists(),
    reason="needs Debian's fortunes text in /usr/share/games/fortunes "
    "(sudo apt-get install fortunes; .ci/run installs it)",
)
