"""Fuzz every file loader: seeded mutations of good files, each outcome counted.

For each loader (``load_model`` on ``.deepgrad``, ``load_weights`` on
``.weights.safetensors``, ``.weights.h5`` and Keras's ``.keras``, a dataset file through
its checksum check, and ``read_idx`` on raw IDX files), it makes ``--cases`` files from
seeds (``benchmarks/fuzz_cases.py``: byte-level damage, and structured rewrites that
re-sign what the format checks) and loads each in a worker process that watches its own
peak memory. Outcomes:

- ``clean load``: loaded exactly the seed's values (or a consistent rewrite's);
- ``clean error``: deepgrad's FileFormatError naming the file;
- ``unclean error``: any other exception, an error not naming the file, or a failed
  ``load_weights`` that changed the model;
- ``silent wrong``: loaded values differ from the seed's although the file still carries
  a checksum its loader checks;
- ``wrong, unchecked``: the same for files without a checksum (Keras's ``.keras`` and
  ``.weights.h5``, raw IDX files, or a mutation that removed the checksum): reported, as
  nothing can tell such damage from data;
- ``memory > 200 MB``: the worker's peak resident memory grew by more than 200 MB;
- ``hang > 10 s``: the load used more than 10 seconds of CPU time (the worker's and its
  reaped children's, so a loaded machine cannot fake a hang), or did not finish in ten
  times that of waiting (a blocked load).

The issue's bar: 0 unclean errors, 0 silent-wrong loads, 0 memory blow-ups and 0 hangs
in at least 10,000 cases per loader. The test suite runs a short seeded version
(tests/saving/test_fuzz_loaders.py).

Run: ``python benchmarks/fuzz_loaders.py [--cases 10000] [--seed 0] [--loaders deepgrad,h5]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz_cases  # noqa: E402  (benchmarks/ is not a package)
import numpy as np  # noqa: E402

OUTCOMES = ("clean load", "clean error", "unclean error", "silent wrong", "wrong, unchecked",
            "memory > 200 MB", "hang > 10 s")
BAD = ("unclean error", "silent wrong", "memory > 200 MB", "hang > 10 s")
MEMORY_LIMIT = 200 << 20
HANG_SECONDS = 10.0


def _peak_rss() -> int:
    """The peak resident size of this process or of any child it forked (libhdf5 runs in
    one, see deepgrad.formats.isolated); a fork starts at its parent's size."""
    return 1024 * max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def classify(seeds: fuzz_cases.Seeds, case: fuzz_cases.Case) -> tuple[str, str]:
    """Load one case here and name its outcome (memory and time are judged by the caller)."""
    from deepgrad.formats.errors import FileFormatError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = fuzz_cases.load(seeds, case)
    except FileFormatError as error:
        if str(case.path) in str(error):
            return "clean error", ""
        return "unclean error", f"FileFormatError without the file's name: {error}"[:300]
    except MemoryError as error:
        return "memory > 200 MB", f"MemoryError: {error}"[:300]
    except Exception as error:
        return "unclean error", f"{type(error).__name__}: {error}"[:300]
    if fuzz_cases.same(value, fuzz_cases.expected(seeds, case)) or case.resigned:
        return "clean load", ""
    if fuzz_cases.has_checksum(seeds, case):
        return "silent wrong", "loaded values differ from the seed's"
    return "wrong, unchecked", ""


