"""BackupAndRestore: a killed ``fit`` started again resumes where its last backup was, bit for bit.

Each backup is a whole-model checkpoint written by ``model.save`` (weights, optimizer
slots and step count, the global and the layers' random generators: see
:mod:`deepgrad.saving.saving_api`) plus ``training_metadata.json``, which names that
checkpoint and says where training stood: the epoch, the batches already done in it, the
random generator's state when the epoch began (so the epoch's shuffle is drawn again
identically) and the running state of the loss and metrics. The metadata is replaced
atomically after the checkpoint is complete, so a kill at any moment leaves a consistent
pair; a checkpoint no longer named is deleted afterwards.

When ``fit`` starts with a backup present, ``on_train_begin`` restores it into the model
and tells the training loop to start at that epoch and batch; the epoch's batches before
it are skipped without training. The loss, metrics, weights and every random draw after
that are those of an uninterrupted run.

>>> import tempfile
>>> import deepgrad as dg
>>> folder = tempfile.mkdtemp()
>>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
>>> model.compile("sgd", "mse")
>>> backup = dg.callbacks.BackupAndRestore(folder, delete_checkpoint=False)
>>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[backup])
>>> sorted(os.listdir(folder))
['checkpoint-2.deepgrad', 'training_metadata.json']
"""

from __future__ import annotations

import json
import os

import numpy as np

from deepgrad import collective
from deepgrad import random as dg_random
from deepgrad.callbacks.base import Callback, should_write
from deepgrad.formats.atomic import write_atomic

__all__ = ["BackupAndRestore"]

METADATA = "training_metadata.json"
FORMAT = "deepgrad.backup_and_restore"


def metric_states(model) -> list[dict]:
    """The running state of each of the model's metrics (their numeric attributes), as JSON.

    Python numbers, NumPy scalars and arrays are kept with their exact values and types.

    >>> import deepgrad as dg
    >>> mean = dg.metrics.Mean(); mean.update_state([1.0, 2.0])
    >>> class Holder: metrics = [mean]
    >>> metric_states(Holder())[0]["total"]
    {'kind': 'python', 'dtype': 'float', 'data': 3.0}
    """
    states = []
    for metric in _metrics(model):
        state = {}
        for name, value in vars(metric).items():
            if isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                state[name] = {"kind": "python", "dtype": type(value).__name__, "data": value}
            elif isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf":
                state[name] = {"kind": "array" if isinstance(value, np.ndarray) else "scalar",
                               "dtype": value.dtype.name, "shape": list(np.shape(value)),
                               "data": value.tolist()}
        states.append(state)
    return states


def _metrics(model) -> list:
    """The model's metrics, without the stand-in for compiled metrics not yet built (its
    metrics' states are put back when they are built: :func:`set_metric_states`)."""
    compiled = getattr(model, "compiled_metrics", None)
    return [m for m in getattr(model, "metrics", None) or [] if m is not compiled]


def _set_states(metrics: list, states: list[dict]) -> None:
    for metric, state in zip(metrics, states):
        for name, entry in state.items():
            if entry["kind"] == "python":
                value = {"int": int, "float": float}[entry["dtype"]](entry["data"])
            elif entry["kind"] == "scalar":
                value = np.dtype(entry["dtype"]).type(entry["data"])
            else:
                value = np.asarray(entry["data"], dtype=entry["dtype"]).reshape(entry["shape"])
            setattr(metric, name, value)


def set_metric_states(model, states: list[dict]) -> None:
    """Put back what :func:`metric_states` recorded, the metrics in the same order.

    A restarted model builds its compiled metrics on its first batch (their kind depends
    on the shapes): the states of those are put back right after they are built, before
    that batch updates them.
    """
    metrics = _metrics(model)
    _set_states(metrics, states[: len(metrics)])
    rest = states[len(metrics):]
    compiled = getattr(model, "compiled_metrics", None)
    if not rest:
        return
    if compiled is None or getattr(compiled, "metrics", None) is not None or not hasattr(
            compiled, "_build"):
        raise ValueError(
            f"BackupAndRestore: the backup holds {len(states)} metric states but the model "
            f"has {len(metrics)} metrics: it was compiled differently. To fix, compile the "
            "model as in the run that made the backup, or delete the backup folder."
        )
    build = compiled._build

    def build_then_restore(*args, **kwargs):
        del compiled._build  # once: back to the class's method
        build(*args, **kwargs)
        built = list(compiled.all)
        if len(built) != len(rest):
            raise ValueError(
                f"BackupAndRestore: the backup holds {len(rest)} compiled metric states but "
                f"the model built {len(built)}: it was compiled differently. To fix, compile "
                "the model as in the run that made the backup, or delete the backup folder."
            )
        _set_states(built, rest)

    compiled._build = build_then_restore


