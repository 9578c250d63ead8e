"""TensorBoard: write training curves, weight histograms and images for ``tensorboard --logdir``.

Keras's layout and tags: ``<log_dir>/train`` and ``<log_dir>/validation`` runs hold
``epoch_<metric>`` scalars per epoch (``epoch_learning_rate`` too), ``batch_<metric>``
scalars every ``update_freq`` batches, ``evaluation_<metric>_vs_iterations`` after each
evaluation, and ``<layer>/<weight>/histogram`` (and ``/image``) per ``histogram_freq``
epochs. Written with the optional ``tensorboard`` package
(``pip install 'deepgrad[tensorboard]'``); TensorFlow is not needed.

>>> import tempfile
>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
>>> model.compile("sgd", "mse")
>>> log_dir = tempfile.mkdtemp()
>>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0,
...               callbacks=[dg.callbacks.TensorBoard(log_dir, histogram_freq=1)])
>>> sorted(os.listdir(log_dir))
['train']
"""

from __future__ import annotations

import os
import time

import numpy as np

from deepgrad.callbacks.base import Callback, should_write
from deepgrad.callbacks.tensorboard_projector import check_metadata, write_projector
from deepgrad.callbacks.tensorboard_writer import EventWriter

__all__ = ["TensorBoard"]


def _check_frequency(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"TensorBoard: `{name}` must be an int >= 0 (0: never). "
                         f"Received: {name}={value!r}")
    return int(value)


def weight_image(weight: np.ndarray) -> np.ndarray | None:
    """A weight as uint8 grayscale image(s) ``(n, h, w)``, or None when it has no picture.

    Keras's shapes: a bias is one row, a Dense kernel an image with the longer axis
    across, a 3-D kernel one image per input channel; 4-D and larger are not drawn.
    Values are scaled from their minimum (black) to their maximum (white).

    >>> weight_image(np.array([[0.0, 1.0, 2.0]])).tolist()
    [[[0, 127, 255]]]
    """
    array = np.squeeze(np.asarray(weight, dtype=np.float64))
    if array.ndim == 1:
        images = array[None, None, :]
    elif array.ndim == 2:
        images = (array.T if array.shape[0] > array.shape[1] else array)[None]
    elif array.ndim == 3:
        images = np.transpose(array, (2, 0, 1))
    else:
        return None
    low, high = images.min(), images.max()
    scaled = (images - low) / (high - low) if high > low else np.zeros_like(images)
    return (scaled * 255).astype(np.uint8)


class TensorBoard(Callback):
    """Write logs, learning rate, weight histograms and images for TensorBoard, as Keras.

    Args:
        log_dir: the folder of the runs (``train/`` and ``validation/`` inside).
        histogram_freq: write weight histograms every this many epochs (0: never).
        write_graph: accepted for Keras compatibility; like Keras 3 on its other
            backends, no graph is written.
        write_images: with ``histogram_freq``, also write each weight as an image.
        write_steps_per_second: also write ``steps_per_second`` (per epoch, and per batch
            with a batch-level ``update_freq``).
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an int ``n``: write the
            running ``batch_<metric>`` values every ``n`` training batches (Keras's step:
            the global batch count, from 1).
        profile_batch: must be 0: deepgrad has no profiler trace for TensorBoard (Keras 3
            raises the same on its NumPy and torch backends).
        embeddings_freq: every this many epochs, write each ``Embedding`` layer's table
            for TensorBoard's projector (0: never), as a TSV file with
            ``projector_config.pbtxt`` in ``<log_dir>/train`` (Keras writes a TensorFlow
            checkpoint instead).
        embeddings_metadata: a metadata file for every embedding layer, or a dict from
            layer name to file (paths as TensorBoard reads them, relative to the run).

    Raises:
        ValueError: for a bad frequency or ``profile_batch`` != 0; (when training starts)
            for ``embeddings_metadata`` naming a layer that is not an ``Embedding``.
        ImportError: (when training starts) without the tensorboard package.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq: int = 0,
        embeddings_metadata=None,
    ):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_frequency("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (_check_frequency("update_freq", update_freq) == 0):
            raise ValueError("TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive "
                             f"int. Received: update_freq={update_freq!r}")
        self.update_freq = update_freq
        if profile_batch not in (0, None, "0", (0, 0)):
            raise ValueError(
                "Profiling is not available in deepgrad. Received: "
                f"profile_batch={profile_batch} (must be 0)"
            )
        self.embeddings_freq = _check_frequency("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict[str, EventWriter] = {}
        self._training = False
        self._global_train_batch = 0
        self._batch_start = 0.0
        self._epoch_start = 0.0
        self._epoch_iterations = 0

    # -- writers ---------------------------------------------------------------------------
    def _writer(self, run: str) -> EventWriter | None:
        """The run's writer, made on first use (no empty runs); None where nothing is written."""
        if not should_write():
            return None
        if run not in self._writers:
            self._writers[run] = EventWriter(self._train_dir if run == "train" else self._val_dir)
        return self._writers[run]

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        return int(getattr(optimizer, "iterations", 0) or 0)

    # -- hooks -----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0
        self._writer("train")  # fail early (ImportError) rather than after the first epoch
        if self.embeddings_freq:
            check_metadata(self.model, self.embeddings_metadata)

    def on_train_end(self, logs=None):
        self._training = False
        self._close()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_iterations = self._iterations()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer = self._writer("train")
        if writer is None:
            return
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start
            writer.scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-12), step)
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0:
                writer.scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        writer = self._writer("validation")
        if writer is None or getattr(self.model, "optimizer", None) is None:
            return
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0:
                writer.scalar(f"evaluation_{name}_vs_iterations", value, self._iterations())
        if not self._training:  # evaluate() on its own: nothing else will close the file
            self._close()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start
            train["steps_per_second"] = (self._iterations() - self._epoch_iterations) / max(
                elapsed, 1e-12)
        for run, values in (("train", train), ("validation", validation)):
            writer = self._writer(run) if values else None
            if writer is None:
                continue
            for name, value in values.items():
                if np.ndim(value) == 0:
                    writer.scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0 and should_write():
            write_projector(self._train_dir, self.model, self.embeddings_metadata)
        for writer in self._writers.values():
            writer.flush()

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        if writer is None:
            return
        for layer in self.model.layers:
            for weight in layer.weights:
                name = getattr(weight, "path", None) or f"{layer.name}/{weight.name}"
                name = name.replace(":", "_")
                values = weight.numpy() if hasattr(weight, "numpy") else np.asarray(weight)
                writer.histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    images = weight_image(values)
                    for index, image in enumerate(images if images is not None else ()):
                        suffix = f"/{index}" if len(images) > 1 else ""
                        writer.image(f"{name}/image{suffix}", image, epoch)
