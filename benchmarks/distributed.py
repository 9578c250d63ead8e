"""Data-parallel training over MPI: the course CNN with 2 ranks x 1 thread against 1 rank x
1 thread and against 1 rank x 2 threads, on the same global batches.

Each configuration trains the course CNN (benchmarks/course_cnn.py; 3.27 M parameters, a
13 MB float32 gradient) for ``--steps`` global batches of ``--batch`` rows of random
28x28x1 images (the throughput does not depend on the pixel values) after two warm-up
steps, in its own processes; the configurations take turns, ``--rounds`` times.
Printed, median and range over the rounds:

- throughput (global samples per wall second) and the ratios 2x1 / 1x1 (the issue's
  target: at least 1.8, an efficiency of 0.9) and 2x1 / 1x2;
- CPU time per sample (all ranks' and threads' CPU seconds / samples) and the CPU
  efficiency 1x1 / 2x1: what data parallelism costs in work, which other jobs on a shared
  machine disturb far less than wall time;
- the gradient's collectives on their own, with 2 ranks: MPI's ``Allreduce`` (blocking)
  and ``Iallreduce`` (polled as deepgrad waits) against deepgrad's ring of polled
  point-to-point messages (reduce-scatter, all-gather, both), with their share of a step;
  and the latency of a 10-number all-reduce (the per-step metric sums), polled and
  blocking.

``--ceiling`` measures what this machine allows two ranks, without MPI: two independent
single-thread processes at once against one alone (see :func:`ceiling`).

    python benchmarks/distributed.py [--steps 8] [--batch 128] [--rounds 3]
    python benchmarks/distributed.py --ceiling [--steps 8] [--batch 128] [--rounds 3]
    python benchmarks/distributed.py --paper [--compute-ms 42.7]

``--paper`` prints the on-paper scaling model of the README instead: the efficiency at 8,
64 and 256 ranks on 10 and 100 Gbit/s networks, from the compute time of one rank's step
(``--compute-ms``: one core, 64 rows, CPU time measured here) and the gradient's size,
with a ring all-reduce costing ``2(N-1)/N * size / bandwidth + 2(N-1) * latency``.

Needs ``mpirun`` (Open MPI) and mpi4py (``pip install deepgrad[mpi]``).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

SLOTS = "ring all-gather of Adam's 2 slots"
CONFIGS = {"1x1": (1, 1), "1x2": (1, 2), "2x1": (2, 1)}  # name: (ranks, threads per rank)


def worker(args) -> None:
    """One configuration's training run (under mpirun for several ranks)."""
    from course_cnn import deepgrad_cnn

    import deepgrad as dg

    if args.core is not None:
        os.sched_setaffinity(0, {args.core})

    dg.config.set_num_threads(args.threads)
    dg.distribution.set_distribution(dg.distribution.DataParallel(timeout=600))
    rank = dg.distribution.distribution().process_id
    model = deepgrad_cnn(seed=0)
    rng = np.random.default_rng(0)
    rows = args.batch * args.steps
    x = rng.random((rows, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, rows)
    model.fit(x[: 2 * args.batch], y[: 2 * args.batch], batch_size=args.batch, verbose=0)
    group = dg.collective.current()
    if group is not None:
        group.comm.waited = [0.0, 0.0]
    if args.barrier:  # start timing together with the other process of the pair
        open(f"{args.barrier}.{args.core}", "w").close()
        while len(glob.glob(f"{args.barrier}.*")) < 2:
            time.sleep(1e-3)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=args.batch, verbose=0, shuffle=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = {"wall": wall, "cpu": cpu, "samples": rows, "wait_cpu": 0.0, "wait": 0.0}
    if group is not None:  # CPU summed over the ranks, wall of the slowest
        waited = group.comm.waited
        totals = group.all_reduce_sum(np.array([cpu, waited[1], waited[0]]), "the timings")
        longest = np.array([wall])
        group.comm._comm.Allreduce(group.comm.MPI.IN_PLACE, longest, group.comm.MPI.MAX)
        result.update(cpu=float(totals[0]), wait_cpu=float(totals[1]),
                      wait=float(totals[2]) / group.size, wall=float(longest[0]))
        result.update(all_reduce(group, model.count_params(), result["wall"] / args.steps))
    if rank == 0:
        with open(args.out, "w") as f:
            json.dump(result, f)


def all_reduce(group, size: int, step_seconds: float, repeats: int = 20) -> dict:
    """Median seconds of the gradient's collectives on a float32 buffer of ``size``: MPI's
    own ``Allreduce`` (blocking, which cannot watch for a failed rank) and ``Iallreduce``
    (non-blocking, polled as deepgrad waits), against deepgrad's ring of polled
    point-to-point messages: reduce-scatter, all-gather, and both (an all-reduce); then
    the latency of a 10-number all-reduce (the per-step metric sums), polled and blocking.
    The ways take turns, ``repeats`` times."""
    MPI, comm = group.comm.MPI, group.comm
    buffer = np.ones(size, np.float32)
    bounds = group._bounds(size)
    pieces = [[buffer[a:b]] for a, b in zip(bounds, bounds[1:])]

    ways = {
        "allreduce_blocking": lambda: comm._comm.Allreduce(MPI.IN_PLACE, buffer, MPI.SUM),
        "iallreduce_polled": lambda: comm.all_reduce_sum(buffer, "the benchmark"),
        "ring_reduce_scatter": lambda: comm.reduce_scatter(buffer, bounds, "the benchmark"),
        "ring_all_gather": lambda: comm.all_gather_pieces(pieces, "the benchmark"),
        "ring_all_reduce": lambda: group.all_reduce_gradients([buffer]),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, fn in ways.items():
            comm._comm.Barrier()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    found = {name: statistics.median(t) for name, t in times.items()}
    small = np.zeros(10)
    comm._comm.Barrier()
    start = time.perf_counter()
    for _ in range(300):
        comm.all_reduce_sum(small, "the benchmark")
    found["small_polled"] = (time.perf_counter() - start) / 300
    comm._comm.Barrier()
    start = time.perf_counter()
    for _ in range(300):
        comm._comm.Allreduce(MPI.IN_PLACE, small, MPI.SUM)
    found["small_blocking"] = (time.perf_counter() - start) / 300
    found["step"] = step_seconds
    return found


def phases_worker(args) -> None:
    """Under mpirun: the optimizer step's parts on the course CNN's variables (Adam), old
    way and new, taking turns ``--repeats`` times, both ranks at once (a barrier before
    each); rank 0 writes the medians and minimums (seconds)."""
    from course_cnn import deepgrad_cnn

    import deepgrad as dg

    dg.config.set_num_threads(1)
    dg.distribution.set_distribution(dg.distribution.DataParallel(timeout=600))
    group = dg.collective.current()
    comm, MPI = group.comm, group.comm.MPI
    model = deepgrad_cnn(seed=0)
    model.build((None, 28, 28, 1))
    variables = model.trainable_variables
    optimizer = dg.optimizers.Adam(1e-3)
    optimizer.build(variables)
    storage = optimizer._storage
    flat = storage.groups[0]
    rng = np.random.default_rng(group.rank)
    grads = [rng.normal(size=v.data.shape).astype(np.float32) * 1e-3 for v in variables]
    update = optimizer._rule(1, 1e-3, None)
    size = flat.grad.size
    bounds = group._bounds(size)
    mine = (bounds[group.rank], bounds[group.rank + 1])
    from deepgrad.distribution.group import _segments_between

    weights = [_segments_between(flat.flat_params, flat.offsets, a, b)
               for a, b in zip(bounds, bounds[1:])]
    slots = [[slot[a:b] for slot in flat.slots.values()] for a, b in zip(bounds, bounds[1:])]
    parts = {
        "copy the gradients into the flat buffer": lambda: storage.gather(grads),
        "Adam update, all 3.27 M weights": lambda: flat.step(update),
        "Adam update, this rank's half": lambda: flat.step(update, *mine),
        "Iallreduce (polled), 13 MB": lambda: comm.all_reduce_sum(flat.grad, "b"),
        "Allreduce (blocking), 13 MB": lambda: comm._comm.Allreduce(
            MPI.IN_PLACE, flat.grad, MPI.SUM),
        "ring reduce-scatter, 13 MB": lambda: comm.reduce_scatter(flat.grad, bounds, "b"),
        "ring all-gather of the weights": lambda: comm.all_gather_pieces(weights, "b"),
        SLOTS: lambda: comm.all_gather_pieces(slots, "b"),
    }
    times: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(args.repeats):
        for name, fn in parts.items():
            comm._comm.Barrier()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
            flat.grad[...] = 1e-3  # keep the sums small
    if group.rank == 0:
        with open(args.out, "w") as f:
            json.dump(times, f)


def phases(args) -> None:
    """The optimizer step's parts on 2 ranks (see :func:`phases_worker`), and what they add
    up to per step: the old way (Iallreduce, everything updated on each rank) and the new
    (reduce-scatter, half the update, all-gather of the weights)."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "phases.json")
        command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-n", "2",
                   sys.executable, __file__, "--phases-worker", "--repeats",
                   str(args.repeats), "--out", out]
        subprocess.run(command, env=_environment(1), check=True)
        with open(out) as f:
            times = json.load(f)
    print(f"the optimizer step's parts, 2 ranks at once, course CNN's 3.27 M weights, Adam, "
          f"{args.repeats} turns; load average {os.getloadavg()[0]:.1f}")
    low = {}
    for name, values in times.items():
        low[name] = min(values)
        print(f"  {name:40s}: median {statistics.median(values) * 1e3:6.2f} ms, "
              f"least {min(values) * 1e3:6.2f} ms")
    old = low["Iallreduce (polled), 13 MB"] + low["Adam update, all 3.27 M weights"]
    new = (low["ring reduce-scatter, 13 MB"] + low["Adam update, this rank's half"]
           + low["ring all-gather of the weights"])
    print(f"  per step (least times): Iallreduce + whole update {old * 1e3:.2f} ms; "
          f"ring reduce-scatter + half update + all-gather of the weights {new * 1e3:.2f} "
          f"ms (the slots, fetched only when the state is read, would add "
          f"{low[SLOTS] * 1e3:.2f} ms a step)")


def _environment(threads: int) -> dict:
    here = os.path.dirname(os.path.abspath(__file__))
    return dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                PYTHONPATH=os.pathsep.join([os.path.join(here, "..", "src"), here,
                                            os.environ.get("PYTHONPATH", "")]))


def run(name: str, args) -> dict:
    ranks, threads = CONFIGS[name]
    env = _environment(threads)
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "result.json")
        command = [sys.executable, __file__, "--worker", "--threads", str(threads),
                   "--steps", str(args.steps), "--batch", str(args.batch), "--out", out]
        if ranks > 1:
            command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-n",
                       str(ranks)] + command
        subprocess.run(command, env=env, check=True)
        with open(out) as f:
            return json.load(f)


def run_alone_or_paired(batch: int, paired: bool, args) -> list[dict]:
    """One process on core 0 training ``--steps`` batches of ``batch`` rows without MPI,
    or two such processes at once (cores 0 and 1, timed from a common start)."""
    with tempfile.TemporaryDirectory() as folder:
        processes, outs = [], []
        for core in (0, 1) if paired else (0,):
            outs.append(os.path.join(folder, f"result{core}.json"))
            command = [sys.executable, __file__, "--worker", "--threads", "1", "--core",
                       str(core), "--steps", str(args.steps), "--batch", str(batch),
                       "--out", outs[-1]]
            if paired:
                command += ["--barrier", os.path.join(folder, "ready")]
            processes.append(subprocess.Popen(command, env=_environment(1)))
        for process in processes:
            if process.wait():
                raise subprocess.CalledProcessError(process.returncode, process.args)
        results = []
        for out in outs:
            with open(out) as f:
                results.append(json.load(f))
        return results


def ceiling(args) -> None:
    """What this machine allows two ranks, measured without MPI: two independent
    single-thread processes at once against one alone.

    - the machine's ceiling: two copies of the same work at once (each ``--batch`` rows a
      step, then each ``--batch / 2``): their combined throughput over one copy's alone
      (2.0 if the cores shared nothing: caches, memory bandwidth, clock);
    - the ceiling of data parallelism as deepgrad does it: one process on ``--batch`` rows
      alone against two at once on ``--batch / 2`` rows each (what each rank computes): the
      2x1 / 1x1 throughput if the all-reduce and its waits cost nothing. Each rank's step
      still does the work that does not shrink with its rows (the optimizer's update, the
      per-step overhead) in full.
    """
    half = args.batch // 2
    found: dict[str, list[float]] = {k: [] for k in (
        "alone", "alone_half", "paired", "paired_half")}
    cpu: dict[str, list[float]] = {k: [] for k in found}
    for _ in range(args.rounds):
        for key, batch, paired in (("alone", args.batch, False), ("paired", args.batch, True),
                                   ("alone_half", half, False), ("paired_half", half, True)):
            results = run_alone_or_paired(batch, paired, args)
            found[key].append(statistics.mean(r["wall"] for r in results) / args.steps)
            cpu[key].append(statistics.mean(r["cpu"] for r in results) / args.steps)
    print(f"course CNN, one thread a process, {args.steps} steps after 2 warm-up steps, "
          f"{args.rounds} rounds (median [min .. max]); load average {os.getloadavg()[0]:.1f}")
    for key, label in (("alone", f"{args.batch} rows, alone"),
                       ("paired", f"{args.batch} rows, two at once"),
                       ("alone_half", f"{half} rows, alone"),
                       ("paired_half", f"{half} rows, two at once")):
        print(f"  step of {label:22s}: {_summary([t * 1e3 for t in found[key]])} ms wall, "
              f"{_summary([t * 1e3 for t in cpu[key]])} ms CPU")
    pairs = lambda a, b: [2 * x / y for x, y in zip(a, b)]  # noqa: E731 (same round)
    print("  machine ceiling, two copies of the same work at once / one alone: "
          f"{_summary(pairs(found['alone'], found['paired']))} ({args.batch} rows), "
          f"{_summary(pairs(found['alone_half'], found['paired_half']))} ({half} rows)")
    print("  data-parallel ceiling, 2 x (half the rows) at once / all the rows alone: "
          f"{_summary(pairs(found['alone'], [2 * t for t in found['paired_half']]))}"
          "   (the issue's target: 1.8)")
    print("  the same in CPU time: "
          f"{_summary(pairs(cpu['alone'], [2 * t for t in cpu['paired_half']]))}")


# Networks of the model: (name, bytes per second, latency of one message in seconds).
NETWORKS = (("10 Gbit/s Ethernet (TCP, 25 us)", 10e9 / 8, 25e-6),
            ("100 Gbit/s (RDMA, 5 us)", 100e9 / 8, 5e-6))
COURSE_CNN_PARAMETERS = 3_274_634  # 832 + 51,264 + 3,212,288 + 10,250 (Dense 3136->1024)


def ring_all_reduce(ranks: int, size: float, bandwidth: float, latency: float) -> float:
    """Seconds of a ring all-reduce of ``size`` bytes: reduce-scatter then all-gather,
    ``2(N-1)`` messages of ``size/N`` bytes each way."""
    return 2 * (ranks - 1) / ranks * size / bandwidth + 2 * (ranks - 1) * latency


def paper(compute_ms: float, per_sample_ms: float, hidden_ms: float) -> None:
    """The scaling model's table (printed as Markdown for the README)."""
    size = COURSE_CNN_PARAMETERS * 4
    compute = compute_ms / 1e3
    print(f"Course CNN gradient: {size / 1e6:.1f} MB; one rank's step (64 rows, one core): "
          f"{compute_ms:g} ms; backward after the Dense gradients: {hidden_ms:g} ms\n")
    print("| Network | Ranks | All-reduce | Efficiency | With overlap | 4x the rows per rank |")
    print("|---|---|---|---|---|---|")
    for name, bandwidth, latency in NETWORKS:
        for ranks in (8, 64, 256):
            reduce = ring_all_reduce(ranks, size, bandwidth, latency)
            plain = compute / (compute + reduce)
            overlap = compute / (compute + max(0.0, reduce - hidden_ms / 1e3))
            bigger = compute + 3 * 64 * per_sample_ms / 1e3  # 256 rows per rank
            print(f"| {name} | {ranks} | {reduce * 1e3:.1f} ms | {plain:.2f} | "
                  f"{overlap:.2f} | {bigger / (bigger + reduce):.2f} |")


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.3g}  [{min(values):.3g} .. {max(values):.3g}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--paper", action="store_true", help="print the scaling model")
    parser.add_argument("--phases", action="store_true",
                        help="time the optimizer step's parts on 2 ranks")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--phases-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ceiling", action="store_true",
                        help="measure what two processes at once reach, without MPI")
    parser.add_argument("--compute-ms", type=float, default=42.7)
    parser.add_argument("--per-sample-ms", type=float, default=0.536)
    parser.add_argument("--hidden-ms", type=float, default=20.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--barrier", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.phases_worker:
        phases_worker(args)
        return
    if args.phases:
        phases(args)
        return
    if args.paper:
        paper(args.compute_ms, args.per_sample_ms, args.hidden_ms)
        return
    if args.ceiling:
        ceiling(args)
        return
    results: dict[str, list[dict]] = {name: [] for name in CONFIGS}
    names = list(CONFIGS)
    for round_ in range(args.rounds):
        for name in names[round_ % 3:] + names[: round_ % 3]:  # rotate the order
            results[name].append(run(name, args))
    rate = {n: [r["samples"] / r["wall"] for r in rs] for n, rs in results.items()}
    cpu = {n: [r["cpu"] / r["samples"] * 1e3 for r in rs] for n, rs in results.items()}
    work = {n: [(r["cpu"] - r["wait_cpu"]) / r["samples"] * 1e3 for r in rs]
            for n, rs in results.items()}
    print(f"course CNN, {args.steps} global batches of {args.batch}, {args.rounds} rounds "
          f"(median [min .. max]); load average {os.getloadavg()[0]:.1f}")
    for name in CONFIGS:
        print(f"  {name} (ranks x threads): {_summary(rate[name])} samples/s,"
              f" {_summary(cpu[name])} CPU ms/sample, {_summary(work[name])} outside waits")
    pairs = lambda a, b: [x / y for x, y in zip(a, b)]  # noqa: E731 (same round)
    print(f"  throughput 2x1 / 1x1: {_summary(pairs(rate['2x1'], rate['1x1']))}"
          "   (target >= 1.8)")
    print(f"  throughput 2x1 / 1x2: {_summary(pairs(rate['2x1'], rate['1x2']))}")
    print(f"  CPU efficiency 1x1 / 2x1 (CPU per sample): {_summary(pairs(cpu['1x1'], cpu['2x1']))}")
    print("  the same outside the waits for other ranks: "
          f"{_summary(pairs(work['1x1'], work['2x1']))}")
    waits = [r["wait"] / r["wall"] * 100 for r in results["2x1"]]
    print(f"  2x1: share of wall time spent waiting in collectives: {_summary(waits)} %")
    two = results["2x1"]
    step = [r["step"] for r in two]
    print("  the gradient's collectives (13 MB, float32):")
    for way in ("allreduce_blocking", "iallreduce_polled", "ring_reduce_scatter",
                "ring_all_gather", "ring_all_reduce"):
        seconds = [r[way] for r in two]
        print(f"    {way:20s}: {_summary([s * 1e3 for s in seconds])} ms, "
              f"{_summary([s / t * 100 for s, t in zip(seconds, step)])} % of a step")
    for way in ("polled", "blocking"):
        seconds = [r[f"small_{way}"] * 1e6 for r in two]
        print(f"  all-reduce of 10 numbers, {way:8s}: {_summary(seconds)} us")


if __name__ == "__main__":
    main()