class BackupAndRestore(Callback):
    """Back up the training state during ``fit``; a restarted ``fit`` resumes from it.

    Keras's arguments and files' roles. Where Keras resumes a run at the start of the
    epoch it was in, deepgrad resumes at the backup's batch, bit-identically (see the
    module's description); other callbacks' own state (e.g. ``EarlyStopping``'s
    patience) is not backed up, as in Keras.

    Args:
        backup_dir: the folder of the backups (created). Use it for nothing else.
        save_freq: ``"epoch"`` (after each epoch) or an int ``n`` (every ``n`` training
            batches, counted across epochs; a backup due at an epoch's last batch is made
            at the epoch's end, after validation).
        double_checkpoint: keep the previous backup too, and fall back to it when the
            latest cannot be read (a damaged file).
        delete_checkpoint: delete the backups when ``fit`` finishes (the files this
            callback made, and the folder if it is then empty).

    Raises:
        ValueError: for an empty ``backup_dir`` or a ``save_freq`` that is neither
            ``"epoch"`` nor a positive int; (when ``fit`` starts) for a model that is not
            built while a backup exists, or a backup that cannot be read.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool)
                                     or not isinstance(save_freq, (int, np.integer))
                                     or save_freq <= 0):
            raise ValueError(
                "Invalid value for argument `save_freq`. "
                f"Received: save_freq={save_freq!r}. Expected either 'epoch' or a positive "
                "integer value (deepgrad has no preemption checkpointing, so not False)."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._metadata_path = os.path.join(self.backup_dir, METADATA)
        self._resume: dict | None = None
        self._epoch = 0
        self._epoch_random_state = None
        self._batches_since_save = 0
        self._save_at_epoch_end = False

    # -- restoring -------------------------------------------------------------------------
    def _read_metadata(self) -> dict | None:
        try:
            with open(self._metadata_path, encoding="utf-8") as file:
                metadata = json.load(file)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise ValueError(f"BackupAndRestore: cannot read {self._metadata_path}: {error}. "
                             "To start afresh, delete the backup folder.") from None
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
            raise ValueError(f"BackupAndRestore: {self._metadata_path} is not a deepgrad "
                             "backup. To start afresh, delete the backup folder.")
        return metadata

    def on_train_begin(self, logs=None):
        self._batches_since_save = 0
        self._save_at_epoch_end = False
        self._resume = None
        metadata = self._read_metadata()
        if metadata is None:
            return
        if not getattr(self.model, "built", False):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you "
                f"call `fit()`. Model {self.model} is unbuilt. You can build it beforehand by "
                "calling it on a batch of data."
            )
        entries = [metadata.get("latest"), metadata.get("previous")]
        errors = []
        for entry in filter(None, entries):
            try:
                self.model._load_checkpoint(os.path.join(self.backup_dir, entry["checkpoint"]))
            except (OSError, ValueError) as error:  # a damaged file: try the previous backup
                errors.append(f"{entry['checkpoint']}: {error}")
                continue
            self._resume = entry
            self.model._initial_epoch = entry["epoch"]
            self.model._initial_step = entry["step"]
            dg_random.set_state(entry["random_state"])
            return
        raise ValueError("BackupAndRestore: no backup in " + self.backup_dir + " can be read:\n"
                         + "\n".join(errors) + "\nTo start afresh, delete the backup folder.")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        resume = self._resume
        if resume is not None and resume["step"] and epoch == resume["epoch"]:
            # Draw the epoch's shuffle again from the state it was drawn from; the batches
            # before the backup are then skipped and on_train_batch_begin puts back the
            # generator's state at the backup.
            dg_random.set_state(resume["epoch_random_state"])
            if should_write():  # data-parallel: the saved sums go to rank 0, zeros elsewhere
                set_metric_states(self.model, resume["metrics"])
        else:
            self._resume = None
        if self.save_freq != "epoch":
            self._epoch_random_state = dg_random.get_state()

    def on_train_batch_begin(self, batch, logs=None):
        if self._resume is not None:
            dg_random.set_state(self._resume["random_state"])
            self._resume = None

    # -- backing up ------------------------------------------------------------------------
    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save < self.save_freq:
            return
        self._batches_since_save = 0
        if batch + 1 == self.params.get("steps"):
            self._save_at_epoch_end = True  # resuming then needs no logs of this epoch
            return
        self._save(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" or self._save_at_epoch_end:
            self._save_at_epoch_end = False
            self._save(epoch + 1, 0)

    def _save(self, epoch: int, step: int) -> None:
        states = self._metric_states() if step else []
        if not should_write():
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        metadata = self._read_metadata() or {}
        number = int(metadata.get("saves", 0)) + 1
        name = f"checkpoint-{number}.deepgrad"
        self.model.save(os.path.join(self.backup_dir, name), overwrite=True)
        entry = {
            "checkpoint": name,
            "epoch": epoch,
            "step": step,
            "random_state": dg_random.get_state(),
            "epoch_random_state": self._epoch_random_state if step else None,
            "metrics": states,
        }
        previous = metadata.get("latest") if self.double_checkpoint else None
        new = {"format": FORMAT, "version": 1, "saves": number, "latest": entry,
               "previous": previous}
        write_atomic(self._metadata_path, json.dumps(new).encode("utf-8"),
                     who="BackupAndRestore")
        self._delete_checkpoints(keep={entry["checkpoint"]} | (
            {previous["checkpoint"]} if previous else set()))

    def _metric_states(self) -> list[dict]:
        """The running metric states; under data-parallel training (every rank saves at the
        same step) summed over the ranks, as one process would hold them."""
        group = collective.current()
        if group is None:
            return metric_states(self.model)
        return group.with_summed_metrics(self.model, lambda: metric_states(self.model))

    def _delete_checkpoints(self, keep: set[str]) -> None:
        for name in os.listdir(self.backup_dir):
            if name.startswith("checkpoint-") and name.endswith(".deepgrad") and name not in keep:
                os.unlink(os.path.join(self.backup_dir, name))

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not should_write() or not os.path.isdir(
                self.backup_dir):
            return
        self._delete_checkpoints(keep=set())
        if os.path.exists(self._metadata_path):
            os.unlink(self._metadata_path)
        if not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
