"""The Layer base class: Keras's lifecycle of validate, build, call, and get_config.

``__init__`` validates and stores configuration, :meth:`Layer.build` creates weights from
the first input's shape, :meth:`Layer.call` is the forward pass alone, and
:meth:`Layer.get_config` makes the layer saveable. Layers hold no backward code: the
gradients live in ``deepgrad.ops``.

>>> import deepgrad as dg
>>> class Scale(dg.layers.Layer):
...     def build(self, input_shape):
...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
...     def call(self, inputs):
...         return inputs * self.w
>>> layer = Scale()
>>> layer(np.ones((2, 3), dtype="float32")).shape
(2, 3)
>>> [w.shape for w in layer.weights]
[(3,)]
"""

from __future__ import annotations

import functools
import gc
import inspect
import re
import threading
import warnings
import weakref
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from deepgrad import config, regularizers, tree
from deepgrad.formats.budget import check_scratch, claim_weight
from deepgrad.layers.keras_tensor import KerasTensor, first_call_tensors
from deepgrad.ops.masks import any_masks, get_keras_mask, set_keras_mask
from deepgrad.scopes import scoped
from deepgrad.tensor import Tensor, Variable

__all__ = [
    "Layer", "InputSpec", "FusedCall", "InputFusedCall", "fuse_chain", "clear_session", "get_uid",
    "shape_str", "shapes_of",
]

_name_counts: defaultdict[str, int] = defaultdict(int)


def clear_session(free_memory: bool = True) -> None:
    """Reset what Keras's ``clear_session`` resets: automatic layer names (the next Dense is
    ``dense`` again) and the counters of :func:`get_uid`, and the session switches of
    ``dg.config`` (safe mode, interactive logging, traceback filtering, flash attention)
    to their defaults. ``epsilon``, ``floatx``, ``image_data_format`` and the caps stay.

    deepgrad's random generator is left as it is: in Keras too, the weights drawn after
    ``set_random_seed(s); clear_session()`` are those drawn after ``set_random_seed(s)``.

    Args:
        free_memory: run Python's garbage collector (``gc.collect()``), as Keras does.

    >>> import deepgrad as dg
    >>> _ = dg.layers.Dense(1); clear_session(); dg.layers.Dense(1).name
    'dense'
    """
    _name_counts.clear()
    config.reset_session_switches()
    if free_memory:
        gc.collect()


def _snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)  # Keras: Conv2D -> conv2d
    return name.lower()


def unique_name(base: str) -> str:
    """Return ``base``, then ``base_1``, ``base_2``... as Keras numbers layers."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def get_uid(prefix: str = "") -> int:
    """The next number for ``prefix``: 1, 2, ... (Keras's ``keras.backend.get_uid``).

    As in Keras, the counter is the one automatic layer names use: after one ``Dense``
    (named ``dense``), ``get_uid('dense')`` is 2 and the next Dense is ``dense_2``.

    >>> clear_session(); get_uid("block"), get_uid("block")
    (1, 2)
    """
    if not isinstance(prefix, str):
        raise TypeError(f"get_uid: `prefix` must be a string. Received: prefix={prefix!r}")
    _name_counts[prefix] += 1
    return _name_counts[prefix]


def shape_str(shape) -> str:
    """Format a shape as Keras prints it, with ``None`` for unknown sizes."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


_SPATIAL_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
                    3: "(batch, depth, height, width, channels)"}


def check_spatial_rank(layer: Layer, shape, rank: int) -> None:
    """Raise unless ``shape`` is a batch of ``rank``-D inputs (``rank + 2`` dims).

    The error names the layer and, for an input one dimension short, says which axis is
    missing: the channels (a batch of grayscale images, ``(5, 28, 28)`` for Conv2D) or
    the batch (one image, ``(28, 28, 1)``), judged from the channels the layer was built
    for, or else from the size of the last axis.
    """
    expected = rank + 2
    layout = _SPATIAL_LAYOUTS[rank]
    if getattr(layer, "data_format", None) == "channels_first":
        layout = "(batch, channels, " + layout[len("(batch, "):-len(", channels)")] + ")"
    if len(shape) != expected:
        hint = "."
        if len(shape) == expected - 1:
            hint = _missing_axis_hint(layer, tuple(shape))
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': expected a {expected}-D input "
            f"{layout}, got shape {shape_str(shape)}{hint}"
        )


def _missing_axis_hint(layer: Layer, shape: tuple) -> str:
    spec = layer.input_spec
    channels = spec.axes.get(-1) if spec is not None else None
    last = shape[-1] if shape else None
    no_channels = last != channels if channels is not None else (last or 0) > 4
    if no_channels:
        return (f" — missing channel axis? For a batch of {shape[0]} one-channel inputs, add "
                f"one with x[..., None] (shape {shape_str(shape + (1,))}).")
    return (f" — missing batch dimension? For one sample, add one with x[None] (shape "
            f"{shape_str((1,) + shape)}).")


