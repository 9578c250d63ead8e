"""Running a script under ``mpirun -n 2`` from a test, and skipping (with the reason)
where MPI is missing; CI installs openmpi-bin with apt and mpi4py from the ``mpi`` extra."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

__all__ = ["mpirun_command", "mpi_environment", "needs_mpi"]


def mpirun_command(script: str, *args: str, ranks: int = 2) -> list[str]:
    return ["mpirun", "--oversubscribe", "--allow-run-as-root", "-n", str(ranks),
            sys.executable, script, *args]


def mpi_environment() -> dict:
    """This checkout's package first; one BLAS thread per rank; Open MPI's shared-memory
    transport without the cross-process copy that containers often forbid (ptrace)."""
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(src), env.get("PYTHONPATH", "")])
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
    return env


def _skip_reason() -> str | None:
    if shutil.which("mpirun") is None:
        return "mpirun not found (CI installs openmpi-bin with apt)"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py not installed (pip install deepgrad[mpi]; CI installs it)"
    return None


needs_mpi = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")
