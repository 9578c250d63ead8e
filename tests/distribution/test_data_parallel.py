"""Two ranks under ``mpirun -n 2`` against one process: the same weights, losses, metrics,
callback decisions and files (issue 20's checks).

The runs are in ``mpi_job.py``; one ``mpirun`` job runs them all (about 6 s), and this
process runs them again alone. Float32 tolerance: the two ranks sum each gradient in two
halves (each rank's share, then the all-reduce) where one process sums it in one pass,
so the weights differ by float32 rounding, compounded over the steps: after 20 SGD
steps they agree to ``atol=2e-6`` (values of order 0.1 to 1, float32's resolution
there is 6e-8 to 1.2e-7); losses to ``rtol=1e-5``.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import deepgrad as dg

sys.path.insert(0, os.path.dirname(__file__))
import mpi_job  # noqa: E402

from mpi_run import mpi_environment, mpirun_command, needs_mpi  # noqa: E402

WEIGHTS = {"atol": 2e-6, "rtol": 0}
LOSSES = {"rtol": 1e-5, "atol": 1e-6}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    one = str(tmp_path_factory.mktemp("one_process"))
    two = str(tmp_path_factory.mktemp("two_ranks"))
    alone = {name: run() for name, run in mpi_job.RUNS.items()}
    alone["callbacks"] = mpi_job.callbacks(one)
    # One process's checkpoint starts both resumed runs.
    shutil.copy(os.path.join(one, "best.keras"), os.path.join(one, "start.keras"))
    shutil.copy(os.path.join(one, "best.keras"), os.path.join(two, "start.keras"))
    alone["resume"] = mpi_job.resume(one)
    job = subprocess.run(mpirun_command(mpi_job.__file__, two), env=mpi_environment(),
                         capture_output=True, text=True, timeout=240)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
    with np.load(os.path.join(two, "two_ranks.npz")) as saved:
        together = {key: saved[key] for key in saved.files}
    return {"alone": alone, "together": together, "one": one, "two": two,
            "stdout": job.stdout}


def _pair(runs, name: str, key: str):
    return runs["alone"][name][key], runs["together"][f"{name}/{key}"]


@needs_mpi
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_two_ranks_train_as_one_process(runs, name):
    """20 global batches of 128 (64 per rank), SGD: the same weights and loss curve."""
    alone, together = _pair(runs, name, "weights")
    np.testing.assert_allclose(together, alone, **WEIGHTS)
    assert not np.allclose(alone, 0)
    losses_alone, losses_together = _pair(runs, name, "losses")
    assert len(losses_alone) == mpi_job.STEPS
    np.testing.assert_allclose(losses_together, losses_alone, **LOSSES)


@needs_mpi
@pytest.mark.parametrize("name", ["adam_cnn", "adam_clipnorm"])
def test_adam_trains_as_one_process_with_the_whole_state_on_rank_0(runs, name):
    """Adam with weight decay and clipping by value (each rank updates its half of the
    flat buffers, each holding its piece of the slots until the whole state is read: by
    rank 0 alone after the fourth batch and after fit, and by every rank), and Adam
    clipped by global norm (every rank updates everything): the weights, losses and
    optimizer state (moments, iterations) of one process."""
    more = ("state_in_fit", "state_after_fit") if name == "adam_cnn" else ()
    for key in ("weights", "state", *more):
        alone, together = _pair(runs, name, key)
        assert alone.shape == together.shape
        np.testing.assert_allclose(together, alone, **WEIGHTS)
        assert not np.allclose(alone, 0)
    losses_alone, losses_together = _pair(runs, name, "losses")
    np.testing.assert_allclose(losses_together, losses_alone, **LOSSES)


@needs_mpi
def test_train_and_test_on_batch_take_each_ranks_own_batch(runs):
    """Each rank passes its half of every global batch: rank 0's weights are copied at
    the first call (rank 1 built others), the gradients averaged, the logs of the whole
    batch: as one process given the whole batch."""
    for key in ("weights", "losses", "test"):
        alone, together = _pair(runs, "on_batch", key)
        np.testing.assert_allclose(together, alone, **WEIGHTS)


@needs_mpi
def test_gradient_accumulation_trains_as_one_process(runs):
    alone, together = _pair(runs, "accumulation", "weights")
    np.testing.assert_allclose(together, alone, **WEIGHTS)


@needs_mpi
def test_every_rank_holds_the_same_weights_and_optimizer_state(runs):
    assert bool(runs["together"]["ranks_agree"])


@needs_mpi
def test_synchronized_batch_norm_normalises_the_global_batch(runs):
    for key in ("weights", "moving", "losses"):
        alone, together = _pair(runs, "synchronized_batch_norm", key)
        np.testing.assert_allclose(together, alone, **WEIGHTS)


@needs_mpi
def test_metrics_evaluate_and_predict_cover_the_global_batch(runs):
    """A dataset of global batches; a last batch of one row (one rank has none); AUC and
    accuracy from summed states; evaluate and predict sharded and gathered in order."""
    for key in ("weights", "loss", "evaluate", "predict"):
        alone, together = _pair(runs, "stand_in_rows", key)
        np.testing.assert_allclose(together, alone, **WEIGHTS)
    for key in ("accuracy", "auc"):
        alone, together = _pair(runs, "stand_in_rows", key)
        np.testing.assert_allclose(together, alone, rtol=0, atol=1e-12)


@needs_mpi
def test_a_py_dataset_is_shuffled_in_rank_0s_order(runs):
    for key in ("weights", "accuracy"):
        alone, together = _pair(runs, "py_dataset", key)
        np.testing.assert_allclose(together, alone, **WEIGHTS)


@needs_mpi
def test_ranks_reading_different_batches_stop_with_a_clear_error(runs):
    alone, together = _pair(runs, "different_batches", "error")
    assert str(alone) == ""
    assert "the ranks read different global batches at step 1" in str(together)
    assert "give Dataset.shuffle a `seed`" in str(together)


@needs_mpi
def test_callbacks_decide_the_same_and_rank_0_writes(runs):
    """EarlyStopping stops at the same epoch, ReduceLROnPlateau sets the same rate, the
    CSV log has one writer and the same rows."""
    for key in ("epochs", "learning_rate", "val_accuracy"):
        alone, together = _pair(runs, "callbacks", key)
        np.testing.assert_array_equal(together, alone)
    alone, together = _pair(runs, "callbacks", "val_loss")
    np.testing.assert_allclose(together, alone, **LOSSES)
    assert int(runs["alone"]["callbacks"]["epochs"]) < 30  # it did stop early

    def rows(folder):
        with open(os.path.join(folder, "log.csv"), newline="") as f:
            return list(csv.DictReader(f))

    alone_rows, together_rows = rows(runs["one"]), rows(runs["two"])
    assert [r["epoch"] for r in together_rows] == [r["epoch"] for r in alone_rows]
    np.testing.assert_allclose([float(r["val_loss"]) for r in together_rows],
                               [float(r["val_loss"]) for r in alone_rows], **LOSSES)


@needs_mpi
def test_checkpoints_load_across_one_process_and_two_ranks(runs):
    """A two-rank checkpoint loads in one process, and a one-process file starts a
    two-rank run that continues as one process continues it."""
    written_by_two = dg.models.load_model(os.path.join(runs["two"], "best.keras"))
    written_by_one = dg.models.load_model(os.path.join(runs["one"], "best.keras"))
    for a, b in zip(written_by_two.get_weights(), written_by_one.get_weights()):
        np.testing.assert_allclose(a, b, **WEIGHTS)
    alone, together = _pair(runs, "resume", "weights")
    np.testing.assert_allclose(together, alone, **WEIGHTS)
    resumed = dg.models.load_model(os.path.join(runs["two"], "resumed-2.keras"))
    np.testing.assert_array_equal(mpi_job._weights(resumed), together)