class InputSpec:
    """What a layer accepts: a rank (exact or minimum) and fixed sizes on some axes.

    >>> InputSpec(min_ndim=2, axes={-1: 4}).axes
    {-1: 4}
    """

    def __init__(
        self,
        ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
    ):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}


class Layer:
    """Base class of every layer; subclass it with ``build`` and ``call``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name; by default the snake-cased class name, numbered.
        dtype: the float type of the weights and computations (default float32).
        input_shape: shape of one sample, without the batch axis (first layer only).
        input_dim: legacy Keras 2 alias for ``input_shape=(input_dim,)``.
        batch_input_shape: ``(batch,) + input_shape``.
        activity_regularizer: a penalty on the layer's output, added to the losses (any
            layer, as in Keras).

    >>> Layer(name="my_layer").name
    'my_layer'
    """

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype=None,
        input_shape=None,
        input_dim: int | None = None,
        batch_input_shape=None,
        batch_size: int | None = None,
        activity_regularizer=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword arguments: {sorted(kwargs)}."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: `name` must be a string. Received: {name!r}")
        self.name = name or unique_name(_snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or config.floatx()).name
        self._trainable = bool(trainable)
        self.built = False
        self._trainable_weights: list[Variable] = []
        self._non_trainable_weights: list[Variable] = []
        self._activity_losses: list[Tensor] = []
        self._added_losses: list[Tensor] = []  # add_loss, since the outermost call began
        # Keras's base Layer takes one for every layer (the ones with their own argument,
        # Dense and the convolutions, set it again after this).
        self.activity_regularizer = (None if activity_regularizer is None
                                     else regularizers.get(activity_regularizer))
        self.input_spec: InputSpec | None = None
        self._build_shapes = None
        self._inbound_nodes: list = []  # one Node per call on KerasTensors
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(_as_shape(input_shape, self))
        elif input_dim is not None:
            self._batch_input_shape = (batch_size, int(input_dim))
        else:
            self._batch_input_shape = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _marking_built(cls.__dict__["build"])
        if cls.__module__.startswith("deepgrad.") and all(
                "_casts_integer_inputs" not in k.__dict__ for k in cls.__mro__ if k is not Layer):
            cls._casts_integer_inputs = True  # deepgrad's own layers compute on floats

    # -- the lifecycle ----------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the layer's weights for inputs of ``input_shape`` (batch axis first).

        As in Keras, ``build`` (every subclass's too) marks the layer built, so that a
        layer built by hand keeps its weights at the first call:

        >>> layer = Layer()
        >>> layer.build((None, 3))
        >>> layer.built
        True
        """

    def call(self, inputs, *args, **kwargs):
        """The forward pass; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call().")

    def compute_output_shape(self, input_shape):
        """Return the output shape for ``input_shape``; by default run ``call`` on zeros."""
        from deepgrad.tensor import no_grad

        batch = tuple(1 if s is None else s for s in input_shape)
        check_scratch(batch, self.dtype, f"{type(self).__name__} '{self.name}'")
        with no_grad():
            out = self(np.zeros(batch, dtype=self.dtype))
        return (input_shape[0],) + tuple(out.shape[1:])

    def compute_output_spec(self, inputs, *args, **kwargs):
        """The outputs' KerasTensors (shape and dtype) for KerasTensor ``inputs``.

        As in Keras 3: from :meth:`compute_output_shape` where the layer defines it (dtype
        the layer's, or the input's for a layer that only moves values); otherwise ``call``
        runs on zeros of the inputs' shapes and declared dtypes (an ``Input(dtype="int32")``
        gives integer zeros), and the outputs' shapes and dtypes are read off.

        >>> import deepgrad as dg
        >>> ids = dg.Input((2, 3), dtype="int32")
        >>> dg.layers.Flatten().compute_output_spec(ids)
        <KerasTensor shape=(None, 6), dtype=int32, name=None>
        >>> dg.layers.Dense(4).compute_output_spec(ids)
        <KerasTensor shape=(None, 2, 4), dtype=float32, name=None>
        """
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = self.compute_output_shape(shapes_of(inputs))
            given = [t.dtype for t in tree.flatten(inputs) if isinstance(t, KerasTensor)]
            dtype = given[0] if self._keeps_input_dtype and given else self.dtype
            return tree.map_shape_structure(lambda shape: KerasTensor(shape, dtype), shapes)
        from deepgrad.layers.functional_call import traced_output_spec

        return traced_output_spec(self, inputs, args, kwargs)

    @property
    def input(self):
        """The KerasTensor(s) the layer was first called on (Keras 3: the first call wins).

        Raises:
            AttributeError: if the layer was never called on KerasTensors.

        >>> import deepgrad as dg
        >>> x = dg.Input(shape=(3,))
        >>> dense = dg.layers.Dense(2)
        >>> y = dense(x)
        >>> dense.input is x, dense.output is y
        (True, True)
        """
        return first_call_tensors(self, "input")

    @property
    def dtype_policy(self):
        """The layer's :class:`~deepgrad.mixed_precision.DTypePolicy`: its one float type
        (deepgrad has no mixed layers; see :mod:`deepgrad.mixed_precision`)."""
        from deepgrad.mixed_precision import DTypePolicy

        return DTypePolicy(self.dtype)

    @property
    def compute_dtype(self) -> str:
        """The type the layer computes in: :attr:`dtype`, as Keras names it."""
        return self.dtype

    @property
    def variable_dtype(self) -> str:
        """The type of the layer's weights: :attr:`dtype`, as Keras names it."""
        return self.dtype

    @property
    def output(self):
        """The KerasTensor(s) of the layer's first call on KerasTensors (see :attr:`input`)."""
        return first_call_tensors(self, "output")

    def get_config(self) -> dict:
        """Return the constructor arguments that recreate this layer (without weights)."""
        config_dict = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config_dict["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config_dict["activity_regularizer"] = regularizers.serialize(
                self.activity_regularizer)
        return config_dict

    @classmethod
    def from_config(cls, config_dict: dict) -> Layer:
        """Create a layer from :meth:`get_config`'s dict."""
        return cls(**config_dict)

    def __call__(self, inputs, *args, training=None, **kwargs):
        calls = _CALLS
        depth = getattr(calls, "depth", 0)
        outer = calls.training if depth else None
        if depth == 0 and _LOSS_HOLDERS:
            _clear_added_losses(self)  # an outermost call starts: Keras clears add_loss's
        # Keras's call context: a call given no `training` takes the one of the call it is
        # made in, so a sublayer (Dropout in a custom block whose call has no `training`)
        # trains when the model does.
        if training is None:
            training = outer
        calls.depth, calls.training = depth + 1, training
        try:
            return self._layer_call(inputs, *args, training=training, **kwargs)
        finally:
            calls.depth, calls.training = depth, outer

    def add_loss(self, loss) -> None:
        """Add a scalar loss from inside :meth:`call` (or ``build``), as Keras's: ``fit``
        adds it to the compiled loss, and :attr:`losses` lists it until the next outermost
        call of this layer or a model that holds it.

        >>> import deepgrad as dg
        >>> class Penalised(dg.layers.Layer):
        ...     def call(self, x):
        ...         self.add_loss(dg.ops.mean(x))
        ...         return x
        >>> layer = Penalised()
        >>> _ = layer(np.array([[1.0, 3.0]], "float32"))
        >>> [float(loss.numpy()) for loss in layer.losses]
        [2.0]
        """
        values = tree.flatten(loss)
        for value in values:
            if not isinstance(value, Tensor) or _is_symbolic(value):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': `add_loss()` can only be called "
                    "from inside `build()` or `call()`, on a tensor computed from the inputs. "
                    f"Received: {value!r}"
                )
        self._added_losses.extend(values)
        _LOSS_HOLDERS.add(self)

    def _layer_call(self, inputs, *args, training=None, **kwargs):
        if type(inputs) is not Tensor or inputs.data.dtype.kind in "biu":
            if _is_symbolic(inputs):
                from deepgrad.layers.functional_call import symbolic_call

                return symbolic_call(self, inputs, args, kwargs)
            inputs = self._convert_inputs(inputs)
        if not self._accepts_strings and _holds_strings(inputs):
            self._refuse_strings(inputs)
        if not self.built:
            self._build_from(inputs)
        elif self.input_spec is not None:
            self._check_input_spec(inputs)
        if self._accepts_training:
            kwargs["training"] = training
        # Keras's masks: the mask of the inputs (noted by the layer that made them) goes to
        # call(mask=) and, through compute_mask, on to the outputs.
        previous = kwargs.get("mask")
        if previous is None and any_masks():  # none unless a model uses masks
            previous = input_mask(inputs)
            if previous is not None and self._accepts_mask:
                kwargs["mask"] = previous
        outputs = self.call(inputs, *args, **kwargs)
        if previous is not None or (_overrides_compute_mask(type(self)) and self.supports_masking):
            self._note_output_masks(inputs, outputs, previous)
        if self.activity_regularizer is not None:
            self._activity_losses = activity_penalties(self.activity_regularizer, outputs)
        return outputs

    # -- fusion: how a model's plan runs two calls as one op ------------------------------
    def fuse(self, following: Layer, *then: Layer) -> Callable | None:
        """How to run ``following(self(x))`` (or a chain, ``then[0](following(self(x)))``)
        as one op, or None (the default: no fusion).

        A model's plan asks this of each call whose output only ``following`` reads, first
        with the call that alone reads ``following``'s output in ``then`` (a chain of
        three, e.g. convolution, batch norm, ReLU), then with ``following`` alone. A layer
        that can do the chain in one pass returns ``run(inputs, training)``, which returns
        the last layer's output, or None to decline for these inputs (the calls then run
        one after the other, the later ones fused among themselves where they can).
        :class:`FusedCall` does around it what ``__call__`` does for each layer; ``run``
        must decline whenever an earlier layer's own output would be needed (its activity
        regularizer). The later layers are described by :meth:`epilogue`, never by their
        class. deepgrad's addition: Keras has no fusion.

        >>> Layer().fuse(Layer()) is None
        True
        """
        return None

    def epilogue(self) -> tuple | None:
        """This layer's work as a step that the op producing its input could finish in the
        same pass: ``(name, parameters)``, e.g. ``("max_pool", (2, 2))`` for a max pooling
        over windows that do not overlap, ``("activation", "relu6")``, or
        ``("batch_norm", folded)`` (``folded(training)`` gives the per-channel scale and
        shift when the layer normalizes with fixed statistics), or None (the default).

        >>> Layer().epilogue() is None
        True
        """
        return None

    # -- masks ------------------------------------------------------------------------
    @property
    def supports_masking(self) -> bool:
        """Whether the outputs get a mask from :meth:`compute_mask`; a layer that does not
        support masking drops its input's mask with Keras's warning.

        Keras 3's default: True where the class writes its own ``compute_mask`` (a custom
        embedding's mask reaches the layers after it), else False; a class attribute or
        an assignment (``self.supports_masking = True``) decides otherwise.

        >>> class Marks(Layer):
        ...     def compute_mask(self, inputs, mask=None):
        ...         return inputs != 0
        >>> Marks().supports_masking, Layer().supports_masking
        (True, False)
        """
        value = self.__dict__.get("_supports_masking")
        return _overrides_compute_mask(type(self)) if value is None else value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: by default the inputs' mask, unchanged.

        Used only for layers with ``supports_masking`` (Dense, Dropout, the recurrent
        layers...); a layer that makes or changes masks (Embedding, an RNN without
        ``return_sequences``) overrides it.
        """
        return mask

    def _note_output_masks(self, inputs, outputs, previous) -> None:
        if not self.supports_masking:
            if any(m is not None for m in tree.flatten(previous)):
                warnings.warn(
                    f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input "
                    "with a mask attached to it. However, this layer does not support "
                    "masking and will therefore destroy the mask information. Downstream "
                    "layers will not see the mask.",
                    UserWarning,
                    stacklevel=3,
                )
            return
        for tensor, mask in output_masks(outputs, self.compute_mask(inputs, previous)):
            if mask is not None and isinstance(tensor, Tensor) and get_keras_mask(tensor) is None:
                set_keras_mask(tensor, mask)

    @property
    def _accepts_mask(self) -> bool:
        cls = type(self)
        cached = _ACCEPTS_MASK.get(cls)
        if cached is None:
            cached = _ACCEPTS_MASK[cls] = "mask" in inspect.signature(cls.call).parameters
        return cached

    @property
    def _accepts_training(self) -> bool:
        # Keras's rule: only a call that names `training` gets it; a `call(x, **kwargs)`
        # does not (its sublayers still see it through the call context, see __call__).
        cls = type(self)
        cached = _ACCEPTS_TRAINING.get(cls)
        if cached is None:
            cached = _ACCEPTS_TRAINING[cls] = "training" in inspect.signature(cls.call).parameters
        return cached

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple, dict)) and not (
                self._accepts_strings and _is_nested_scalars(inputs)):
            # a text layer's nested list of strings is one array (Keras's Hashing example)
            return tree.map_structure(self._convert_inputs, inputs)
        if isinstance(inputs, Tensor):
            if inputs.data.dtype.kind in "biu" and self._casts_integer_inputs:
                return Tensor(inputs.data.astype(self.dtype))
            return inputs
        array = np.asarray(inputs)
        if array.dtype.kind == "f" and array.dtype != self.dtype:
            array = array.astype(self.dtype)
        elif array.dtype.kind in "biu" and self._casts_integer_inputs:
            array = array.astype(self.dtype)
        return Tensor(array)

    # Integer inputs stay integers, as in Keras, for layers written outside deepgrad (a
    # student's lookup layer gets its ids). deepgrad's own layers compute on floats and
    # cast integers to their dtype first (set in __init_subclass__): Keras's result, as
    # its promotion of an int and float32 is float32, where NumPy's would be float64.
    # Layers that read integer ids (Embedding) or only move values (Flatten) set False.
    _casts_integer_inputs = False
    # Layers that only move values (Flatten, Reshape) give outputs of their input's dtype.
    _keeps_input_dtype = False

    # Layers that read text (InputLayer, TextVectorization, StringLookup, Lambda) set this
    # to True. deepgrad's other layers refuse string arrays with an error that names the
    # layer; models, and layers written outside deepgrad, get strings as they would in Keras.
    _accepts_strings = False

    def _refuse_strings(self, inputs) -> None:
        """Raise the "strings reached a numeric layer" error, for a deepgrad layer."""
        if not type(self).__module__.startswith("deepgrad.layers."):
            return  # a user's layer, or a model (its own layers decide)
        tensors = [t for t in tree.flatten(inputs) if _holds_strings(t)]
        given = tensors[0] if tensors else inputs
        shape = given.shape if hasattr(given, "shape") else ()
        dtype = given.dtype if isinstance(given, KerasTensor) else given.data.dtype
        raise TypeError(
            f"{type(self).__name__} '{self.name}': received strings (shape "
            f"{shape_str(shape)}, dtype {dtype}), but this layer computes on numbers. To fix, "
            "turn the text into numbers first: put a TextVectorization layer (whole texts, "
            "adapted on the training texts) or a StringLookup layer (one token per string) "
            "before it."
        )

    def _build_from(self, inputs) -> None:
        shapes = shapes_of(inputs)
        self._check_build_rank(shapes)
        self.build(shapes)
        self._build_shapes = shapes
        self.built = True

    def _check_build_rank(self, shapes) -> None:
        spec = self.input_spec
        if (
            spec is None
            or not isinstance(shapes, tuple)
            or (shapes and not isinstance(shapes[0], (int, type(None))))
        ):
            return
        self._check_shape(shapes)

    def _check_input_spec(self, inputs) -> None:
        if isinstance(inputs, Tensor):
            self._check_shape(inputs.shape)

    def _check_shape(self, shape) -> None:
        spec = self.input_spec
        rank = len(shape)
        expected_rank = spec.ndim if spec.ndim is not None else spec.min_ndim
        if (spec.ndim is not None and rank != spec.ndim) or (
            spec.min_ndim is not None and rank < spec.min_ndim
        ):
            words = "exactly" if spec.ndim is not None else "at least"
            hint = ""
            if rank == expected_rank - 1:
                hint = (
                    " Missing batch dimension? To pass one sample, add a batch axis: "
                    "x[None] or np.expand_dims(x, 0)."
                )
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected input with {words} "
                f"{expected_rank} dimensions (batch first), got shape {shape_str(shape)}.{hint}"
            )
        for axis, size in spec.axes.items():
            if shape[axis] != size and shape[axis] is not None:
                hint = ""
                if rank == 1 or (rank >= 2 and shape[0] == size):
                    hint = " Missing batch dimension? Add a batch axis: x[None]."
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': expected input with "
                    f"{_axis_words(axis, rank)} {size}, got shape {shape_str(shape)}.{hint}"
                )

    # -- weights ----------------------------------------------------------------------
    def add_weight(
        self,
        shape=(),
        initializer="glorot_uniform",
        dtype=None,
        trainable: bool = True,
        regularizer=None,
        constraint=None,
        name: str | None = None,
    ) -> Variable:
        """Create a weight (a :class:`~deepgrad.tensor.Variable`) and track it.

        Args:
            shape: the weight's shape.
            initializer: an initializer object or name (e.g. ``'zeros'``, ``'he_normal'``).
            dtype: defaults to the layer's dtype.
            trainable: whether training updates it.
            regularizer: optional regularizer object or name adding a penalty to the loss.
            constraint: optional constraint (a ``dg.constraints`` object, name such as
                ``'non_neg'``, or callable) applied to the weight after each update.
            name: the weight's name, e.g. ``'kernel'``.
        """
        from deepgrad import constraints, initializers, regularizers

        init = initializers.get(initializer)
        shape, dtype = tuple(shape), dtype or self.dtype
        if claim_weight(shape, dtype, f"{type(self).__name__} '{self.name}'"):
            value = np.zeros(shape, dtype)  # loading a file: its values replace these
        else:
            value = init(shape, dtype=dtype)
        variable = Variable(value, trainable=trainable and self._trainable, name=name)
        variable.path = scoped(f"{self.name}/{name}" if name else self.name)
        variable.regularizer = regularizers.get(regularizer) if regularizer is not None else None
        variable.constraint = constraints.get(constraint)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

    def _sublayers(self) -> list[Layer]:
        """Layers held in attributes (directly or in lists), found by looking, not tracking."""
        found, seen = [], set()
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else (value,)
            for item in items:
                if isinstance(item, Layer) and id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
        return found

    def _adopt_variables(self) -> None:
        """Add the Variables held in attributes (``self.v = dg.Variable(...)``) that
        ``add_weight`` did not make to this layer's weights, once: Keras tracks them as the
        layer's weights (fit trains them, save keeps them). Found by looking, as the
        sublayers are; they go before the ``add_weight`` ones, the order Keras gives a
        variable made in ``__init__``. deepgrad differs: a Variable inside a list or dict
        attribute is not adopted (a model keeps lists of its variables for its own use).

        >>> class Offset(Layer):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.shift = Variable(np.zeros(2, "float32"), name="shift")
        >>> [v.name for v in Offset().weights]
        ['shift']
        """
        known = None
        for item in list(vars(self).values()):
            if not isinstance(item, Variable):
                continue
            if known is None:
                known = {id(v) for v in self._trainable_weights + self._non_trainable_weights}
            if id(item) in known:
                continue
            known.add(id(item))
            adopted = self.__dict__.setdefault("_adopted_counts", [0, 0])
            which = 0 if item.trainable else 1
            target = self._trainable_weights if which == 0 else self._non_trainable_weights
            target.insert(adopted[which], item)
            adopted[which] += 1

    @property
    def weights(self) -> list[Variable]:
        """All weights: this layer's trainable ones, its non-trainable ones, then sublayers'."""
        out = self._own_variables()
        seen = {id(v) for v in out}
        for layer in self._sublayers():
            for v in layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if v.trainable] if self.trainable else []

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self._adopt_variables()
        for v in self._trainable_weights:
            v.trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    def get_weights(self) -> list[np.ndarray]:
        """Return copies of the weights as NumPy arrays, in Keras's order."""
        return [v.data.copy() for v in self.weights]

    def set_weights(self, weights) -> None:
        """Set the weights from a list of arrays in :meth:`get_weights`'s order.

        Raises:
            ValueError: if the number of arrays or any shape differs; nothing is changed then.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': set_weights expected a list of "
                f"{len(own)} arrays ({', '.join(v.path or '?' for v in own) or 'no weights'}), "
                f"got {len(weights)}."
            )
        arrays = [np.asarray(w) for w in weights]
        for v, a in zip(own, arrays):
            if v.shape != a.shape:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': weight '{v.path}' has shape "
                    f"{v.shape}, but the array given for it has shape {a.shape}."
                )
        for v, a in zip(own, arrays):
            v.assign(a)

    def _own_variables(self) -> list[Variable]:
        """This layer's own weights (not its sublayers'), trainable ones first, the
        Variables held in attributes among them (:meth:`_adopt_variables`)."""
        self._adopt_variables()
        return self._trainable_weights + self._non_trainable_weights

    def save_own_variables(self, store: dict) -> None:
        """Put this layer's own weights (not its sublayers') in ``store`` under ``"0"``,
        ``"1"``, ...: what ``model.save``, ``save_weights`` and ``.weights.h5`` files hold
        for it, as in Keras 3. Override it, with :meth:`load_own_variables`, to save other
        state too (arrays, under keys of your choice).

        >>> class Scale(Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(1,), initializer="ones")
        >>> layer = Scale(); layer.build((None, 1)); store = {}
        >>> layer.save_own_variables(store); sorted(store)
        ['0']
        """
        for i, variable in enumerate(self._own_variables()):
            store[str(i)] = variable

    def load_own_variables(self, store) -> None:
        """Assign this layer's own weights from ``store``, as :meth:`save_own_variables`
        wrote them. Loading calls it only where a class overrides it; for every other layer
        deepgrad checks the file's shapes and dtypes for the whole model first and assigns
        nothing until all fit.

        Raises:
            ValueError: if ``store`` holds another number of weights than the layer has.
        """
        own = self._own_variables()
        if len(store) != len(own):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected {len(own)} weights "
                f"({', '.join(v.path or '?' for v in own) or 'none'}) to load. Received "
                f"{len(store)}: {sorted(store)}"
            )
        for i, variable in enumerate(own):
            variable.assign(store[str(i)])

    def count_params(self) -> int:
        """Return the number of scalars in the layer's weights.

        Raises:
            ValueError: if the layer is not built yet.
        """
        if not self.built:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': count_params() needs a built layer. "
                "To fix, call the layer on data or give the model an input shape first."
            )
        return int(sum(v.size for v in self.weights))

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties: weight regularizers and the last call's activity ones."""
        out = [
            v.regularizer(v)
            for v in self._trainable_weights + self._non_trainable_weights
            if v.regularizer is not None
        ]
        out += self._activity_losses
        out += self._added_losses
        for layer in self._sublayers():
            out += layer.losses
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class FusedCall:
    """``second(first(inputs))`` run as one op (``run``, from ``first.fuse(second)``), with
    what ``Layer.__call__`` does for each layer around it: inputs converted to ``first``'s
    dtype, each layer's input checks (a later layer's on the shape the one before would
    output), ``training`` passed on, the last layer's activity regularizer applied to the
    output. ``then`` continues the chain (``first.fuse(second, *then)``). Layers not built
    yet, or a ``run`` that declines, take ``first``'s call and then the rest, themselves
    fused where ``second.fuse(*then)`` can. The inputs are a Tensor, or a list of them for
    a merging layer (``Add`` then ``ReLU``).

    >>> import deepgrad as dg
    >>> conv, pool = dg.layers.Conv2D(2, 3), dg.layers.MaxPooling2D(2)
    >>> x = np.ones((1, 6, 6, 1), np.float32)
    >>> expected = pool(conv(x))
    >>> np.allclose(FusedCall(conv, pool, conv.fuse(pool))(x).data, expected.data)
    True
    """

    __slots__ = ("first", "second", "run", "then", "rest")

    def __init__(self, first: Layer, second: Layer, run: Callable, then: tuple = ()) -> None:
        self.first, self.second, self.run, self.then = first, second, run, tuple(then)
        self.rest = None  # the later calls fused among themselves, if they can
        if self.then:
            rest = fuse_chain(second, self.then)
            if rest is not None:
                self.rest = FusedCall(second, self.then[0], rest, self.then[1:])

    def __call__(self, inputs, training=None):
        first, second, then = self.first, self.second, self.then
        if type(inputs) is not Tensor or inputs.data.dtype.kind in "biu":
            inputs = first._convert_inputs(inputs)
        outputs = None
        if first.built and second.built and _tensors(inputs) and all(
                layer.built for layer in then):
            if first.input_spec is not None:
                first._check_input_spec(inputs)
            shape, before = _shapes(inputs), first
            for layer in (second, *then):
                if layer.input_spec is not None or then:
                    shape = before.compute_output_shape(shape)
                if layer.input_spec is not None:
                    layer._check_shape(shape)
                before = layer
            outputs = self.run(inputs, training)
        if outputs is None:
            x = first(inputs, training=training)
            if self.rest is not None:
                return self.rest(x, training)
            for layer in (second, *then):
                x = layer(x, training=training)
            return x
        last = then[-1] if then else second
        if last.activity_regularizer is not None:
            last._activity_losses = activity_penalties(last.activity_regularizer, outputs)
        return outputs


