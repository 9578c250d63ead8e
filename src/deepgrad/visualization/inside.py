"""Looking inside a CNN: ``plot_filters`` (a conv layer's kernels) and ``plot_feature_maps``
(what one layer outputs for one image).

Example (it needs matplotlib, so the tests run it, not the doctests)::

    dg.visualization.plot_filters(model.get_layer("conv2d"), path="filters.png")
    dg.visualization.plot_feature_maps(model, "conv2d", x_test[0], path="maps.png")
"""

from __future__ import annotations

import numpy as np

from deepgrad.visualization._matplotlib import finish, grid, model_name, pyplot

__all__ = ["plot_feature_maps", "plot_filters"]


def _panels(plt, images: list[np.ndarray], titles: list[str], cols, scale, cmap, title):
    rows, cols = grid(len(images), cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * scale, rows * scale + 0.4),
                             squeeze=False, layout="constrained")
    for axis in axes.flat:
        axis.axis("off")
    for axis, image, text in zip(axes.flat, images, titles):
        axis.imshow(image, cmap=None if image.ndim == 3 else cmap, interpolation="nearest")
        axis.set_title(text, fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def _normalise(array: np.ndarray) -> np.ndarray:
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


def plot_filters(layer, *, channel: int | None = None, cols: int | None = 8,
                 scale: float = 1.0, cmap: str = "gray", path=None, show: bool = False):
    """Draw each filter of a 2-D convolution, one small picture per output channel.

    With 3 input channels (an RGB layer) each filter is drawn in colour; otherwise input
    channel ``channel`` (0 by default) of each filter is drawn in grey. Each picture is
    scaled to its own minimum and maximum.

    Args:
        layer: a built layer with a ``(height, width, in, out)`` kernel (Conv2D,
            Conv2DTranspose's kernel is ``(h, w, out, in)`` and is drawn as stored), or
            such a kernel as an array.
        channel: the input channel to draw; ``None`` draws RGB filters in colour.
        cols: pictures per row.
        scale: inches per picture.
        cmap: the colour map of grey pictures.
        path: save the figure there (and close it).
        show: ``plt.show()`` the figure.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: a layer without a rank-4 kernel, or a channel out of range.
    """
    who = "plot_filters"
    kernel = getattr(layer, "kernel", layer)
    kernel = np.asarray(kernel.numpy() if hasattr(kernel, "numpy") else kernel)
    name = getattr(layer, "name", "kernel")
    if kernel.ndim != 4:
        raise ValueError(f"{who}: expected a conv layer with a (height, width, in, out) kernel. "
                         f"Received: {name!r} with kernel shape {kernel.shape}")
    cin = kernel.shape[2]
    if channel is not None and not 0 <= channel < cin:
        raise ValueError(f"{who}: `channel` must be in [0, {cin}). Received: channel={channel}")
    plt = pyplot(who)
    colour = channel is None and cin == 3
    index = 0 if channel is None else channel
    images = [_normalise(kernel[:, :, :, k]) if colour else _normalise(kernel[:, :, index, k])
              for k in range(kernel.shape[3])]
    titles = [str(k) for k in range(len(images))]
    what = "RGB" if colour else f"input channel {index}"
    fig = _panels(plt, images, titles, cols, scale, cmap,
                  f"{name}: {len(images)} filters {kernel.shape[0]}x{kernel.shape[1]} ({what})")
    return finish(plt, fig, path, show)


def plot_feature_maps(model, layer_name: str, image, *, max_maps: int | None = 64,
                      cols: int | None = 8, scale: float = 1.2, cmap: str = "viridis",
                      path=None, show: bool = False):
    """Draw the channels that layer ``layer_name`` of ``model`` outputs for one image.

    Args:
        model: a built Sequential or functional model.
        layer_name: the layer to look at (its output must be ``(batch, h, w, channels)``).
        image: one input ``(height, width, channels)`` (or a batch of one).
        max_maps: draw at most this many channels (all with ``None``).
        cols: pictures per row.
        scale: inches per picture.
        cmap: the colour map.
        path: save the figure there (and close it).
        show: ``plt.show()`` the figure.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: an unknown layer name, or a layer whose output is not an image.
    """
    from deepgrad.models import Model

    who = "plot_feature_maps"
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"{who}: {model_name(model)} has no layer {layer_name!r}. "
                         f"Its layers: {names}")
    layer = model.get_layer(layer_name)
    batch = np.asarray(image, dtype=np.float32)
    if batch.ndim == len(model.inputs[0].shape) - 1:
        batch = batch[None]
    probe = Model(inputs=model.inputs, outputs=layer.output)
    maps = np.asarray(probe.predict(batch, verbose=0))
    if maps.ndim != 4:
        raise ValueError(f"{who}: layer {layer_name!r} outputs shape {maps.shape[1:]}; "
                         f"expected (height, width, channels). Pick a conv or pooling layer.")
    plt = pyplot(who)
    count = maps.shape[-1] if max_maps is None else min(max_maps, maps.shape[-1])
    images = [maps[0, :, :, k] for k in range(count)]
    titles = [str(k) for k in range(count)]
    fig = _panels(plt, images, titles, cols, scale, cmap,
                  f"{layer_name}: {count} of {maps.shape[-1]} feature maps "
                  f"{maps.shape[1]}x{maps.shape[2]}")
    return finish(plt, fig, path, show)