def _worker(connection, loader: str, seed: int, folder: Path) -> None:
    seeds = fuzz_cases.Seeds(loader, folder)
    scratch = folder / "cases"
    scratch.mkdir()
    # A hard cap far above the reported threshold, so a runaway case cannot swap the machine.
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (size + (2 << 30), size + (2 << 30)))
    fuzz_cases.load(seeds, fuzz_cases.Case(seeds.paths[0], "seed0: warm-up"))
    baseline = _peak_rss()
    connection.send("ready")
    while True:
        index = connection.recv()
        if index is None:
            break
        rng = np.random.default_rng([seed, fuzz_cases.LOADERS.index(loader), index])
        case = fuzz_cases.make_case(seeds, index, rng, scratch)
        connection.send(("start", index, case.how))
        start = time.perf_counter()
        outcome, detail = classify(seeds, case)
        grown = _peak_rss() - baseline
        if grown > MEMORY_LIMIT:
            outcome, detail = "memory > 200 MB", f"peak grew by {grown >> 20} MB"
        connection.send(("done", index, outcome, detail, case.how,
                         time.perf_counter() - start))
        for path in scratch.iterdir():
            path.unlink()
        if outcome == "memory > 200 MB":
            break  # the peak only grows: a fresh worker measures the next cases


def _cpu_seconds(pid: int) -> float:
    """CPU seconds a process and its reaped children used (Linux ``/proc``; else 0)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class _Worker:
    def __init__(self, loader: str, seed: int) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{loader}-"))
        self.process = context.Process(target=_worker, args=(child, loader, seed, self.folder),
                                       daemon=True)
        self.process.start()
        if not self.connection.poll(300) or self.connection.recv() != "ready":
            raise RuntimeError(f"the {loader} worker did not start")

    def run(self, index: int):
        """Send one case; return its report, or None if it hung or the worker died."""
        self.connection.send(index)
        self.how = "?"
        if not self.connection.poll(120):  # making the case (bombs take a moment)
            return None
        self.how = self.connection.recv()[2]
        start = _cpu_seconds(self.process.pid)
        for _ in range(int(10 * HANG_SECONDS)):
            if self.connection.poll(1.0):
                return self.connection.recv()
            if _cpu_seconds(self.process.pid) - start > HANG_SECONDS:
                return None
        return None

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        shutil.rmtree(self.folder, ignore_errors=True)


def fuzz(loader: str, cases: int, seed: int = 0, recycle: int = 1000):
    """Run ``cases`` cases of one loader; return outcome counts and the bad cases."""
    counts: Counter = Counter()
    bad = []
    worker = None
    for index in range(cases):
        if worker is None or index % recycle == 0:
            if worker is not None:
                worker.stop()
            worker = _Worker(loader, seed)
        try:
            report = worker.run(index)
        except (EOFError, OSError):
            report = ("done", index, "unclean error", "the worker died", "?", 0.0)
        if report is None:
            report = ("done", index, "hang > 10 s", "stopped after 10 s of CPU", worker.how,
                      HANG_SECONDS)
        _, _, outcome, detail, how, _ = report
        counts[outcome] += 1
        if outcome in BAD:
            bad.append((index, outcome, how, detail))
        if (index + 1) % 1000 == 0:
            print(f"  {loader}: {index + 1} cases", file=sys.stderr, flush=True)
        if outcome in ("hang > 10 s", "memory > 200 MB") or not worker.process.is_alive():
            worker.stop()
            worker = None
    if worker is not None:
        try:
            worker.connection.send(None)
        except OSError:
            pass
        worker.stop()
    return counts, bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per loader")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loaders", default=",".join(fuzz_cases.LOADERS))
    args = parser.parse_args()
    print(f"{'loader':<12}" + "".join(f"{o:>18}" for o in OUTCOMES) + f"{'seconds':>10}")
    failed = False
    for loader in args.loaders.split(","):
        start = time.perf_counter()
        counts, bad = fuzz(loader, args.cases, args.seed)
        print(f"{loader:<12}" + "".join(f"{counts[o]:>18}" for o in OUTCOMES)
              + f"{time.perf_counter() - start:>10.0f}", flush=True)
        for index, outcome, how, detail in bad[:5]:
            print(f"    case {index}: {outcome}: {how}: {detail}")
        failed = failed or bool(bad)
    print("bad outcomes (unclean error, silent wrong, memory > 200 MB, hang > 10 s): "
          + ("SOME - see above" if failed else "0"))
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