class InputFusedCall:
    """A merging call that took the call making one of its inputs into its own op:
    ``merge([..., producer(x), ...])``, with the producer's input ``x`` at ``index`` of
    the inputs, run as one op (``run``, from ``merge_layer.fuse_input(producer, index,
    following)``; ``Add`` after a convolution and batch norm: the residual sum in the
    convolution's blocks). Where ``run`` declines, ``producer`` and then ``merge`` (each
    a layer or a :class:`FusedCall`) run as they are.

    >>> import deepgrad as dg
    >>> conv, bn, add = dg.layers.Conv2D(2, 1), dg.layers.BatchNormalization(), dg.layers.Add()
    >>> x, other = np.ones((1, 3, 3, 2), np.float32), np.ones((1, 3, 3, 2), np.float32)
    >>> expected = add([other, bn(conv(x))]).data
    >>> producer = FusedCall(conv, bn, conv.fuse(bn))
    >>> call = InputFusedCall(producer, add, 1, add.fuse_input(producer, 1))
    >>> np.allclose(call([Tensor(other), Tensor(x)]).data, expected)
    True
    """

    __slots__ = ("producer", "merge", "index", "run")

    def __init__(self, producer, merge, index: int, run: Callable) -> None:
        self.producer, self.merge, self.index, self.run = producer, merge, index, run

    def __call__(self, inputs, training=None):
        outputs = self.run(inputs, training)
        if outputs is None:
            inputs = list(inputs)
            inputs[self.index] = self.producer(inputs[self.index], training=training)
            return self.merge(inputs, training=training)
        return outputs


