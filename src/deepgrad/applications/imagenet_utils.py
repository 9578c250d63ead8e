"""Keras's ``keras.applications.imagenet_utils``: input shapes, preprocessing, decoding.

The rules follow Keras: the same input-shape checks and messages, the same
``preprocess_input`` modes, the same ``decode_predictions`` output. What differs is that
nothing is downloaded: :func:`decode_predictions` reads ``imagenet_class_index.json``
from the cache folders of :mod:`deepgrad.applications.local_files` (where the weights
files are looked for too) and, when it is absent, fails saying where to put it.

Each application module has Keras's ``preprocess_input(x, data_format=None)`` for its
family, one of :func:`caffe_preprocess_input`, :func:`tf_preprocess_input`,
:func:`torch_preprocess_input` or :func:`passthrough_preprocess_input` (the families that
preprocess inside the model), and ``decode_predictions``.

>>> obtain_input_shape(None, default_size=224, min_size=32, require_flatten=False)
(None, None, 3)
>>> preprocess_input(np.full((1, 1, 3), 127.5), mode="tf")
array([[[0., 0., 0.]]])
"""

from __future__ import annotations

import json
import os
import warnings
from functools import lru_cache

import numpy as np

from deepgrad import activations, config
from deepgrad.applications.local_files import ClassIndexNotFoundError, find_local_file
from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.tensor import Tensor

__all__ = [
    "obtain_input_shape",
    "correct_pad",
    "validate_activation",
    "preprocess_input",
    "caffe_preprocess_input",
    "tf_preprocess_input",
    "torch_preprocess_input",
    "passthrough_preprocess_input",
    "decode_predictions",
    "CLASS_INDEX_FILE",
]

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # ImageNet's mean pixel, in BGR order
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)


