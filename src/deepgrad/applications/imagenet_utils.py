"""Shared parts of the application builders: input shapes, weights files, preprocessing.

The rules follow ``keras.applications.imagenet_utils``: the same input-shape checks and
messages, the same ``preprocess_input`` modes, the same weights file names. What differs
is that nothing is downloaded: ``weights="imagenet"`` looks for the file Keras publishes
in a local cache (see :func:`weights_search_dirs`) and, when it is absent, fails with a
message saying which file to put where (:mod:`deepgrad.applications.weights` reads it).

>>> obtain_input_shape(None, default_size=224, min_size=32, require_flatten=False)
(None, None, 3)
>>> preprocess_input(np.full((1, 1, 3), 127.5), mode="tf")
array([[[0., 0., 0.]]])
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from deepgrad import activations
from deepgrad.layers.input_layer import Input, InputLayer
from deepgrad.layers.keras_tensor import KerasTensor

__all__ = [
    "obtain_input_shape",
    "correct_pad",
    "validate_activation",
    "preprocess_input",
    "weights_search_dirs",
    "find_weights_file",
    "WeightsNotFoundError",
]

ENV_VAR = "DEEPGRAD_DATA"
KERAS_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
_CAFFE_MEAN = (103.939, 116.779, 123.68)  # ImageNet's mean pixel, in BGR order
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


class WeightsNotFoundError(FileNotFoundError):
    """``weights="imagenet"`` was asked for, and the weights file is not in any cache folder."""


def obtain_input_shape(
    input_shape,
    default_size: int,
    min_size: int,
    data_format: str = "channels_last",
    require_flatten: bool = True,
    weights=None,
) -> tuple:
    """Compute and check a model's input shape ``(rows, cols, channels)``, as Keras does.

    Args:
        input_shape: the shape the user gave, or None for the default.
        default_size: the default rows and columns (224; 299 for Xception).
        min_size: the smallest rows and columns the network accepts.
        data_format: only ``"channels_last"`` is supported.
        require_flatten: True when the classifier is included; the shape must then be static.
        weights: ``"imagenet"`` forces 3 channels (and the default size with the top).

    Returns:
        A tuple of 3 entries, ints or None.

    Raises:
        ValueError: for shapes of the wrong length, too small, or not matching the
            pretrained weights.

    >>> obtain_input_shape((180, 180, 3), 224, 32, require_flatten=False)
    (180, 180, 3)
    >>> obtain_input_shape((16, 16, 3), 224, 32, require_flatten=False)
    Traceback (most recent call last):
    ...
    ValueError: Input size must be at least 32x32; Received: input_shape=(16, 16, 3)
    """
    if data_format != "channels_last":
        raise ValueError(
            "deepgrad applications support only data_format='channels_last' (images as "
            f"(batch, rows, cols, channels)). Received: data_format={data_format!r}"
        )
    if input_shape is not None:
        try:
            input_shape = tuple(None if s is None else int(s) for s in input_shape)
        except TypeError:
            raise TypeError(
                f"`input_shape` must be a tuple of three integers. Received: {input_shape!r}"
            ) from None
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if input_shape[-1] not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed "
                f"an input_shape with {input_shape[-1]} input channels.",
                stacklevel=3,
            )
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(
                "`input_shape` must be a tuple of three integers (rows, cols, channels). "
                f"Received: input_shape={input_shape}"
            )
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels; Received `input_shape={input_shape}`"
            )
        if any(s is not None and s < min_size for s in input_shape[:2]):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; "
                f"Received: input_shape={input_shape}"
            )
    else:
        input_shape = default_shape if require_flatten else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs: KerasTensor, kernel_size) -> tuple:
    """Zero padding ``((top, bottom), (left, right))`` for a strided 'valid' convolution.

    It matches TensorFlow's 'same' padding for stride 2 (one more row and column at the
    end than at the start when the size is even).

    >>> correct_pad(KerasTensor((None, 112, 112, 32)), 3)
    ((0, 1), (0, 1))
    """
    rows, cols = inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights) -> None:
    """Pretrained classifiers allow only ``"softmax"`` or ``None`` (logits), as in Keras.

    >>> validate_activation("relu", weights=None)
    >>> validate_activation("relu", weights="imagenet")
    Traceback (most recent call last):
    ...
    ValueError: Only `None` and `softmax` activations are allowed for the \