# The depth of layer calls in this thread: a call at depth 0 is an outermost one.
_CALLS = threading.local()
# Layers holding add_loss losses; an outermost call clears those of its own layers.
_LOSS_HOLDERS: weakref.WeakSet = weakref.WeakSet()


def all_layers(layer: Layer) -> list[Layer]:
    """``layer`` and every layer inside it, depth first, each before its sublayers and
    these in their order (a shared layer as often as it is held).

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    >>> [type(l).__name__ for l in all_layers(model)]
    ['Sequential', 'Dense']
    """
    found, stack = [], [layer]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(current._sublayers()))
    return found


def _clear_added_losses(layer: Layer) -> None:
    family = {id(member) for member in all_layers(layer)}
    for holder in list(_LOSS_HOLDERS):
        if id(holder) in family:
            holder._added_losses = []
            _LOSS_HOLDERS.discard(holder)


def added_losses(layers_ids: set[int]) -> list[Tensor]:
    """The add_loss losses held now by the layers whose ids are given (a model's step)."""
    return [loss for holder in list(_LOSS_HOLDERS) if id(holder) in layers_ids
            for loss in holder._added_losses]


def _tensors(inputs) -> bool:
    """Whether ``inputs`` is a Tensor or a list of Tensors (a merging layer's)."""
    if type(inputs) is Tensor:
        return True
    return isinstance(inputs, list) and all(type(t) is Tensor for t in inputs)