def obtain_input_shape(
    input_shape,
    default_size: int,
    min_size: int,
    data_format: str | None = None,
    require_flatten: bool = True,
    weights=None,
) -> tuple:
    """Compute and check a model's input shape ``(rows, cols, channels)``, as Keras does.

    Args:
        input_shape: the shape the user gave, or None for the default.
        default_size: the default rows and columns (224; 299 for Xception).
        min_size: the smallest rows and columns the network accepts.
        data_format: only ``"channels_last"`` is supported; None (the default) is
            :func:`deepgrad.config.image_data_format`, as the applications of Keras use.
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
    if config.standardize_data_format(data_format, "obtain_input_shape") != "channels_last":
        raise ValueError(
            "deepgrad applications support only data_format='channels_last' (images as "
            f"(batch, rows, cols, channels)). Received: data_format={data_format!r} with "
            f"dg.config.image_data_format()={config.image_data_format()!r}. To fix, call "
            "dg.config.set_image_data_format('channels_last') before building the model."
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


# -- preprocessing ------------------------------------------------------------------------
def preprocess_input(x, data_format: str | None = None, mode: str = "caffe") -> np.ndarray:
    """Preprocess a batch of RGB images with values in ``[0, 255]`` for an ImageNet model.

    Args:
        x: an array of images, 3D ``(rows, cols, 3)`` or 4D ``(batch, rows, cols, 3)``
            (channels first with ``data_format="channels_first"``).
        data_format: ``None`` or ``"channels_last"`` (deepgrad's layout), or
            ``"channels_first"``.
        mode: ``"caffe"`` (RGB to BGR, then subtract ImageNet's mean pixel; VGG, ResNet),
            ``"tf"`` (scale to ``[-1, 1]``; MobileNet, Inception, Xception...) or
            ``"torch"`` (scale to ``[0, 1]``, then normalize each channel by ImageNet's
            mean and std; DenseNet).

    Returns:
        A new float array (float32 unless ``x`` is already a float array). Keras writes
        over a float input array; deepgrad never changes the caller's array. A Tensor or
        a KerasTensor (``preprocess_input(inputs)`` inside a model) gives a Tensor or a
        KerasTensor made with ``dg.ops``, so gradients reach the images (Keras's rule).

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
    data_format = config.standardize_data_format(data_format, "preprocess_input")
    if isinstance(x, (Tensor, KerasTensor)):
        return _preprocess_tensor(x, data_format, mode)
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype("float32")
    x = x.astype(dtype)  # always a copy: the caller's array is never changed
    if mode == "tf":
        x /= dtype.type(127.5)
        x -= dtype.type(1.0)
        return x
    # Channels first: the channel axis is 0 for one image, 1 for a batch (Keras's rule).
    channel_axis = (0 if x.ndim == 3 else 1) if data_format == "channels_first" else -1
    if x.ndim == 0 or x.shape[channel_axis] != 3:
        raise ValueError(
            f"preprocess_input(mode={mode!r}) expects RGB images with 3 channels on axis "
            f"{channel_axis}. Received shape: {x.shape}"
        )
    x = np.moveaxis(x, channel_axis, -1)
    if mode == "torch":
        x /= dtype.type(255.0)
        x = (x - np.asarray(_TORCH_MEAN, dtype)) / np.asarray(_TORCH_STD, dtype)
    else:
        x = x[..., ::-1] - np.asarray(_CAFFE_MEAN, dtype)
    return np.moveaxis(x, -1, channel_axis)


def _preprocess_tensor(x, data_format: str, mode: str):
    """:func:`preprocess_input` with ``dg.ops``: a graph op on a Tensor or KerasTensor."""
    from deepgrad import ops

    if not np.dtype(x.dtype).kind == "f":
        x = ops.cast(x, "float32")
    if mode == "tf":
        return x / 127.5 - 1.0
    channel_axis = (0 if len(x.shape) == 3 else 1) if data_format == "channels_first" else -1
    if x.shape[channel_axis] != 3:
        raise ValueError(
            f"preprocess_input(mode={mode!r}) expects RGB images with 3 channels on axis "
            f"{channel_axis}. Received shape: {tuple(x.shape)}"
        )
    shape = [1] * len(x.shape)
    shape[channel_axis] = 3
    dtype = np.dtype(x.dtype)
    if mode == "torch":
        mean = np.asarray(_TORCH_MEAN, dtype).reshape(shape)
        std = np.asarray(_TORCH_STD, dtype).reshape(shape)
        return (x / 255.0 - mean) / std
    return ops.flip(x, axis=channel_axis) - np.asarray(_CAFFE_MEAN, dtype).reshape(shape)


def caffe_preprocess_input(x, data_format: str | None = None) -> np.ndarray:
    """The ``preprocess_input`` of VGG16, VGG19, ResNet and ResNet50: RGB to BGR, then
    ImageNet's mean pixel subtracted.

    >>> caffe_preprocess_input(np.array([[[123.68, 116.779, 103.939]]]))
    array([[[0., 0., 0.]]])
    """
    return preprocess_input(x, data_format=data_format, mode="caffe")


def tf_preprocess_input(x, data_format: str | None = None) -> np.ndarray:
    """The ``preprocess_input`` of MobileNet, MobileNetV2, ResNetV2, InceptionV3,
    InceptionResNetV2, Xception and NASNet: pixels from ``[0, 255]`` to ``[-1, 1]``.

    >>> tf_preprocess_input(np.array([0.0, 127.5, 255.0]))
    array([-1.,  0.,  1.])
    """
    return preprocess_input(x, data_format=data_format, mode="tf")


def torch_preprocess_input(x, data_format: str | None = None) -> np.ndarray:
    """The ``preprocess_input`` of DenseNet: pixels to ``[0, 1]``, then each channel
    normalized by ImageNet's mean and standard deviation.

    >>> torch_preprocess_input(np.array([[[0.485, 0.456, 0.406]]]) * 255).round(6)
    array([[[0., 0., 0.]]])
    """
    return preprocess_input(x, data_format=data_format, mode="torch")


def passthrough_preprocess_input(x, data_format=None):
    """The ``preprocess_input`` of MobileNetV3, EfficientNet, EfficientNetV2 and ConvNeXt:
    ``x`` unchanged, as in Keras, because these models rescale their ``[0, 255]`` inputs
    themselves (their first layers; ``include_preprocessing=False`` removes them where the
    builder has that argument).

    >>> passthrough_preprocess_input(np.array([255.0]))
    array([255.])
    """
    return x


# -- decoding -----------------------------------------------------------------------------
def decode_predictions(preds, top: int = 5) -> list[list[tuple]]:
    """The ``top`` classes of each ImageNet prediction: ``(wordnet id, name, score)``.

    The class names come from ``imagenet_class_index.json`` (Keras's file, a JSON object
    ``{"0": ["n01440764", "tench"], ...}`` with the 1000 classes), read from the cache
    folders of :func:`deepgrad.applications.local_files.search_dirs` (``~/.keras/models``
    among them, where Keras keeps the copy it downloaded). It is never downloaded.

    Args:
        preds: a batch of predictions, shape ``(samples, 1000)`` (an array or a Tensor).
        top: how many classes to return for each sample.

    Returns:
        One list per sample of ``(class id, class name, score)`` tuples, best first.

    Raises:
        ValueError: for predictions not of shape ``(samples, 1000)``, or a class index file
            without the 1000 classes.
        ClassIndexNotFoundError: when ``imagenet_class_index.json`` is in no cache folder;
            the message says where to get it and where to save it.

    >>> decode_predictions(np.zeros((2, 10)))
    Traceback (most recent call last):
    ...
    ValueError: `decode_predictions` expects a batch of predictions (i.e. a 2D array of \
shape (samples, 1000)). Received array with shape: (2, 10)
    """
    preds = np.asarray(preds.data if isinstance(preds, Tensor) else preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {preds.shape}"
        )
    path = find_local_file(
        "decode_predictions", "naming the ImageNet classes", CLASS_INDEX_FILE, CLASS_INDEX_URL,
        ClassIndexNotFoundError, "It is a small JSON file (35 kB) that Keras downloads too.",
    )
    stat = os.stat(path)
    index = _class_index(str(path), stat.st_mtime_ns, stat.st_size)
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [(*index[i], pred[i]) for i in top_indices]
        result.sort(key=lambda entry: entry[2], reverse=True)
        results.append(result)
    return results


@lru_cache(maxsize=4)
def _class_index(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, str], ...]:
    """The 1000 ``(wordnet id, name)`` pairs of a class index file, read once per version."""
    with open(path, encoding="utf8") as handle:
        raw = json.load(handle)
    try:
        return tuple((str(raw[str(i)][0]), str(raw[str(i)][1])) for i in range(1000))
    except (KeyError, IndexError, TypeError):
        raise ValueError(
            f"decode_predictions: {path} is not an ImageNet class index: it must map each "
            'class number "0" to "999" to [wordnet id, class name], as Keras\'s '
            f"{CLASS_INDEX_FILE} does."
        ) from None
