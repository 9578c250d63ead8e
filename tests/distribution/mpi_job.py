"""The training runs that tests/distribution/test_data_parallel.py compares: started under
``mpirun -n 2`` (data-parallel), and called in the test's own process (one process).

Each run returns a dict of arrays; under mpirun, rank 0 saves them all in one ``.npz``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

import deepgrad as dg

GLOBAL_BATCH = 128
STEPS = 20


def _data(rows: int, shape: tuple, classes: int = 10, seed: int = 1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, *shape)).astype("float32")
    y = rng.integers(0, classes, rows)
    return x, y


def _weights(model) -> np.ndarray:
    return np.concatenate([w.ravel() for w in model.get_weights()])


class _BatchLosses(dg.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


def _train(model, x, y, rows_per_batch=GLOBAL_BATCH, **fit) -> dict:
    losses = _BatchLosses()
    model.fit(x, y, batch_size=rows_per_batch, epochs=fit.pop("epochs", 1), verbose=0,
              callbacks=[losses, *fit.pop("callbacks", [])], **fit)
    return {"weights": _weights(model), "losses": np.array(losses.losses)}


def mlp() -> dict:
    """An MLP, SGD, 20 global batches of 128, shuffled."""
    dg.utils.set_random_seed(0)
    x, y = _data(GLOBAL_BATCH * STEPS, (20,))
    model = dg.Sequential([dg.Input((20,)), dg.layers.Dense(32, activation="relu"),
                           dg.layers.Dense(10, activation="softmax")])
    model.compile(dg.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return _train(model, x, y)


def accumulation() -> dict:
    """The MLP with gradient_accumulation_steps=2: the ranks all-reduce once per update."""
    dg.utils.set_random_seed(0)
    x, y = _data(GLOBAL_BATCH * 8, (20,))
    model = dg.Sequential([dg.Input((20,)), dg.layers.Dense(32, activation="relu"),
                           dg.layers.Dense(10, activation="softmax")])
    model.compile(dg.optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=2),
                  "sparse_categorical_crossentropy")
    return _train(model, x, y)


def cnn() -> dict:
    """The course CNN without Dropout, SGD, 20 global batches of 128."""
    dg.utils.set_random_seed(0)
    x, y = _data(GLOBAL_BATCH * STEPS, (14, 14, 1))
    model = dg.Sequential([
        dg.Input((14, 14, 1)),
        dg.layers.Conv2D(8, 3, activation="relu"),
        dg.layers.MaxPooling2D(2),
        dg.layers.Conv2D(16, 3, activation="relu"),
        dg.layers.MaxPooling2D(2),
        dg.layers.Flatten(),
        dg.layers.Dense(32, activation="relu"),
        dg.layers.Dense(10, activation="softmax"),
    ])
    model.compile(dg.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    return _train(model, x, y)


def _state(optimizer) -> np.ndarray:
    state = optimizer.get_state()
    return np.concatenate([np.ravel(state[k]).astype(np.float64) for k in sorted(state)])


class _StateOnRank0(dg.callbacks.Callback):
    """Reads the optimizer state on rank 0 alone after batch 3 (as a checkpoint does)."""

    def __init__(self):
        super().__init__()
        self.state = None

    def on_train_batch_end(self, batch, logs=None):
        if batch == 3 and dg.callbacks.base.should_write():
            self.state = _state(self.model.optimizer)


def adam_cnn() -> dict:
    """The CNN with Adam, weight decay and clipping by value: an elementwise rule, so each
    rank updates its half of the flat buffers (ZeRO stage 1); the optimizer state read
    on rank 0 alone in the middle of fit, and after it, is whole."""
    dg.utils.set_random_seed(0)
    x, y = _data(GLOBAL_BATCH * 8, (14, 14, 1))
    model = dg.Sequential([
        dg.Input((14, 14, 1)),
        dg.layers.Conv2D(8, 3, activation="relu"),
        dg.layers.MaxPooling2D(2),
        dg.layers.Flatten(),
        dg.layers.Dense(24, activation="relu"),
        dg.layers.Dense(10, activation="softmax"),
    ])
    model.compile(dg.optimizers.Adam(1e-3, weight_decay=0.01, clipvalue=0.5),
                  "sparse_categorical_crossentropy")
    middle = _StateOnRank0()
    result = _train(model, x, y, callbacks=[middle])
    parallel = dg.distribution.distribution()
    if parallel is None or parallel.process_id == 0:
        result["state_in_fit"] = middle.state
        result["state_after_fit"] = _state(model.optimizer)
    if parallel is not None:  # meanwhile rank 1 waits where it answers no request
        from mpi4py import MPI

        MPI.COMM_WORLD.Barrier()
    result["state"] = _state(model.optimizer)
    return result


def adam_clipnorm() -> dict:
    """The MLP with Adam clipped by global norm: the norm needs the whole gradient, so
    every rank updates everything after a full all-reduce."""
    dg.utils.set_random_seed(0)
    x, y = _data(GLOBAL_BATCH * 6, (20,))
    model = dg.Sequential([dg.Input((20,)), dg.layers.Dense(32, activation="relu"),
                           dg.layers.Dense(10, activation="softmax")])
    model.compile(dg.optimizers.Adam(1e-3, global_clipnorm=0.1),
                  "sparse_categorical_crossentropy")
    result = _train(model, x, y)
    result["state"] = _state(model.optimizer)
    return result


def on_batch() -> dict:
    """train_on_batch and test_on_batch: each rank passes its own half of every global
    batch; rank 1 builds other weights, and rank 0's are copied at the first call."""
    parallel = dg.distribution.distribution()
    rank, size = (parallel.process_id, parallel.num_processes) if parallel else (0, 1)
    x, y = _data(GLOBAL_BATCH * 5, (20,))
    dg.utils.set_random_seed(rank)
    model = dg.Sequential([dg.Input((20,)), dg.layers.Dense(32, activation="relu"),
                           dg.layers.Dense(10, activation="softmax")])
    model.compile(dg.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    mine = slice(GLOBAL_BATCH * rank // size, GLOBAL_BATCH * (rank + 1) // size)
    losses = []
    for start in range(0, len(x), GLOBAL_BATCH):
        xs, ys = x[start:start + GLOBAL_BATCH], y[start:start + GLOBAL_BATCH]
        losses.append(model.train_on_batch(xs[mine], ys[mine], return_dict=True)["loss"])
    scores = model.test_on_batch(x[:GLOBAL_BATCH][mine], y[:GLOBAL_BATCH][mine],
                                 return_dict=True)
    return {"weights": _weights(model), "losses": np.array(losses),
            "test": np.array([scores["loss"], scores["accuracy"]])}


def synchronized_batch_norm() -> dict:
    """BatchNormalization(synchronized=True) on the global batch; uneven last batches
    (133 rows: 128 then 5, split 2 and 3)."""
    dg.utils.set_random_seed(0)
    x, y = _data(133, (6,), classes=3)
    x = x * 3.0 + 1.0
    model = dg.Sequential([dg.Input((6,)), dg.layers.Dense(8),
                           dg.layers.BatchNormalization(synchronized=True, momentum=0.5),
                           dg.layers.Activation("relu"), dg.layers.Dense(3)])
    model.compile(dg.optimizers.SGD(0.1), dg.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    result = _train(model, x, y, epochs=3, shuffle=False)
    bn = model.layers[1]
    result["moving"] = np.concatenate([bn.moving_mean.numpy(), bn.moving_variance.numpy()])
    return result


def stand_in_rows() -> dict:
    """A last global batch of one row: one rank has none (a stand-in weighted 0), and a
    dataset of global batches."""
    dg.utils.set_random_seed(0)
    x, y = _data(2 * 16 + 1, (4,), classes=2)
    y = (y == 1).astype("float32")
    model = dg.Sequential([dg.Input((4,)), dg.layers.Dense(1, activation="sigmoid")])
    model.compile(dg.optimizers.Adam(0.05), "binary_crossentropy",
                  metrics=["accuracy", dg.metrics.AUC(name="auc")])
    data = dg.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(data, epochs=2, verbose=0).history
    scores = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    predictions = model.predict(x, batch_size=16, verbose=0)
    return {"weights": _weights(model), "accuracy": np.array(history["accuracy"]),
            "auc": np.array(history["auc"]), "loss": np.array(history["loss"]),
            "evaluate": np.array([scores["loss"], scores["accuracy"], scores["auc"]]),
            "predict": predictions}


class _Squares(dg.utils.PyDataset):
    """Ten batches of 12 rows (11 in the last), shuffled by fit."""

    def __init__(self):
        super().__init__()
        self.x, self.y = _data(119, (5,), classes=4, seed=4)

    def __len__(self):
        return 10

    def __getitem__(self, index):
        rows = slice(12 * index, 12 * index + 12)
        return self.x[rows], self.y[rows]


def py_dataset() -> dict:
    """A PyDataset shuffled by fit: rank 0's order on every rank."""
    dg.utils.set_random_seed(0)
    model = dg.Sequential([dg.Input((5,)), dg.layers.Dense(4, activation="softmax")])
    model.compile(dg.optimizers.SGD(0.2), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(_Squares(), epochs=2, verbose=0, shuffle=True).history
    return {"weights": _weights(model), "accuracy": np.array(history["accuracy"])}


def different_batches() -> dict:
    """Ranks whose datasets differ (a generator with its own randomness per process):
    every rank stops with the same error at the first batch (one process trains)."""
    rng = np.random.default_rng(dg.distribution.distribution().process_id
                                if dg.distribution.distribution() else 0)
    model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    data = ((rng.normal(size=(4, 2)), np.zeros((4, 1))) for _ in range(3))
    try:
        model.fit(data, epochs=1, verbose=0)
    except ValueError as error:
        return {"error": np.array(str(error))}
    return {"error": np.array("")}


def callbacks(folder: str) -> dict:
    """Validation, metrics, EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, CSVLogger;
    the checkpoint is loaded back by the other side of the test."""
    dg.utils.set_random_seed(0)
    x, y = _data(400, (8,), classes=3)
    vx, vy = _data(100, (8,), classes=3, seed=2)
    model = dg.Sequential([dg.Input((8,)), dg.layers.Dense(16, activation="relu"),
                           dg.layers.Dense(3, activation="softmax")])
    model.compile(dg.optimizers.SGD(0.3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stop = dg.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.01)
    plateau = dg.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=0, factor=0.5)
    checkpoint = dg.callbacks.ModelCheckpoint(os.path.join(folder, "best.keras"),
                                              save_best_only=True)
    log = dg.callbacks.CSVLogger(os.path.join(folder, "log.csv"))
    history = model.fit(x, y, batch_size=64, epochs=30, verbose=0,
                        validation_data=(vx, vy),
                        callbacks=[stop, plateau, checkpoint, log]).history
    return {"weights": _weights(model), "val_loss": np.array(history["val_loss"]),
            "val_accuracy": np.array(history["val_accuracy"]),
            "learning_rate": np.array(model.optimizer.learning_rate),
            "epochs": np.array(len(history["loss"]))}


def resume(folder: str) -> dict:
    """Continue, for 3 global batches, from a model file written by the other side."""
    dg.utils.set_random_seed(0)
    model = dg.models.load_model(os.path.join(folder, "start.keras"))
    x, y = _data(3 * 64, (8,), classes=3, seed=3)
    model.fit(x, y, batch_size=64, verbose=0)
    model.save(os.path.join(folder, f"resumed-{dg.distribution.get_device_count()}.keras"))
    return {"weights": _weights(model)}


RUNS = {"mlp": mlp, "accumulation": accumulation, "cnn": cnn, "adam_cnn": adam_cnn,
        "adam_clipnorm": adam_clipnorm, "on_batch": on_batch,
        "synchronized_batch_norm": synchronized_batch_norm, "stand_in_rows": stand_in_rows,
        "py_dataset": py_dataset, "different_batches": different_batches}


def main(folder: str) -> None:
    dg.distribution.set_distribution(dg.distribution.DataParallel(timeout=60))
    rank = dg.distribution.distribution().process_id
    results = {}
    for name, run in RUNS.items():
        for key, value in run().items():
            results[f"{name}/{key}"] = value
    for key, value in callbacks(folder).items():
        results[f"callbacks/{key}"] = value
    for key, value in resume(folder).items():
        results[f"resume/{key}"] = value
    # Every rank must hold rank 0's weights: compare with a copy gathered from the others.
    results["ranks_agree"] = np.array(_ranks_agree(results))
    if rank == 0:
        np.savez(os.path.join(folder, "two_ranks.npz"), **results)


def _ranks_agree(results: dict) -> bool:
    from mpi4py import MPI

    mine = np.concatenate([v.ravel() for k, v in sorted(results.items())
                           if k.endswith(("weights", "state"))]).astype(np.float64)
    first = mine.copy()
    MPI.COMM_WORLD.Bcast(first, root=0)
    return bool(np.array_equal(mine, first))


if __name__ == "__main__":
    main(sys.argv[1])