def _shapes(inputs):
    return inputs.shape if type(inputs) is Tensor else [t.shape for t in inputs]


def fuse_chain(layer: Layer, following) -> Callable | None:
    """``layer.fuse(*following)``, or None where ``layer.fuse`` takes one layer only (a
    ``fuse(self, following)`` written before chains) and more are given.

    >>> fuse_chain(Layer(), [Layer(), Layer()]) is None
    True
    """
    following = tuple(following)
    if len(following) > 1 and not _takes_chains(type(layer).fuse):
        return None
    return layer.fuse(*following)


@functools.lru_cache(maxsize=256)
def _takes_chains(fuse: Callable) -> bool:
    params = inspect.signature(fuse).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)


def activity_penalties(regularizer: Callable, outputs) -> list:
    """The activity regularizer's penalty on each output, divided by the batch size (Keras
    3's rule, so the penalty does not grow with the batch).

    >>> import deepgrad as dg
    >>> out = Tensor(np.ones((5, 2), np.float32))
    >>> float(activity_penalties(dg.regularizers.L1(1.0), out)[0].data)  # 10 / 5
    2.0
    """
    penalties = []
    for output in tree.flatten(outputs):
        penalty = regularizer(output)
        if getattr(output, "ndim", 0) > 0 and output.shape[0]:
            penalty = penalty / output.shape[0]
        penalties.append(penalty)
    return penalties


