"""What every ImageNet builder does around its architecture: arguments, input, top, weights.

A public builder (``ResNet50``, ``DenseNet121``, ...) is made by :func:`keras_builder`
with Keras's signature; it binds its arguments into an ``args`` namespace and calls its
family's function, which starts with :func:`start` (Keras's argument checks, the input
shape, the weights file found, all before any layer is built, then the image input),
builds the architecture, ends with :func:`top_or_pooling` and returns :func:`finish`'s
model, with the weights loaded.

>>> import deepgrad as dg
>>> pooling(dg.Input((4, 4, 8)), "max").shape
(None, 8)
"""

from __future__ import annotations

import inspect
import os
import textwrap
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np

from deepgrad import layers
from deepgrad.applications.imagenet_utils import obtain_input_shape, validate_activation
from deepgrad.applications.local_files import (
    KERAS_BASE_URL,
    WeightsNotFoundError,
    find_local_file,
)
from deepgrad.applications.weights import load_application_weights
from deepgrad.layers.input_layer import Input, InputLayer
from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.models.model import Model

__all__ = [
    "check_common_args",
    "find_weights_file",
    "resolve_weights",
    "keras_weights_file",
    "image_input",
    "start",
    "pooling",
    "top_or_pooling",
    "finish",
    "keras_builder",
    "builder_doc",
    "size_error_example",
    "pooled_example",
    "KERAS_ARGS",
]


def check_common_args(
    who: str, weights, include_top: bool, classes: int, pooling, classifier_activation
) -> None:
    """The argument checks every ImageNet builder starts with (Keras's messages).

    They all run before any layer is built, so a mistake costs no weight allocation.

    >>> check_common_args("VGG16", None, True, 10, "mean", "softmax")
    Traceback (most recent call last):
    ...
    ValueError: VGG16: `pooling` must be None, 'avg' or 'max'. Received: pooling='mean'
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


# -- weights files ------------------------------------------------------------------------
def find_weights_file(who: str, filename: str, url: str):
    """The path of a pretrained weights file in the cache folders (see :mod:`local_files`).

    Raises:
        WeightsNotFoundError: naming the file, where to get it and where to save it.

    >>> find_weights_file("VGG16", "no_such_file.h5", "https://example.org/no_such_file.h5")
    Traceback (most recent call last):
    ...
    deepgrad.applications.local_files.WeightsNotFoundError: VGG16: weights='imagenet' ...
    """
    return find_local_file(
        who, "weights='imagenet'", filename, url, WeightsNotFoundError,
        "Or pass weights=None for random initialization, or weights=<path to a weights file>.",
    )


def resolve_weights(who: str, weights, filename: str, url: str):
    """The file to load: the cached ImageNet file, the given path, or None (random weights).

    Builders call it before building any layer, so a missing file fails at once.

    >>> resolve_weights("VGG16", None, "vgg16.h5", "https://example.org/vgg16.h5") is None
    True
    """
    if weights == "imagenet":
        return find_weights_file(who, filename, url)
    return weights


def keras_weights_file(stem: str, include_top: bool, folder: str) -> tuple[str, str]:
    """``(file name, address)`` of Keras's ``<stem>_weights_tf_dim_ordering_tf_kernels`` files.

    ``folder`` is the file's folder under Keras's download address; without the top the
    name ends in ``_notop.h5``.

    >>> keras_weights_file("densenet121", False, "densenet")[0]
    'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """
    filename = f"{stem}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return filename, f"{KERAS_BASE_URL}{folder}/{filename}"


