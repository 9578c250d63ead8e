"""``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE), Keras 3's layer.

Each image is cut into a grid of tiles; each tile's histogram (256 levels per channel) is
clipped at ``clip_limit`` times its mean count, the excess spread evenly over the levels,
and its cumulative distribution becomes that tile's tone map. A pixel's new value
interpolates bilinearly between the maps of the four tiles whose centres surround it, so
no tile edges show. Unlike the random augmentation layers it runs at inference too.

>>> import numpy as np
>>> layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
>>> image = np.tile(np.linspace(100, 140, 16, dtype="float32"), (16, 1))[None, ..., None]
>>> out = layer(image).data
>>> float(out.min()) < 100 and float(out.max()) > 140    # the contrast is stretched
True
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.augmentation import _image_batch, _images_out, _value_range, _who
from deepgrad.layers.augmentation_color import to_range
from deepgrad.layers.base import Layer
from deepgrad.layers.conv import int_tuple
from deepgrad.layers.data_format import standardize_data_format

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization", "clahe"]

_LEVELS = 256


def _tone_maps(pixels: np.ndarray, grid: tuple[int, int], tile: tuple[int, int],
               clip_limit: float) -> np.ndarray:
    """Each tile's clipped, normalised cumulative histogram: ``(n, gh, gw, c, 256)``."""
    n, _, _, c = pixels.shape
    (gh, gw), (th, tw) = grid, tile
    tiles = pixels.reshape(n, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4)
    tiles = tiles.reshape(-1, th * tw)
    offsets = (np.arange(tiles.shape[0]) * _LEVELS)[:, None]
    hists = np.bincount((tiles + offsets).ravel(), minlength=tiles.shape[0] * _LEVELS)
    hists = hists.reshape(n, gh, gw, c, _LEVELS).astype(np.float32)
    if clip_limit > 0:
        clipped = np.minimum(hists, np.float32(clip_limit * th * tw / _LEVELS))
        hists = clipped + (hists - clipped).sum(-1, keepdims=True) / np.float32(_LEVELS)
    cdf = np.cumsum(hists, axis=-1, dtype=np.float32)
    low = cdf.min(axis=-1, keepdims=True)
    span = np.float32(th * tw) - low
    span = np.where(span == 0, np.float32(1), span)
    return np.clip((cdf - low) * np.float32(255) / span, 0, 255)


def _corners(length: int, tile: int, tiles: int):
    """For each pixel row (or column): the two neighbouring tile indices in the map grid
    padded by one tile on each side, and the weight of the second."""
    position = (np.arange(length, dtype=np.float32) - np.float32(tile / 2)) / np.float32(tile)
    position += np.float32(1)
    first = np.floor(position)
    weight = position - first
    low = np.clip(first, 0, tiles + 1).astype(np.intp)
    high = np.clip(first + 1, 0, tiles + 1).astype(np.intp)
    return low, high, weight


def clahe(images: np.ndarray, clip_limit: float = 4.0, tile_grid_size=(8, 8)) -> np.ndarray:
    """CLAHE of an NHWC float batch with values in 0..255 (float32 out, Keras's arithmetic).

    >>> clahe(np.full((1, 5, 6, 3), 7.0, "float32"), tile_grid_size=(2, 2)).shape
    (1, 5, 6, 3)
    """
    n, h, w, c = images.shape
    gh, gw = tile_grid_size
    th, tw = -(-h // gh), -(-w // gw)
    pad = ((0, 0), (0, th * gh - h), (0, tw * gw - w), (0, 0))
    padded = np.pad(images, pad, mode="symmetric") if th * gh > h or tw * gw > w else images
    pixels = np.clip(padded.astype(np.int32), 0, _LEVELS - 1)
    maps = _tone_maps(pixels, (gh, gw), (th, tw), clip_limit)
    maps = np.pad(maps, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")
    y0, y1, wy = _corners(th * gh, th, gh)
    x0, x1, wx = _corners(tw * gw, tw, gw)
    b = np.arange(n)[:, None, None, None]
    ch = np.arange(c)[None, None, None, :]
    ys, xs = (y0[None, :, None, None], y1[None, :, None, None]), (x0[None, None, :, None],
                                                                  x1[None, None, :, None])
    nw, ne = maps[b, ys[0], xs[0], ch, pixels], maps[b, ys[0], xs[1], ch, pixels]
    sw, se = maps[b, ys[1], xs[0], ch, pixels], maps[b, ys[1], xs[1], ch, pixels]
    wx, wy = wx[None, None, :, None], wy[None, :, None, None]
    top = nw * (1 - wx) + ne * wx
    bottom = sw * (1 - wx) + se * wx
    return (top * (1 - wy) + bottom * wy)[:, :h, :w, :]


class ContrastLimitedAdaptiveHistogramEqualization(Layer):
    """Contrast-limited adaptive histogram equalisation of images, as Keras 3's layer.

    Args:
        value_range: ``(low, high)`` of the pixel values (default ``(0, 255)``); they are
            mapped to 0..255 for the 256-level histograms and back.
        clip_limit: how many times a tile's mean count a level may hold before the excess
            is spread over all levels (default 4.0; 0 turns clipping off).
        tile_grid_size: ``(rows, cols)`` of tiles (default ``(8, 8)``).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input: ``(batch, height, width, channels)`` or one image; the output has its shape and
    dtype (integers are truncated back, as Keras casts them). Not differentiable.
    """

    _casts_integer_inputs = False  # integer images come back integer, as in Keras

    def __init__(self, value_range=(0, 255), clip_limit: float = 4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(self, value_range)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, (int, float)) or (
                clip_limit < 0):
            raise ValueError(f"{_who(self)}: `clip_limit` must be a number >= 0. Received: "
                             f"clip_limit={clip_limit!r}")
        self.clip_limit = float(clip_limit)
        self.tile_grid_size = int_tuple(_who(self), "tile_grid_size", tile_grid_size, 2)
        self.data_format = standardize_data_format(_who(self), data_format)

    def call(self, inputs):
        images, single = _image_batch(self, inputs)
        dtype = images.dtype
        scaled = to_range(images.astype(np.float32), self.value_range, (0, 255))
        out = to_range(clahe(scaled, self.clip_limit, self.tile_grid_size), (0, 255),
                       self.value_range)
        return _images_out(self, out.astype(dtype), single)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "value_range": list(self.value_range),
                "clip_limit": self.clip_limit, "tile_grid_size": list(self.tile_grid_size),
                "data_format": self.data_format}
