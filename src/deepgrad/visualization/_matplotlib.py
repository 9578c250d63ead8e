"""The one place the pictures import matplotlib, and how a finished figure is saved.

matplotlib is the optional extra ``deepgrad[plot]``; without it, every function that
draws a figure fails with an error naming the extra. ``draw_bounding_boxes`` and
``draw_segmentation_masks`` return arrays and need only NumPy and Pillow.
"""

from __future__ import annotations

import math

import numpy as np

_INSTALL = ("{who} needs matplotlib, which is the optional extra 'plot'. To fix, run: "
            "pip install 'deepgrad[plot]' (or: pip install matplotlib).")


def pyplot(who: str):
    """matplotlib's ``pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(_INSTALL.format(who=who)) from None
    return plt


def grid(n: int, cols: int | None) -> tuple[int, int]:
    """Rows and columns for ``n`` panels, at most ``cols`` per row (a square by default)."""
    cols = max(1, min(n, cols or math.ceil(math.sqrt(n))))
    return math.ceil(n / cols), cols


def finish(plt, fig, path=None, show: bool = False, **savefig_kwargs):
    """Save the figure to ``path`` (then close it) and/or show it; return the figure.

    A saved figure is closed so that scripts drawing many pictures do not keep them all
    open; the returned figure can still be saved again with ``fig.savefig``.
    """
    if path is not None:
        fig.savefig(path, **savefig_kwargs)
        plt.close(fig)
    elif show:
        plt.show()
    return fig


def to_display(image: np.ndarray) -> tuple[np.ndarray, str | None]:
    """An ``(H, W, C)`` image as ``imshow`` wants it: 2-D with a grey colour map for one
    channel, RGB(A) as it is."""
    if image.ndim == 3 and image.shape[-1] == 1:
        return image[..., 0], "gray"
    return image, ("gray" if image.ndim == 2 else None)


def model_name(model) -> str:
    return f"{type(model).__name__} {getattr(model, 'name', '')!r}".rstrip(" '")
