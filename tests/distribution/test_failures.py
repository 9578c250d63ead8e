"""A rank that raises, exits or stalls ends the whole two-rank job with an error (never
a hang); the error names the failed rank where the ranks can know it."""

from __future__ import annotations

import os
import subprocess

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
def test_a_rank_that_exits_ends_the_job():
    code, output = _run("exit")
    assert code != 0
    assert "exited" in output or "exit code" in output.lower()


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