`classifier_activation` argument when using pretrained weights, with `include_top=True`; \
Received: classifier_activation=relu
    """
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`; Received: classifier_activation={classifier_activation}"
        )


def check_common_args(
    who: str, weights, include_top: bool, classes: int, pooling, classifier_activation
) -> None:
    """The argument checks every ImageNet builder starts with (Keras's messages).

    They all run before any layer is built, so a mistake costs no weight allocation.
    """
    is_path = isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)
    if not (weights in {"imagenet", None} or is_path):
        raise ValueError(
            f"{who}: the `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            f"{who}: if using `weights='imagenet'` with `include_top=True`, `classes` should "
            f"be 1000.  Received classes={classes}"
        )
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 1:
        raise ValueError(f"{who}: `classes` must be a positive int. Received: classes={classes!r}")
    if pooling not in {None, "avg", "max"}:
        raise ValueError(
            f"{who}: `pooling` must be None, 'avg' or 'max'. Received: pooling={pooling!r}"
        )
    if include_top:
        validate_activation(classifier_activation, weights)


def image_input(who: str, input_tensor, input_shape: tuple) -> tuple:
    """Return ``(img_input, model_inputs)``: a new ``dg.Input`` or the given KerasTensor.

    With ``input_tensor`` the model's inputs are the ``dg.Input`` tensors it was made from,
    so layers applied before it stay part of the model (Keras's ``get_source_inputs``).
    """
    if input_tensor is None:
        img_input = Input(shape=input_shape)
        return img_input, img_input
    if not isinstance(input_tensor, KerasTensor):
        raise TypeError(
            f"{who}: `input_tensor` must be a KerasTensor made with dg.Input() (or a layer "
            f"call on one). Received: {type(input_tensor).__name__}"
        )
    if len(input_tensor.shape) != 4:
        raise ValueError(
            f"{who}: `input_tensor` must be a batch of images (batch, rows, cols, channels). "
            f"Received shape: {input_tensor.shape}"
        )
    return input_tensor, _source_inputs(input_tensor)


def _source_inputs(tensor: KerasTensor):
    found, seen, stack = [], set(), [tensor]
    while stack:
        current = stack.pop()
        node = current.history[0]
        if isinstance(node.layer, InputLayer):
            if id(current) not in seen:
                seen.add(id(current))
                found.append(current)
            continue
        stack.extend(reversed(node.input_tensors()))
    return found[0] if len(found) == 1 else found


def top_or_pooling(x, include_top: bool, pooling, classes: int, classifier_activation,
                   *, top_name=None, avg_name=None, max_name=None):
    """The end of the ResNet/Xception/MobileNetV2 family: classifier or global pooling.

    ``top_name`` names the classifier's average pooling, ``avg_name`` and ``max_name`` the
    pooling of ``pooling="avg"``/``"max"`` (None gives Keras's automatic names).
    """
    from deepgrad import layers

    if include_top:
        x = layers.GlobalAveragePooling2D(name=top_name)(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


# -- weights files ------------------------------------------------------------------------
def weights_search_dirs() -> list[Path]:
    """The folders searched for pretrained weights files, in order.

    1. ``$DEEPGRAD_DATA/models`` (when the variable is set),
    2. ``~/.cache/deepgrad/models``,
    3. ``~/.keras/models`` (where Keras keeps the files it downloaded).

    >>> weights_search_dirs()[-2].parts[-3:]
    ('.cache', 'deepgrad', 'models')
    """
    dirs = []
    env = os.environ.get(ENV_VAR, "")
    if env:
        dirs.append(Path(env).expanduser() / "models")
    dirs.append(Path("~/.cache/deepgrad/models").expanduser())
    dirs.append(Path("~/.keras/models").expanduser())
    return dirs


def find_weights_file(who: str, filename: str, url: str) -> Path:
    """Return the path of a pretrained weights file found in :func:`weights_search_dirs`.

    Raises:
        WeightsNotFoundError: naming the file, where to get it and where to put it.

    >>> find_weights_file("VGG16", "no_such_file.h5", "https://example.org/no_such_file.h5")
    Traceback (most recent call last):
    ...
    deepgrad.applications.imagenet_utils.WeightsNotFoundError: VGG16: weights='imagenet' ...
    """
    dirs = weights_search_dirs()
    for folder in dirs:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in dirs)
    raise WeightsNotFoundError(
        f"{who}: weights='imagenet' needs the file {filename}, which was not found (searched: "
        f"{searched}). deepgrad does not download weights at run time. To fix, download it "
        f"from {url} and put it into {dirs[-2]}/ (or into ${ENV_VAR}/models/); or pass "
        "weights=None for random initialization, or weights=<path to a weights file>."
    )


def resolve_weights(who: str, weights, filename: str, url: str):
    """The file to load: the cached ImageNet file, the given path, or None (random weights).

    Builders call it before building any layer, so a missing file fails at once.
    """
    if weights == "imagenet":
        return find_weights_file(who, filename, url)
    return weights


def resolve_keras_weights(who: str, weights, include_top: bool, folder: str):
    """:func:`resolve_weights` for Keras's ``<who>_weights_tf_dim_ordering_tf_kernels`` files.

    ``folder`` is the file's folder under Keras's download address; without the top the
    file name ends in ``_notop.h5``.
    """
    stem = f"{who.lower()}_weights_tf_dim_ordering_tf_kernels"
    filename = f"{stem}.h5" if include_top else f"{stem}_notop.h5"
    return resolve_weights(who, weights, filename, f"{KERAS_BASE_URL}{folder}/{filename}")


# -- preprocessing ------------------------------------------------------------------------
def preprocess_input(x, data_format: str | None = None, mode: str = "caffe") -> np.ndarray:
    """Preprocess a batch of RGB images with values in ``[0, 255]`` for an ImageNet model.

    Args:
        x: an array of images, 3D ``(rows, cols, 3)`` or 4D ``(batch, rows, cols, 3)``.
        data_format: ``None`` or ``"channels_last"`` (the only layout deepgrad uses).
        mode: ``"caffe"`` (RGB to BGR, then subtract ImageNet's mean pixel; VGG, ResNet),
            ``"tf"`` (scale to ``[-1, 1]``; MobileNetV2, Xception) or ``"torch"`` (scale to
            ``[0, 1]``, then normalize each channel by ImageNet's mean and std).

    Returns:
        A new float array (float32 unless ``x`` is already a float array).

    Raises:
        ValueError: for an unknown ``mode`` or ``data_format``, or images without 3 channels
            in caffe or torch mode.

    >>> preprocess_input(np.array([[[255, 0, 0]]], dtype="uint8"))
    array([[[-103.939, -116.779,  131.32 ]]], dtype=float32)
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    if data_format not in {None, "channels_last"}:
        raise ValueError(
            "deepgrad applications support only data_format='channels_last'. "
            f"Received: data_format={data_format}"
        )
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype("float32")
    x = x.astype(dtype)  # always a copy: the caller's array is never changed
    if mode == "tf":
        x /= dtype.type(127.5)
        x -= dtype.type(1.0)
        return x
    if x.ndim == 0 or x.shape[-1] != 3:
        raise ValueError(
            f"preprocess_input(mode={mode!r}) expects RGB images with 3 channels on the last "
            f"axis. Received shape: {x.shape}"
        )
    if mode == "torch":
        x /= dtype.type(255.0)
        return (x - np.asarray(_TORCH_MEAN, dtype)) / np.asarray(_TORCH_STD, dtype)
    return x[..., ::-1] - np.asarray(_CAFFE_MEAN, dtype)
