"""The MPI side of data-parallel training: collectives that never hang.

Every collective is started non-blocking (``Iallreduce``, ``Ibcast``, ``Iallgatherv``)
and waited for by polling, so that a rank waiting for the others also watches two
things: a failure notice (a rank that raised sends one to every other rank before it
stops), and a deadline (``timeout`` seconds). Either ends the wait with a
:class:`DistributedError` that names the failed rank, or says that no notice came.
A rank that is killed outright is reported by ``mpirun`` itself, which then ends the
job (Open MPI does, naming the rank: tests/distribution/test_failures.py).

Only this module imports ``mpi4py`` (the ``mpi`` extra: ``pip install deepgrad[mpi]``).

>>> find_world_size({"OMPI_COMM_WORLD_SIZE": "4"})
4
>>> find_world_size({})
1
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections.abc import Mapping

import numpy as np

__all__ = ["Communicator", "DistributedError", "find_world_size"]

# The variables by which MPI launchers tell a process the size of its job: Open MPI's
# mpirun, MVAPICH2's, and the PMI of MPICH's Hydra, Intel MPI and Slurm's srun.
_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMI_SIZE")
_NOTICE_TAG = 77
_RING_TAG = 78
_ASK_TAG = 79  # a rank asks another for its pieces of a sharded optimizer state
_PIECES_TAG = 80
# A wait polls without pause for this long, as a blocking MPI call spins (a non-blocking
# collective progresses only while it is polled: sleeping between polls made a 13 MB
# all-reduce 4x slower, benchmarks/distributed.py); after its first millisecond each poll
# also gives the core away (sched_yield), so that a rank sharing it is not starved
# (yielding from the first poll made a 10-number all-reduce take 160 us instead of 3);
# then it sleeps in growing steps up to 1 ms (a rank waiting for a checkpoint being
# written leaves the core to others; a longer sleep would make each message of a ring
# collective late by as much whenever a loaded machine delays the other rank).
_SPIN_SECONDS = 0.02
_YIELD_AFTER = 1e-3
_LONGEST_SLEEP = 1e-3
_NOTICE_BYTES = 4096


class DistributedError(RuntimeError):
    """Another rank failed, or the ranks stopped meeting within the timeout."""


def find_world_size(environ: Mapping[str, str] | None = None) -> int:
    """The number of processes an MPI launcher started this job with (1 without one).

    Read from the launcher's environment variables, so that a script started without
    ``mpirun`` never imports MPI.

    >>> find_world_size({"PMI_SIZE": "2"})
    2
    """
    environ = os.environ if environ is None else environ
    for name in _SIZE_VARIABLES:
        value = environ.get(name)
        if value and value.isdigit():
            return int(value)
    return 1


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "DataParallel: this script was started by an MPI launcher with "
            f"{find_world_size()} processes, but mpi4py is not installed. To fix, run "
            "`pip install deepgrad[mpi]` (it needs an MPI library, e.g. the Debian "
            "packages openmpi-bin and libopenmpi-dev)."
        ) from error
    return MPI


class Communicator:
    """The ranks of ``MPI.COMM_WORLD``, with the collectives data-parallel training needs.

    Args:
        timeout: seconds a rank waits for the others at one collective before it fails.

    Attributes:
        rank: this process's index.
        size: the number of processes.
        waited: ``[wall seconds, CPU seconds]`` spent waiting in collectives so far (for
            benchmarks/distributed.py, which separates computing from communicating).
    """

    def __init__(self, timeout: float):
        self.MPI = MPI = _import_mpi()
        world = MPI.COMM_WORLD
        self.rank, self.size = world.Get_rank(), world.Get_size()
        self.timeout = float(timeout)
        self._comm = world.Dup()
        self._notices = world.Dup()  # failure notices travel apart from the data
        self._notice = bytearray(_NOTICE_BYTES)
        self._notice_request = self._notices.Irecv(self._notice, MPI.ANY_SOURCE, _NOTICE_TAG)
        self._failed = False
        self._scratch: dict[np.dtype, np.ndarray] = {}
        # Requests from other ranks for this one's pieces of a state (see fetch_pieces),
        # answered inside every wait: ``serve(number)`` gives the arrays to send.
        self.serve = None
        self._asked = np.zeros(1, np.int64)
        self._ask = self._notices.Irecv(self._asked, MPI.ANY_SOURCE, _ASK_TAG)
        self.waited = [0.0, 0.0]

    # -- waiting -------------------------------------------------------------------------
    def _wait(self, request, what: str) -> None:
        """Wait for ``request``; fail on another rank's notice or at the deadline."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            self._poll(request, what)
        finally:
            self.waited[0] += time.perf_counter() - wall
            self.waited[1] += time.process_time() - cpu

    def _poll(self, request, what: str) -> None:
        self._answer()
        if request.Test():
            return
        status = self.MPI.Status()
        start = time.monotonic()
        deadline = start + self.timeout
        spin_until = start + _SPIN_SECONDS
        yield_after = start + _YIELD_AFTER
        pause = 0.0
        while not request.Test():
            self._answer()
            if self._notice_request.Test(status):
                message = bytes(self._notice).rstrip(b"\0").decode("utf-8", "replace")
                self._fail()
                raise DistributedError(
                    f"rank {self.rank}: rank {status.Get_source()} failed while the others "
                    f"waited for {what}: {message}"
                )
            now = time.monotonic()
            if now > deadline:
                self.report_failure(f"timed out after {self.timeout:g} s waiting for {what}")
                raise DistributedError(
                    f"rank {self.rank}: waited {self.timeout:g} s for {what}; no failure "
                    "notice came from the other ranks, so one of them is stuck or died "
                    "without raising. To fix a slow but healthy job, pass a larger "
                    "DataParallel(timeout=...)."
                )
            if now > spin_until:  # a long wait: sleep in growing steps
                pause = min(_LONGEST_SLEEP, pause * 2 if pause else 1e-4)
                time.sleep(pause)
            elif now > yield_after:
                os.sched_yield()

    def report_failure(self, message: str) -> None:
        """Tell every other rank that this one failed (once), so that they stop too."""
        if self._failed:
            return
        self._fail()
        text = f"{message}"[: _NOTICE_BYTES - 1].encode("utf-8", "replace")
        buffer = bytearray(text.ljust(_NOTICE_BYTES, b"\0"))
        requests = [self._notices.Issend(buffer, other, _NOTICE_TAG)
                    for other in range(self.size) if other != self.rank]
        # Each rank posted its receive at start-up; a short wait lets the notices go out.
        deadline = time.monotonic() + min(5.0, self.timeout)
        while requests and time.monotonic() < deadline:
            requests = [r for r in requests if not r.Test()]
            time.sleep(1e-3)

    def _fail(self) -> None:
        """After a failure the job cannot go on: end it when this process exits.

        A collective left pending can never complete, and ``MPI_Finalize`` would wait
        for it; ``MPI_Abort`` at exit ends every rank instead, after each has printed
        its own error.
        """
        if not self._failed:
            self._failed = True
            atexit.register(self._abort)

    def _abort(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.MPI.COMM_WORLD.Abort(1)

    # -- collectives ---------------------------------------------------------------------
    def all_reduce_sum(self, array: np.ndarray, what: str = "an all-reduce") -> np.ndarray:
        """Sum ``array`` (C-contiguous) over the ranks, in place; return it."""
        request = self._comm.Iallreduce(self.MPI.IN_PLACE, array, self.MPI.SUM)
        self._wait(request, what)
        return array

    def broadcast(self, array: np.ndarray, what: str = "a broadcast") -> np.ndarray:
        """Overwrite ``array`` with rank 0's (same shape and dtype on every rank)."""
        self._wait(self._comm.Ibcast(array, root=0), what)
        return array

    def broadcast_bytes(self, data: bytes | None, what: str) -> bytes:
        """Rank 0's ``data`` on every rank (its length travels first)."""
        size = np.array([len(data) if self.rank == 0 else 0], np.int64)
        self.broadcast(size, what)
        buffer = np.frombuffer(data, np.uint8).copy() if self.rank == 0 else np.empty(
            int(size[0]), np.uint8)
        self.broadcast(buffer, what)
        return buffer.tobytes()

    def all_gather_rows(self, array: np.ndarray, what: str) -> np.ndarray:
        """Every rank's ``array`` joined along the first axis, in rank order."""
        array = np.ascontiguousarray(array)
        counts = np.zeros(self.size, np.int64)
        counts[self.rank] = len(array)
        self.all_reduce_sum(counts, what)
        row = int(np.prod(array.shape[1:], dtype=np.int64))
        out = np.empty((int(counts.sum()),) + array.shape[1:], array.dtype)
        sizes = counts * row
        displacements = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        from mpi4py.util.dtlib import from_numpy_dtype

        kind = from_numpy_dtype(array.dtype)
        request = self._comm.Iallgatherv(
            [array, kind], [out, sizes.tolist(), displacements.tolist(), kind])
        self._wait(request, what)
        return out

    # -- ring collectives of point-to-point messages ---------------------------------------
    # Open MPI's non-blocking Iallreduce (libnbc) took 3-10x as long as its blocking
    # Allreduce on the 13 MB gradient of the course CNN, and Reduce_scatter was slower than
    # Allreduce; a ring of Isend/Irecv, polled, takes what the blocking calls take
    # (benchmarks/distributed.py, "the gradient's collectives").
    def _ring(self, sends: list[np.ndarray], receives: list[np.ndarray], what: str) -> None:
        """Send ``sends`` to the next rank and receive ``receives`` from the previous one."""
        left, right = (self.rank - 1) % self.size, (self.rank + 1) % self.size
        requests = [self._comm.Irecv(a, left, _RING_TAG) for a in receives]
        requests += [self._comm.Isend(a, right, _RING_TAG) for a in sends]
        for request in requests:
            self._wait(request, what)

    def reduce_scatter(self, flat: np.ndarray, bounds: list[int], what: str) -> None:
        """Sum the 1-D ``flat`` over the ranks, piece by piece: on return
        ``flat[bounds[rank]:bounds[rank + 1]]`` holds the sum over all ranks (the other
        pieces hold partial sums). A ring: ``size - 1`` steps, each sending one piece to the
        next rank and adding the previous rank's into this one's.
        """
        n, r = self.size, self.rank
        largest = max(b - a for a, b in zip(bounds, bounds[1:]))
        scratch = self._scratch.get(flat.dtype)
        if scratch is None or scratch.size < largest:
            scratch = self._scratch[flat.dtype] = np.empty(largest, flat.dtype)
        for step in range(n - 1):
            out, into = (r - step - 1) % n, (r - step - 2) % n
            received = scratch[: bounds[into + 1] - bounds[into]]
            self._ring([flat[bounds[out]:bounds[out + 1]]], [received], what)
            piece = flat[bounds[into]:bounds[into + 1]]
            np.add(piece, received, out=piece)

    def all_gather_pieces(self, pieces: list[list[np.ndarray]], what: str) -> None:
        """Give every rank every rank's pieces: ``pieces[r]`` (1-D arrays, the same shapes
        on every rank) are rank ``r``'s, complete there; the others are overwritten. A ring:
        ``size - 1`` steps, each passing one rank's pieces on to the next rank."""
        n, r = self.size, self.rank
        for step in range(n - 1):
            self._ring(pieces[(r - step) % n], pieces[(r - step - 1) % n], what)

    # -- pieces of a state fetched from the ranks that hold them ---------------------------
    def fetch_pieces(self, number: int, pieces: dict[int, list[np.ndarray]], what: str) -> None:
        """Receive rank ``q``'s pieces of state ``number`` into ``pieces[q]``, for each ``q``
        listed, without their taking part at the same moment: each is asked and answers
        in its next wait (every rank waits at each training step's collectives)."""
        receives = [self._comm.Irecv(a, q, _PIECES_TAG) for q, arrays in pieces.items()
                    for a in arrays]
        asks = [self._notices.Isend(np.array([number], np.int64), q, _ASK_TAG)
                for q in pieces]
        for request in receives + asks:
            self._wait(request, what)

    def _answer(self) -> None:
        """Send the pieces other ranks asked for (they wait for them, receives posted)."""
        status = self.MPI.Status()
        while self._ask.Test(status):
            source, number = status.Get_source(), int(self._asked[0])
            self._ask = self._notices.Irecv(self._asked, self.MPI.ANY_SOURCE, _ASK_TAG)
            sends = [self._comm.Isend(a, source, _PIECES_TAG) for a in self.serve(number)]
            deadline = time.monotonic() + self.timeout
            while sends and time.monotonic() < deadline:
                sends = [r for r in sends if not r.Test()]
            if sends:
                raise DistributedError(
                    f"rank {self.rank}: rank {source} asked for this rank's part of the "
                    f"optimizer state and did not take it within {self.timeout:g} s")
