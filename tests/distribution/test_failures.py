"""A rank that raises, exits or stalls ends the whole two-rank job with an error (never
a hang); the error names the failed rank where the ranks can know it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from mpi_run import mpi_environment, mpirun_command, needs_mpi

SCRIPT = os.path.join(os.path.dirname(__file__), "mpi_failure.py")


def _run(how: str) -> tuple[int, str]:
    # The timeout only guards the test run against a hang; nothing is timed.
    job = subprocess.run(mpirun_command(SCRIPT, how), env=mpi_environment(),
                         capture_output=True, text=True, timeout=240)
    return job.returncode, job.stdout + job.stderr


@needs_mpi
def test_a_rank_that_raises_stops_the_others_with_its_error():
    code, output = _run("raise")
    assert code != 0
    assert "rank 0: rank 1 failed while the others waited for" in output
    assert "ValueError: the data of batch 3 is corrupt" in output


@needs_mpi
@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_rank_that_dies_ends_the_job(how):
    """mpirun notices the process's end and stops the others; Open MPI names the rank
    (``process rank 1`` for a signal, ``[[job,1],1]`` for an exit code)."""
    code, output = _run(how)
    assert code != 0
    if _open_mpi():
        named = r"Process name: \[\[\d+,\d+\],1\]|process rank 1 with PID"
        assert re.search(named, output), output[-2000:]


def _open_mpi() -> bool:
    version = subprocess.run(["mpirun", "--version"], capture_output=True, text=True)
    return "Open MPI" in version.stdout + version.stderr


@needs_mpi
def test_a_rank_that_stalls_makes_the_others_time_out():
    code, output = _run("stall")
    assert code != 0
    assert "rank 0: waited 2 s for the gradients" in output


@pytest.mark.parametrize("value", [0, -1.0, "10", True])
def test_timeout_must_be_positive(value):
    import deepgrad as dg

    with pytest.raises(ValueError, match="`timeout` must be a positive number"):
        dg.distribution.DataParallel(timeout=value)


@needs_mpi
@pytest.mark.parametrize("save_freq", ["epoch", "2"])
def test_a_job_interrupted_and_started_again_resumes_from_its_backup(tmp_path, save_freq):
    """BackupAndRestore with two ranks: rank 0 writes the backups; the restarted job
    resumes at the third epoch (with ``save_freq=2``, after that epoch's second batch,
    its running loss and accuracy summed over the ranks when saved) and ends with the
    weights and the last epochs' logs of one uninterrupted process."""
    script = os.path.join(os.path.dirname(__file__), "mpi_resume.py")
    alone = subprocess.run([sys.executable, script, "alone", str(tmp_path / "one"), save_freq],
                           env=mpi_environment(), capture_output=True, text=True, timeout=240)
    assert alone.returncode == 0, alone.stderr[-2000:]
    folder = str(tmp_path / "two")
    first = subprocess.run(mpirun_command(script, "interrupt", folder, save_freq),
                           env=mpi_environment(), capture_output=True, text=True, timeout=240)
    assert first.returncode != 0
    assert "rank 1 failed" in first.stdout + first.stderr
    assert sorted(os.listdir(os.path.join(folder, "backup")))  # rank 0 wrote a backup
    second = subprocess.run(mpirun_command(script, "resume", folder, save_freq),
                            env=mpi_environment(), capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    np.testing.assert_allclose(np.load(os.path.join(folder, "resume.npy")),
                               np.load(tmp_path / "one" / "alone.npy"), atol=2e-6, rtol=0)
    np.testing.assert_allclose(np.load(os.path.join(folder, "resume-history.npy")),
                               np.load(tmp_path / "one" / "alone-history.npy"), rtol=1e-5)
