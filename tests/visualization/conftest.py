"""The figures render with matplotlib's Agg backend (no display); each test closes its own.

The fixture ``assert_drawn`` checks a figure: rendered as a PNG, it has the figure's size
and is not blank.
"""

import io

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is the 'plot' extra; CI "
                                 "installs it with the 'test' extra")
matplotlib.use("Agg")


def rendered(fig, dpi=50):
    """The figure as a PNG, read back: ``(pixels, (width, height))``; the figure is closed."""
    import matplotlib.pyplot as plt
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    picture = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return np.asarray(picture), picture.size


def assert_drawn(fig, min_colors=3, dpi=50):
    """The PNG has the figure's size in pixels and is not blank (several colours, and
    plenty of pixels away from the background)."""
    width, height = fig.get_size_inches() * dpi
    pixels, size = rendered(fig, dpi)
    assert abs(size[0] - width) <= 2 and abs(size[1] - height) <= 2, (size, width, height)
    colors = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colors) >= min_colors, len(colors)
    background = pixels[0, 0]
    assert (np.abs(pixels.astype(int) - background).sum(-1) > 30).mean() > 0.01
    return pixels


@pytest.fixture(name="assert_drawn")
def assert_drawn_fixture():
    return assert_drawn
