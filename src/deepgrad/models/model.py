"""Model: a Layer that can be compiled, trained, evaluated and used to predict.

``Model.train_step(data)`` is the one overridable unit of training; ``fit`` (in
``training.py``) owns epochs, shuffling, validation, callbacks and progress. A Model is
built three ways, as in Keras: ``dg.Sequential``, the functional form
``dg.Model(inputs, outputs)``, or a subclass that defines ``call``.

>>> import deepgrad as dg
>>> inputs = dg.Input(shape=(4,))
>>> outputs = dg.layers.Dense(3, activation="softmax")(inputs)
>>> model = dg.Model(inputs, outputs)
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
>>> model.predict(np.zeros((2, 4))).shape
(2, 3)
"""

from __future__ import annotations

import inspect

from deepgrad import metrics as metrics_module
from deepgrad import optimizers as optimizers_module
from deepgrad import tree
from deepgrad.kernels import parallel
from deepgrad.layers.base import Layer, added_losses, all_layers, shapes_of, unique_name
from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.models import dense_step, training
from deepgrad.models.cloning import clone_graph_nodes, is_input_tensor
from deepgrad.models.compile_utils import CompiledLoss, CompiledMetrics, by_output
from deepgrad.models.data_adapter import unpack
from deepgrad.tensor import grad, no_grad

# Whether a Model class's compute_loss takes `training` (an override may not).
_COMPUTE_LOSS_TAKES_TRAINING: dict[type, bool] = {}

__all__ = ["Model", "model_from_json"]


