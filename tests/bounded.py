"""Run a function in a forked child under a memory cap and a time limit; report what it did.

Hostile-file tests must show that loading a bomb neither allocates much nor takes long.
``tracemalloc`` misses what C libraries (HDF5, zlib) allocate, so the child caps its own
address space (``RLIMIT_AS``) at its size when it starts plus ``memory_mb``: any larger
allocation fails there with a ``MemoryError`` instead of swapping the machine. The
parent waits at most ``seconds``.

>>> run_bounded(lambda: 1 + 1).outcome
'ok'
>>> run_bounded(lambda: bytearray(400 << 20), memory_mb=64).error_type
'MemoryError'
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    """What the child did: ``outcome`` is ``'ok'``, ``'error'`` or ``'timeout'``."""

    outcome: str
    value: str = ""
    error_type: str = ""
    error_bases: tuple[str, ...] = ()
    message: str = ""
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """Whether it failed with deepgrad's FileFormatError."""
        return self.outcome == "error" and "FileFormatError" in self.error_bases


def _virtual_size() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize in /proc/self/status")


def run_bounded(function: Callable[[], object], memory_mb: int = 200,
                seconds: float = 20.0) -> Result:
    """Run ``function()`` in a child limited to ``memory_mb`` more memory and ``seconds``."""
    read_end, write_end = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        report: dict = {}
        try:
            limit = _virtual_size() + memory_mb * (1 << 20)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            report = {"outcome": "ok", "value": repr(function())[:500]}
        except BaseException as error:  # report everything, MemoryError included
            report = {"outcome": "error", "error_type": type(error).__name__,
                      "error_bases": [c.__name__ for c in type(error).__mro__],
                      "message": str(error)[:4000] or traceback.format_exc()[-2000:]}
        with os.fdopen(write_end, "w") as out:
            out.write(json.dumps(report))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        ready, _, _ = select.select([pipe], [], [], seconds)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Result("timeout", seconds=time.perf_counter() - start)
        text = pipe.read()  # the child writes its report once, at the end
    os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if not text:
        return Result("error", error_type="crash", message="the child died", seconds=elapsed)
    report = json.loads(text)
    report["error_bases"] = tuple(report.get("error_bases", ()))
    return Result(seconds=elapsed, **report)