# -- input and output ---------------------------------------------------------------------
def image_input(who: str, input_tensor, input_shape: tuple) -> tuple:
    """Return ``(img_input, model_inputs)``: a new ``dg.Input`` or the given KerasTensor.

    With ``input_tensor`` the model's inputs are the ``dg.Input`` tensors it was made from,
    so layers applied before it stay part of the model (Keras's ``get_source_inputs``).

    >>> image_input("VGG16", None, (32, 32, 3))[0].shape
    (None, 32, 32, 3)
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


def pooling(x, kind, avg_name=None, max_name=None):
    """``pooling="avg"``/``"max"`` without the top: a global pooling (None: ``x`` as is).

    >>> import deepgrad as dg
    >>> pooling(dg.Input((4, 4, 8)), None).shape
    (None, 4, 4, 8)
    """
    if kind == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if kind == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def top_or_pooling(x, args, *, top_name=None, avg_name=None, max_name=None):
    """The end of most families: global average pooling and ``predictions``, or a pooling.

    ``top_name`` names the classifier's average pooling, ``avg_name`` and ``max_name`` the
    pooling of ``pooling="avg"``/``"max"`` (None gives Keras's automatic names).

    >>> import deepgrad as dg
    >>> from types import SimpleNamespace
    >>> args = SimpleNamespace(include_top=True, classes=10, classifier_activation=None)
    >>> top_or_pooling(dg.Input((4, 4, 8)), args).shape
    (None, 10)
    """
    if args.include_top:
        x = layers.GlobalAveragePooling2D(name=top_name)(x)
        return layers.Dense(args.classes, activation=args.classifier_activation,
                            name="predictions")(x)
    return pooling(x, args.pooling, avg_name, max_name)


def start(who: str, args, weights_file: tuple[str, str], *, default_size: int = 224,
          min_size: int = 32) -> tuple:
    """Check ``args`` as Keras does, find the weights file, make the image input.

    Args:
        who: the builder's name, for messages.
        args: the builder's bound arguments (see :func:`keras_builder`).
        weights_file: ``(file name, download address)`` of the ImageNet file (see
            :func:`keras_weights_file`).
        default_size, min_size: the default and the smallest rows and columns.

    Returns:
        ``(img_input, model_inputs, weights_path)``; ``weights_path`` is None for random
        weights.

    >>> from types import SimpleNamespace
    >>> args = SimpleNamespace(include_top=False, weights=None, input_tensor=None,
    ...     input_shape=None, pooling=None, classes=1000, classifier_activation="softmax")
    >>> img_input, inputs, path = start("Demo", args, ("demo.h5", "https://example.org/"))
    >>> img_input.shape, path
    ((None, None, None, 3), None)
    """
    check_common_args(who, args.weights, args.include_top, args.classes, args.pooling,
                      args.classifier_activation)
    input_shape = obtain_input_shape(args.input_shape, default_size=default_size,
                                     min_size=min_size, require_flatten=args.include_top,
                                     weights=args.weights)
    weights_path = resolve_weights(who, args.weights, *weights_file)
    return (*image_input(who, args.input_tensor, input_shape), weights_path)


def finish(inputs, outputs, name: str, weights_path, who: str) -> Model:
    """The functional model from ``inputs`` to ``outputs``, with the weights file loaded.

    >>> import deepgrad as dg
    >>> x = dg.Input((3,))
    >>> finish(x, dg.layers.Dense(2)(x), "demo", None, "Demo").name
    'demo'
    """
    model = Model(inputs, outputs, name=name)
    if weights_path is not None:
        load_application_weights(model, weights_path, who)
    return model


# -- public builders with Keras's signatures ----------------------------------------------
# Keras's argument lists, in Keras's order (``name`` follows each). Most builders take
# KERAS_ARGS; the others reorder or extend it.
KERAS_ARGS = (("include_top", True), ("weights", "imagenet"), ("input_tensor", None),
              ("input_shape", None), ("pooling", None), ("classes", 1000),
              ("classifier_activation", "softmax"))

ARG_DOCS = {
    "include_top": "whether to include {top}.",
    "weights": "``None`` (random), ``\"imagenet\"`` (Keras's file from the local cache; see "
               ":mod:`deepgrad.applications.local_files`), or the path of a weights file (a "
               "Keras ``.h5`` file or anything ``model.load_weights`` reads).",
    "input_tensor": "optional KerasTensor to use as the image input.",
    "input_shape": "``(rows, cols, 3)``, at least {min_size}x{min_size}. Default "
                   "``({default_size}, {default_size}, 3)``, or ``(None, None, 3)`` without the "
                   "top.",
    "pooling": "without the top, ``None`` (4D output), ``\"avg\"`` or ``\"max\"`` (2D output).",
    "classes": "number of classes of the classifier (1000 for ImageNet weights).",
    "classifier_activation": "activation of the classifier; ``None`` gives logits.",
    "include_preprocessing": "whether the model's first layers rescale its ``[0, 255]`` "
                             "inputs (see the module).",
    "alpha": "width multiplier: below 1 fewer filters in each layer, above 1 more.",
    "name": "the model's name.",
}


def keras_builder(family: Callable[..., Model], who: str, default_name, doc: str, module: str,
                  *, args=KERAS_ARGS, **settings) -> Callable:
    """Make the public builder ``who``, with Keras's signature ``args`` and ``name``.

    The builder binds its arguments as a Python function does (positions, keywords,
    defaults, and a ``TypeError`` for unknown ones) and calls
    ``family(who, args, **settings)``, ``args`` holding every argument by name.

    Args:
        family: the family's function (``_densenet``, ...).
        who: the public name (``"DenseNet121"``), used in error messages.
        default_name: the default of ``name`` (Keras's, e.g. ``"densenet121"``).
        doc: the builder's docstring (see :func:`builder_doc`).
        module: the module the builder belongs to (its ``__module__``).
        args: ``(argument, default)`` pairs in Keras's order.
        **settings: what distinguishes this member of the family (depths, widths...).

    A module whose builders are made here lists them in its ``__test__`` so that their
    docstring examples run with the module's doctests.

    >>> build = keras_builder(lambda who, args: (who, args.classes, args.name), "Demo", "demo",
    ...                       "", __name__)
    >>> build(False, None, classes=3)
    ('Demo', 3, 'demo')
    """
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [inspect.Parameter(arg, kind, default=default) for arg, default in args]
        + [inspect.Parameter("name", kind, default=default_name)],
        return_annotation=Model,
    )

    def builder(*args, **kwargs) -> Model:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return family(who, SimpleNamespace(**bound.arguments), **settings)

    builder.__name__ = builder.__qualname__ = who
    builder.__module__ = module
    builder.__doc__ = doc
    builder.__signature__ = signature
    return builder


def size_error_example(who: str, min_size: int = 32) -> str:
    """A docstring example that builds nothing: too small an input, refused at once.

    The large builders show this instead of building (their weights take seconds to
    initialize, and every docstring example runs with the tests).

    >>> size_error_example("ResNet152").splitlines()[-1]
    'ValueError: Input size must be at least 32x32; Received: input_shape=(16, 16, 3)'
    """
    small = min_size // 2
    return (f">>> {who}(weights=None, include_top=False, input_shape=({small}, {small}, 3))\n"
            "Traceback (most recent call last):\n...\n"
            f"ValueError: Input size must be at least {min_size}x{min_size}; Received: "
            f"input_shape=({small}, {small}, 3)")


def pooled_example(who: str, features: int, count: int) -> str:
    """A docstring example that builds ``who`` without its top, with ``pooling="avg"``, at
    32x32: for models under 11 million parameters; larger ones get
    :func:`size_error_example`.

    >>> pooled_example("DenseNet121", 1024, 8_062_504).splitlines()[-1]
    '(None, 1024)'
    """
    if count >= 11_000_000:
        return size_error_example(who)
    return (f">>> model = {who}(weights=None, include_top=False, pooling=\"avg\",\n"
            "...     input_shape=(32, 32, 3))\n>>> model.output.shape\n"
            f"(None, {features})")


def builder_doc(summary: str, example: str, *, args=KERAS_ARGS, default_size: int = 224,
                min_size: int = 32, top: str = "global average pooling and ``predictions``",
                extra: str = "", arg_docs: dict | None = None) -> str:
    """The docstring of a builder: summary, Args (from :data:`ARG_DOCS`), Returns, Raises.

    Args:
        summary: the first line (what is built, its parameter count).
        example: the ``>>>`` example, with its expected output.
        args: the builder's arguments (``name`` is added).
        default_size, min_size: the default and the smallest rows and columns.
        top: what ``include_top`` adds.
        extra: a paragraph after the summary (what the family does differently).
        arg_docs: the family's own arguments' documentation, or replacements.
    """
    docs = {**ARG_DOCS, **(arg_docs or {})}
    lines = []
    for arg, _ in (*args, ("name", None)):
        text = docs[arg].format(top=top, min_size=min_size, default_size=default_size)
        lines.append(textwrap.fill(f"{arg}: {text}", 88, initial_indent=" " * 8,
                                   subsequent_indent=" " * 12))
    extra = "\n\n    " + extra.replace("\n", "\n    ") if extra else ""
    example = example.replace("\n", "\n    ")
    newline = "\n"
    return f"""{summary}{extra}

    Args:
{newline.join(lines)}

    Returns:
        A functional :class:`~deepgrad.Model` with Keras's layers (names, classes, weights).

    Raises:
        ValueError: for bad arguments or input shapes (Keras's messages).
        WeightsNotFoundError: for ``weights="imagenet"`` when the file is not cached.

    {example}
    """