def _marking_built(build: Callable) -> Callable:
    """``build`` that then marks the layer built and notes the shape it was built for
    (Keras's ``build_wrapper``; every subclass's ``build`` is wrapped once, at class creation).
    """
    if getattr(build, "_marks_built", False):
        return build

    @functools.wraps(build)
    def build_and_mark(self, *args, **kwargs):
        build(self, *args, **kwargs)
        if self._build_shapes is None and (args or "input_shape" in kwargs):
            self._build_shapes = args[0] if args else kwargs["input_shape"]
        self.built = True

    build_and_mark._marks_built = True
    return build_and_mark


Layer.build = _marking_built(Layer.build)

_ACCEPTS_TRAINING: dict[type, bool] = {}
_ACCEPTS_MASK: dict[type, bool] = {}
_OVERRIDES_MASK: dict[type, bool] = {}


def _overrides_compute_mask(cls: type) -> bool:
    """Whether ``cls`` makes masks of its own (so compute_mask runs without an input mask)."""
    found = _OVERRIDES_MASK.get(cls)
    if found is None:
        found = _OVERRIDES_MASK[cls] = cls.compute_mask is not Layer.compute_mask
    return found


def output_masks(outputs, masks) -> list[tuple]:
    """``(output, mask)`` pairs from ``compute_mask``'s answer: one mask for a single
    output, else one per output in flatten order (none where it gave None).

    >>> output_masks("y", None), output_masks(["a", "b"], [None, "m"])
    ([], [('a', None), ('b', 'm')])
    """
    if masks is None:
        return []
    flat_outputs = tree.flatten(outputs)
    single = len(flat_outputs) == 1 and not isinstance(masks, (list, tuple))
    return list(zip(flat_outputs, [masks] if single else tree.flatten(masks)))


