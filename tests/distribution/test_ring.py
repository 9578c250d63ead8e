"""The ring collectives and the sharded optimizer step on three ranks (uneven pieces that
cut through variables), against one process: see mpi_ring.py."""

from __future__ import annotations

import os
import subprocess

from mpi_run import mpi_environment, mpirun_command, needs_mpi

SCRIPT = os.path.join(os.path.dirname(__file__), "mpi_ring.py")


@needs_mpi
def test_three_ranks_update_their_pieces_to_one_process_result():
    # The timeout only guards the test run against a hang; nothing is timed.
    job = subprocess.run(mpirun_command(SCRIPT, ranks=3), env=mpi_environment(),
                         capture_output=True, text=True, timeout=240)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
