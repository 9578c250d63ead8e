"""The figures render with matplotlib's Agg backend (no display); each test closes its own."""

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is the 'plot' extra; CI "
                                 "installs it with the 'test' extra")
matplotlib.use("Agg")