def input_mask(inputs):
    """The mask noted for ``inputs`` (a tensor, or a list of them: a list of masks), or None."""
    if type(inputs) is Tensor:
        return get_keras_mask(inputs)
    if isinstance(inputs, (list, tuple)):
        masks = [get_keras_mask(t) if isinstance(t, Tensor) else None for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def _as_shape(shape, layer) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(None if s is None else int(s) for s in shape)
    except TypeError:
        raise TypeError(
            f"{type(layer).__name__}: `input_shape` must be a tuple of ints. Received: {shape!r}"
        ) from None


def _axis_words(axis: int, rank: int) -> str:
    if axis == -1 or axis == rank - 1:
        return "last dimension"
    return f"dimension {axis} of size"


def shapes_of(structure):
    """The shapes of a structure of tensors (or arrays), as ``build`` receives them: a tuple
    per tensor, several in a list, a dict kept a dict.

    >>> shapes_of([np.zeros((2, 3)), {"a": KerasTensor((None, 4))}])
    [(2, 3), {'a': (None, 4)}]
    """
    if not isinstance(structure, (list, tuple, dict)):
        return _shape(structure)
    listed = tree.traverse(_tuple_to_list, structure, top_down=False)
    return tree.map_structure(_shape, listed)


def _shape(value) -> tuple:
    shape = getattr(value, "shape", None)
    return tuple(np.shape(value) if shape is None else shape)


def _tuple_to_list(item):
    return list(item) if isinstance(item, tuple) else None


def _is_nested_scalars(value) -> bool:
    """Whether ``value`` is a (nested) list of Python numbers or strings, which NumPy
    reads as one array (``[["A"], ["B"]]``)."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_is_nested_scalars(v) for v in value)
    return isinstance(value, (int, float, str, bytes, np.generic))


def _holds_strings(inputs) -> bool:
    """Whether ``inputs`` (a Tensor, a KerasTensor or a list of them) hold text."""
    if type(inputs) is Tensor:
        kind = inputs.data.dtype.kind
        if kind in "US":
            return True
        if kind == "O" and inputs.data.size:
            return isinstance(inputs.data.flat[0], (str, bytes))
        return False
    if isinstance(inputs, KerasTensor):
        return inputs.dtype == "string"
    if isinstance(inputs, (list, tuple, dict)):
        return any(_holds_strings(i) for i in tree.flatten(inputs))
    return False


def _is_symbolic(inputs) -> bool:
    if isinstance(inputs, KerasTensor):
        return True
    if isinstance(inputs, (list, tuple)) and inputs:
        return any(isinstance(i, KerasTensor) for i in inputs)
    if isinstance(inputs, dict) and inputs:
        return any(isinstance(i, KerasTensor) for i in inputs.values())
    return False
