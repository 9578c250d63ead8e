"""BackupAndRestore: a run killed with SIGKILL and started again ends bit-identical to a run
that was never interrupted (weights, and the logs of the epochs it re-ran)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg

import resumable_fit

SCRIPT = Path(resumable_fit.__file__)
SRC = Path(__file__).resolve().parents[2] / "src"  # this checkout's package in the child too


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted run, without the callback: (weights, history by epoch)."""
    weights, logs, epochs = resumable_fit.train()
    assert epochs == [0, 1, 2, 3]
    return weights, logs


def start(backup, out, save_freq, kill=None, slow=False):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(SCRIPT.parent)]),
           "SLOW": "1" if slow else "0", "OPENBLAS_NUM_THREADS": "1"}
    args = [sys.executable, str(SCRIPT), str(backup), str(out), str(save_freq)]
    args += [str(k) for k in kill] if kill else []
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process):
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


def check_resumed(out, reference, first_epoch):
    weights, logs = reference
    saved = np.load(str(out) + ".npz")
    for index, expected in enumerate(weights):
        np.testing.assert_array_equal(saved[f"arr_{index}"], expected)  # bit for bit
    resumed = json.loads(Path(str(out) + ".json").read_text())
    assert resumed["epochs"] == list(range(first_epoch, 4))
    for key, values in resumed["history"].items():
        assert values == logs[key][first_epoch:], key  # exactly equal floats


@pytest.mark.parametrize("save_freq, kill, first_epoch", [
    # Every 3 batches of 5 an epoch: backups at (epoch, batches done) (0,3) (1,1) (1,4) (2,2),
    # the one due at (2,5) is made at the end of epoch 2, then (3,3). Killed after epoch 2's
    # 4th batch: resumes inside epoch 2 after 2 batches.
    (3, (2, 3), 2),
    ("epoch", (2, 1), 2),  # killed inside epoch 2: resumes at its start
    (3, (0, 1), 0),  # killed before the first backup: starts afresh
])
def test_killed_run_resumes_bit_identically(tmp_path, reference, save_freq, kill, first_epoch):
    backup, out = tmp_path / "backup", tmp_path / "out"
    code, err = finish(start(backup, out, save_freq, kill=kill))
    assert code == -signal.SIGKILL, err
    assert not Path(str(out) + ".npz").exists()
    assert (backup / "training_metadata.json").exists() == (first_epoch > 0)
    code, err = finish(start(backup, out, save_freq))
    assert code == 0, err
    check_resumed(out, reference, first_epoch)
    assert not backup.exists()  # delete_checkpoint=True: the backups go when fit ends


def test_killed_from_outside_at_any_moment(tmp_path, reference):
    backup, out = tmp_path / "backup", tmp_path / "out"
    process = start(backup, out, 1, slow=True)
    deadline = time.monotonic() + 60
    while not (backup / "training_metadata.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.25)  # some more batches, perhaps in the middle of a backup
    process.send_signal(signal.SIGKILL)
    code, err = finish(process)
    assert code == -signal.SIGKILL, err
    metadata = json.loads((backup / "training_metadata.json").read_text())
    code, err = finish(start(backup, out, 1))
    assert code == 0, err
    check_resumed(out, reference, metadata["latest"]["epoch"])


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path, data, make_model):
    x, y, _, _ = data
    backup = tmp_path / "backup"
    callback = dg.callbacks.BackupAndRestore(backup, double_checkpoint=True,
                                             delete_checkpoint=False)
    make_model().fit(x, y, epochs=3, verbose=0, callbacks=[callback])
    metadata = json.loads((backup / "training_metadata.json").read_text())
    assert (metadata["latest"]["epoch"], metadata["previous"]["epoch"]) == (3, 2)
    assert sorted(p.name for p in backup.iterdir()) == [
        "checkpoint-2.deepgrad", "checkpoint-3.deepgrad", "training_metadata.json"]
    (backup / "checkpoint-3.deepgrad").write_bytes(b"damaged")
    model = make_model()
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[
        dg.callbacks.BackupAndRestore(backup, double_checkpoint=True)])
    assert history.epoch == [2, 3]  # resumed from the previous backup, at epoch 2
    single = tmp_path / "single"
    make_model().fit(x, y, epochs=2, verbose=0, callbacks=[
        dg.callbacks.BackupAndRestore(single, delete_checkpoint=False)])
    (single / "checkpoint-2.deepgrad").write_bytes(b"damaged")
    with pytest.raises(ValueError, match="no backup in .* can be read"):
        make_model().fit(x, y, epochs=3, verbose=0,
                         callbacks=[dg.callbacks.BackupAndRestore(single)])


def test_arguments_and_an_unbuilt_model(tmp_path, data, make_model):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        dg.callbacks.BackupAndRestore("")
    for bad in (0, False, "batch", 1.5):
        with pytest.raises(ValueError, match="Invalid value for argument `save_freq`"):
            dg.callbacks.BackupAndRestore(tmp_path, save_freq=bad)
    x, y, _, _ = data
    make_model().fit(x, y, epochs=1, verbose=0, callbacks=[
        dg.callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)])
    unbuilt = dg.Sequential([dg.layers.Dense(1)])
    unbuilt.compile("sgd", "mse")
    with pytest.raises(ValueError, match="must be built before you call `fit\\(\\)`"):
        unbuilt.fit(x, y, epochs=2, verbose=0,
                    callbacks=[dg.callbacks.BackupAndRestore(tmp_path / "b")])