class Model(Layer):
    """A trainable network: ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``.

    Args:
        inputs: for the functional form, the ``dg.Input`` tensor(s).
        outputs: for the functional form, the output KerasTensor(s).
        name: the model's name.

    Subclass it and define ``call(inputs, training=False)`` (and layers in ``__init__``)
    for a subclassed model.
    """

    def __init__(self, inputs=None, outputs=None, name: str | None = None, **kwargs):
        if name is None and type(self) is Model and (inputs is not None or outputs is not None):
            name = unique_name("functional")  # Keras 3's name for dg.Model(inputs, outputs)
        super().__init__(name=name, **kwargs)
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._train_variables = None
        self._penalty_sources = None
        self._dense_step = None
        self.run_eagerly = False
        self._graph = None
        if inputs is not None or outputs is not None:
            from deepgrad.models.functional import Graph

            if inputs is None or outputs is None:
                raise ValueError("Model: give both `inputs` and `outputs` for a functional model.")
            flat = tree.flatten(inputs)
            if all(isinstance(t, KerasTensor) for t in flat) and not all(
                    is_input_tensor(t) for t in flat):
                # Intermediate tensors as inputs (Keras): new Inputs, the calls recorded again.
                inputs, outputs = clone_graph_nodes(inputs, outputs)
            self._graph = Graph(inputs, outputs, model_name=self.name)
            self._graph.plan  # noqa: B018 (checks the graph and makes the plan now)
            self.built = True

    @property
    def _casts_integer_inputs(self) -> bool:
        # A graph model leaves the conversion to its inputs' InputLayers, which keep
        # integer ids integer when the Input says so (dtype="int64").
        return self._graph is None

    # -- structure ----------------------------------------------------------------------
    def call(self, inputs, training=None):
        if self._graph is None:
            raise NotImplementedError(
                f"Model '{self.name}': a subclassed Model must define call(inputs, training=None)."
            )
        return self._graph.run(inputs, training=training)

    def compute_output_shape(self, input_shape):
        if self._graph is not None:
            return self._graph.output_shapes()
        return super().compute_output_shape(input_shape)

    @property
    def layers(self) -> list[Layer]:
        return self._sublayers()

    def _sublayers(self) -> list[Layer]:
        if self._graph is not None:
            return self._graph.layers
        return super()._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Return a layer by name or by index.

        Raises:
            ValueError: if no layer has that name (the valid names are listed).
        """
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"Model '{self.name}': no layer named {name!r}. Layers: "
            f"{[layer.name for layer in self.layers]}"
        )

    @property
    def inputs(self):
        return self._graph.inputs if self._graph is not None else None

    @property
    def outputs(self):
        return self._graph.outputs if self._graph is not None else None

    @property
    def input(self):
        inputs = self.inputs
        return inputs[0] if inputs is not None and len(inputs) == 1 else inputs

    @property
    def output(self):
        outputs = self.outputs
        return outputs[0] if outputs is not None and len(outputs) == 1 else outputs

    @property
    def input_shape(self):
        """The input's shape, batch axis ``None`` (several inputs: a list of shapes).

        Raises:
            AttributeError: for a model with no defined input (subclassed, not a graph).

        >>> x = dg.Input(shape=(4,))
        >>> Model(x, dg.layers.Dense(2)(x)).input_shape
        (None, 4)
        """
        return _one_or_all(shapes_of(self._graph_structure("input_shape").input_structure))

    @property
    def output_shape(self):
        """The output's shape, batch axis ``None`` (several outputs: a list of shapes)."""
        return _one_or_all(self._graph_structure("output_shape").output_shapes())

    def _graph_structure(self, what: str):
        if self._graph is None:
            raise AttributeError(
                f"Model '{self.name}' (a subclassed {type(self).__name__}) has no defined "
                f"{what}: its layers are only known when it is called. Build it with "
                "dg.Model(inputs, outputs) or dg.Sequential for shapes known in advance."
            )
        return self._graph

    @property
    def output_names(self) -> list[str]:
        if self._graph is not None:
            return self._graph.output_names
        return [self.name]

    # -- config (a functional model's is its graph, written by the saving tier) ----------
    def get_config(self) -> dict:
        """A functional model's layers, their calls, inputs and outputs (Keras's form); a
        subclassed model's constructor arguments (override it)."""
        if self._graph is None or type(self).get_config is not Model.get_config:
            return super().get_config()
        from deepgrad.saving.serialization import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> Model:
        """A new model (new weights) from :meth:`get_config`'s dict, as Keras's.

        >>> x = dg.Input(shape=(3,))
        >>> model = Model(x, dg.layers.Dense(2)(x))
        >>> Model.from_config(model.get_config()).output_shape
        (None, 2)
        """
        if "input_layers" in config and "layers" in config and "inputs" not in config:
            from deepgrad.models.functional import functional_from_config
            from deepgrad.saving.serialization import deserialize_graph_layer

            return functional_from_config(
                cls, config, lambda spec: deserialize_graph_layer(spec, custom_objects))
        return super().from_config(config)

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON (Keras 3's form); :func:`model_from_json` reads it.

        Args:
            **kwargs: passed to ``json.dumps`` (e.g. ``indent=2``).

        >>> model = dg.Sequential([dg.Input(shape=(3,)), dg.layers.Dense(2)])
        >>> model_from_json(model.to_json()).output_shape
        (None, 2)
        """
        import json

        from deepgrad.saving.serialization import serialize_model

        return json.dumps(serialize_model(self), **kwargs)

    def summary(
        self,
        line_length: int | None = None,
        positions=None,
        print_fn=None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        show_flops: bool = False,
    ) -> None:
        """Print the layers with output shapes and parameter counts, as Keras does."""
        from deepgrad.models.summary import print_summary

        print_summary(
            self,
            line_length=line_length,
            print_fn=print_fn,
            show_trainable=show_trainable,
            show_flops=show_flops,
        )

    # -- compile ------------------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile="auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Set the optimizer, loss(es) and metrics for training.

        Args:
            optimizer: name (``'adam'``), class or instance.
            loss: name, function or ``Loss``; a list or dict for several outputs.
            loss_weights: optional per-output weights (list or dict).
            metrics: names, functions or ``Metric`` objects; ``'accuracy'`` is resolved to
                binary, categorical or sparse categorical accuracy as Keras does. As in
                Keras they ignore ``sample_weight`` and ``class_weight``.
            weighted_metrics: like ``metrics``, weighted by ``sample_weight`` or
                ``class_weight``; one whose name a plain metric has is logged as
                ``weighted_<name>`` (Keras's rule).
            run_eagerly: ``True`` runs every training step layer by layer through the
                tape (Keras: no compiled step), also where a plain stack of Dense layers
                would run its compiled step (:mod:`deepgrad.models.dense_step`); the
                results are the same, bit for bit.

        Raises:
            ValueError: for unknown names (the valid ones are listed).
        """
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        # The arguments as given, for saving (deepgrad.saving.compile_config).
        self._compile_config = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        self.compiled_loss = (
            CompiledLoss(loss, loss_weights, self.output_names) if loss is not None else None
        )
        losses = (
            self.compiled_loss.losses if self.compiled_loss else [None] * len(self.output_names)
        )
        self.compiled_metrics = CompiledMetrics(
            metrics, self.output_names, losses, weighted_metrics
        )
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = None
        # One tracker per output loss where more than one output has a loss (Keras 3's
        # CompileLoss): with a single one, ``loss`` already says it all.
        if self.compiled_loss is not None and sum(
            fn is not None for fn in self.compiled_loss.losses
        ) > 1:
            self._output_loss_trackers = [
                metrics_module.Mean(name=f"{name}_loss") if fn is not None else None
                for name, fn in zip(self.output_names, self.compiled_loss.losses)
            ]
        self._train_variables = None
        self._dense_step = None
        self.run_eagerly = bool(run_eagerly)
        self.compiled = True

    def _require_compiled(self, who: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"Model '{self.name}': you must call compile() before {who}(). For example: "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                "metrics=['accuracy'])."
            )

    # -- one step -----------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Return the total loss: the compiled loss(es) plus the layers' regularization."""
        total = None
        if self.compiled_loss is not None:
            total, parts = self.compiled_loss(
                by_output(y, self.output_names, self.compiled_loss.losses),
                tree.flatten(y_pred),
                sample_weight,
            )
            if self._output_loss_trackers is not None:
                n = len(tree.flatten(x)[0])
                for tracker, part in zip(self._output_loss_trackers, parts):
                    if tracker is not None:
                        tracker.update_state(float(part.data), sample_weight=n)
        penalties = self._penalties() if training else self.losses
        for penalty in penalties:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError(
                f"Model '{self.name}': no loss to optimize. Pass `loss=` to compile()."
            )
        return total

    def _penalties(self) -> list:
        """This step's regularization terms, from the layers found to have regularizers.

        The search runs once per fit (``_train_variables`` is reset then); a step only
        evaluates the regularizers.
        """
        sources = self._penalty_sources
        if sources is None:
            layers = all_layers(self)
            sources = self._penalty_sources = (
                [v for layer in layers
                 for v in layer._trainable_weights + layer._non_trainable_weights
                 if v.regularizer is not None],
                [layer for layer in layers if layer.activity_regularizer is not None],
                {id(layer) for layer in layers},
            )
        variables, active, family = sources
        out = [v.regularizer(v) for v in variables]
        for layer in active:
            out += layer._activity_losses
        return out + added_losses(family)  # the layers' add_loss terms of this call

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with this batch and return all current results."""
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        logs = {"loss": float(self._loss_tracker.result())}
        for tracker in self._output_loss_trackers or []:
            if tracker is not None:
                logs[tracker.name] = float(tracker.result())
        logs.update(self.compiled_metrics.results())
        return logs

    @property
    def metrics(self) -> list:
        """The loss trackers and the compiled metrics; before the first batch resolves the
        compiled metrics, Keras's ``compile_metrics`` stands for them (see
        :class:`~deepgrad.models.compile_utils.CompiledMetrics`)."""
        found = [self._loss_tracker] if self.compiled else []
        found += [t for t in getattr(self, "_output_loss_trackers", None) or [] if t is not None]
        if self.compiled:
            compiled = self.compiled_metrics
            found += [compiled] if compiled.stands_in else compiled.all
        return found

    @property
    def metrics_names(self) -> list[str]:
        """The names in the logs, in :attr:`metrics`' order: a compiled metric by its logged
        name (its output's name in front for several outputs, ``weighted_<name>`` for a
        weighted metric whose name a plain one has); ``evaluate`` lists values this way.
        (Keras 3 says ``['loss', 'compile_metrics']``.)"""
        compiled = getattr(self, "compiled_metrics", None)
        logged = {}
        if compiled is not None and compiled.metrics is not None:
            logged = {id(m): name for built in compiled.metrics for name, m, _ in built}
        return [logged.get(id(m), m.name) for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def train_step(self, data) -> dict:
        """One training step on a batch: forward, loss, gradients, update, metrics.

        A plain stack of Dense layers with a common loss runs its step compiled
        (:mod:`deepgrad.models.dense_step`: the same arithmetic, bit for bit, without the
        tape's overhead), unless compiled with ``run_eagerly=True``.
        """
        fast = self._dense_step
        if fast is None and self.built and self.compiled:
            if self._train_variables is None:
                self._train_variables = self.trainable_variables
            fast = self._dense_step = dense_step.plan(self, self._train_variables) or False
        if fast:
            logs = fast(data)
            if logs is not None:
                return logs
        x, y, sample_weight = unpack(data)
        y_pred = self._step_call(x, True)
        loss = self._step_loss(x, y, y_pred, sample_weight, True)
        variables = self._train_variables
        if variables is None:
            variables = self._train_variables = self.trainable_variables
        # The optimizer's loss_scale_factor scales the loss here and its gradients back in
        # apply; the tracker keeps the loss itself (Keras's order).
        scaled = self.optimizer.scale_loss(loss)
        # The step's graph is its own: each op's saved arrays go as soon as its backward
        # has run, and the gradients are summed straight into the optimizer's flat buffer
        # (peak memory in benchmarks/models.py: one weight-sized array less).
        buffers = self.optimizer.gradient_buffers(variables)
        self.optimizer.apply(grad(scaled, variables, release=True, out=buffers), variables)
        self._loss_tracker.update_state(float(loss.data), sample_weight=len(tree.flatten(x)[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data) -> dict:
        """One evaluation step on a batch: forward in inference mode, loss, metrics."""
        x, y, sample_weight = unpack(data)
        with no_grad():
            y_pred = self._step_call(x, False)
            loss = self._step_loss(x, y, y_pred, sample_weight, False)
        self._loss_tracker.update_state(float(loss.data), sample_weight=len(tree.flatten(x)[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """Forward pass in inference mode; returns NumPy array(s). A chain of Dense layers
        runs as plain products (:func:`deepgrad.models.dense_step.predict`, the same bits)."""
        x, _, _ = unpack(data)
        out = dense_step.predict(self, x)
        if out is not None:
            return out
        with no_grad():
            out = self._step_call(x, False)
        return training.to_numpy(out)

    def _step_loss(self, x, y, y_pred, sample_weight, training: bool):
        """The built-in steps' :meth:`compute_loss`; as Keras's, an override that takes no
        ``training`` (keras.io's knowledge distillation example) is called without it."""
        cls = type(self)
        takes = _COMPUTE_LOSS_TAKES_TRAINING.get(cls)
        if takes is None:
            takes = _COMPUTE_LOSS_TAKES_TRAINING[cls] = (
                "training" in inspect.signature(cls.compute_loss).parameters
            )
        if takes:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _step_call(self, x, training: bool):
        """The built-in steps' forward pass. As Keras's, it gives ``training`` only to a
        ``call`` that names it: a subclassed model whose ``call(x)`` has none runs its
        layers with ``training=None`` (inference behaviour) in ``fit`` too, as in Keras;
        a custom ``train_step`` that calls ``self(x, training=True)`` passes it on."""
        return self(x, training=training) if self._accepts_training else self(x)

    # -- saving (deepgrad.saving, the tier above models: imported on use, as Keras's
    # model.py imports saving_api) --------------------------------------------------------
    def save(self, filepath, overwrite: bool = True) -> None:
        """Save architecture, weights, compile settings and optimizer state to one file."""
        from deepgrad.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite)

    def get_compile_config(self) -> dict | None:
        """The compile settings as ``model.save`` stores them (None if not compiled), as
        Keras's. Override it with :meth:`compile_from_config` when ``compile`` takes other
        arguments (keras.io "Customizing saving"): what it returns is serialized on save
        and handed to ``compile_from_config`` on load.

        >>> model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
        >>> model.compile("sgd", "mse"); model.get_compile_config()["loss"]
        'mse'
        """
        from deepgrad.saving.compile_config import serialize_compile

        return serialize_compile(self)

    def compile_from_config(self, config: dict) -> None:
        """Compile from :meth:`get_compile_config`'s (serialized) output, as Keras's;
        ``load_model`` calls it."""
        from deepgrad.saving.compile_config import compile_from_config

        compile_from_config(self, config)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Save only the weights (a ``.weights.safetensors`` file)."""
        from deepgrad.saving import saving_api

        saving_api.save_weights(self, filepath, overwrite=overwrite)

    def _load_checkpoint(self, filepath) -> None:
        """Restore a ``save`` file into this model: weights, optimizer state, random
        generators (``dg.callbacks.BackupAndRestore`` resumes a killed ``fit`` with it)."""
        from deepgrad.saving import saving_api

        saving_api.load_checkpoint(self, filepath)

    def load_weights(self, filepath, skip_mismatch: bool = False) -> None:
        """Load weights saved by :meth:`save_weights` or :meth:`save` (or a Keras ``.h5``)."""
        from deepgrad.saving import saving_api

        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath, format: str = "onnx", verbose=None, input_signature=None,
               **kwargs) -> None:
        """Export the inference pass for deployment (Keras 3's ``export``).

        deepgrad writes ``format="onnx"`` (its default: Keras's ``"tf_saved_model"`` needs
        TensorFlow); ``opset_version=`` may be passed. See
        :func:`deepgrad.export.export_onnx` (needs ``pip install deepgrad[onnx]``).
        """
        if format != "onnx":
            raise ValueError(
                f"Model '{self.name}': export supports format='onnx' only. Received: "
                f"format={format!r}"
            )
        from deepgrad.export import onnx_export

        onnx_export.export_onnx(self, filepath, verbose=verbose,
                                input_signature=input_signature, **kwargs)

    # -- loops (training.py) --------------------------------------------------------------
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs: int = 1,
        verbose="auto",
        callbacks=None,
        validation_split: float = 0.0,
        validation_data=None,
        shuffle: bool = True,
        class_weight=None,
        sample_weight=None,
        initial_epoch: int = 0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq: int = 1,
        stop_on_nan: bool = True,
    ):
        """Train for ``epochs`` epochs; return a ``History`` (one value per epoch per metric).

        ``stop_on_nan=False`` keeps training when the loss becomes NaN or inf (by default
        fit stops with an error naming the epoch and batch). Passing a
        ``dg.callbacks.TerminateOnNaN`` turns the error off too: the callback then ends
        training quietly, as in Keras.
        """
        with parallel.own_threads():
            return training.fit(
                self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                callbacks=callbacks, validation_split=validation_split,
                validation_data=validation_data, shuffle=shuffle, class_weight=class_weight,
                sample_weight=sample_weight, initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
                validation_batch_size=validation_batch_size, validation_freq=validation_freq,
                stop_on_nan=stop_on_nan,
            )

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict: bool = False,
    ):
        """Return the loss, or ``[loss, *metrics]`` (or a dict with ``return_dict=True``)."""
        with parallel.own_threads():
            return training.evaluate(
                self, x, y, batch_size=batch_size, verbose=verbose,
                sample_weight=sample_weight, steps=steps, callbacks=callbacks,
                return_dict=return_dict,
            )

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Return the model's outputs for ``x`` as NumPy array(s)."""
        with parallel.own_threads():
            return training.predict(self, x, batch_size=batch_size, verbose=verbose,
                                    steps=steps, callbacks=callbacks)

    def train_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Run one training step on one batch; return the loss (and metrics).

        Under ``dg.distribution.DataParallel`` each rank passes its own batch; see
        :func:`deepgrad.models.training.batch_step`."""
        self._require_compiled("train_on_batch")
        self.reset_metrics()
        batch = training.prepare_batch(self, x, y, sample_weight, "train_on_batch")
        with parallel.own_threads():
            logs = training.batch_step(self, "train")(batch)
        return training.format_result(self, logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Evaluate one batch; return the loss (and metrics)."""
        self._require_compiled("test_on_batch")
        self.reset_metrics()
        batch = training.prepare_batch(self, x, y, sample_weight, "test_on_batch")
        with parallel.own_threads():
            logs = training.batch_step(self, "test")(batch)
        return training.format_result(self, logs, return_dict)

    def predict_on_batch(self, x):
        """Predict one batch."""
        batch = (training.prepare_batch(self, x, None, None, "predict_on_batch")[0],)
        with parallel.own_threads():
            return self.predict_step(batch)


def _one_or_all(shapes):
    """A list of one shape as the shape alone (Keras's input_shape/output_shape)."""
    return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Model:
    """A new model (new weights) from :meth:`Model.to_json`'s text, as Keras's.

    Custom classes are found as ``load_model`` finds them: registered with
    ``dg.saving.register_keras_serializable``, or in ``custom_objects``.

    Raises:
        ValueError: for text that is not JSON or not a model description.

    >>> model = dg.Sequential([dg.Input(shape=(3,)), dg.layers.Dense(2)])
    >>> model_from_json(model.to_json()).layers[0].units
    2
    """
    import json

    from deepgrad.registry import custom_object_scope
    from deepgrad.saving.serialization import deserialize_model

    try:
        spec = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json: the text is not JSON: {error}") from None
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(
            "model_from_json: expected a model description (Model.to_json()'s output) with "
            f"a 'class_name'. Received: {str(json_string)[:80]!r}"
        )
    with custom_object_scope(custom_objects):
        return deserialize_model(spec, custom_objects)
