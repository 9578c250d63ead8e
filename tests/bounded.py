"""Run a function in a forked child under a memory cap and a time limit; report what it did.

Hostile-file tests must show that loading a bomb neither allocates much nor takes long.
``tracemalloc`` misses what C libraries (HDF5, zlib) allocate, so the child caps its own
address space (``RLIMIT_AS``) at its size when it starts plus ``memory_mb``: any larger
allocation fails there with a ``MemoryError`` instead of swapping the machine. The child
may use ``seconds`` of CPU time (``RLIMIT_CPU``; the clock is no measure on a loaded
machine or in a slow container), and reports the CPU seconds it used; the parent gives up
on a child that has not finished after ten times that, plus a minute (a blocked child).

>>> run_bounded(lambda: 1 + 1).outcome
'ok'
>>> run_bounded(lambda: bytearray(400 << 20), memory_mb=64).error_type
'MemoryError'
>>> run_bounded(lambda: sum(iter(int, 1)), seconds=1).outcome  # computes forever
'timeout'
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    """What the child did: ``outcome`` is ``'ok'``, ``'error'`` or ``'timeout'``;
    ``seconds``: the CPU time it used."""

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
    """Run ``function()`` in a child limited to ``memory_mb`` more memory and ``seconds``
    of CPU time."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        report: dict = {}
        try:
            limit = _virtual_size() + memory_mb * (1 << 20)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            cpu = max(1, math.ceil(seconds))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            report = {"outcome": "ok", "value": repr(function())[:500]}
        except BaseException as error:  # report everything, MemoryError included
            report = {"outcome": "error", "error_type": type(error).__name__,
                      "error_bases": [c.__name__ for c in type(error).__mro__],
                      "message": str(error)[:4000] or traceback.format_exc()[-2000:]}
        usage = resource.getrusage(resource.RUSAGE_SELF)
        report["seconds"] = usage.ru_utime + usage.ru_stime
        with os.fdopen(write_end, "w") as out:
            out.write(json.dumps(report))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        ready, _, _ = select.select([pipe], [], [], 10 * seconds + 60)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        text = pipe.read() if ready else ""  # the child writes its report once, at the end
    _, status = os.waitpid(pid, 0)
    if not ready or (os.WIFSIGNALED(status)
                     and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        return Result("timeout", seconds=float(seconds))
    if not text:
        return Result("error", error_type="crash", message="the child died")
    report = json.loads(text)
    report["error_bases"] = tuple(report.get("error_bases", ()))
    return Result(**report)
