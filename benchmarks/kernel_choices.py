"""The choices inside deepgrad's kernels, each timed against its alternatives.

Each constant or way of doing something in ``deepgrad/kernels/`` whose comment says it
was measured names a case here. A case runs the choice made and the alternatives on the
same data, round-robin in one process (machine noise hits them alike), and prints the
median time of each and its ratio to the choice (above 1: the alternative is slower).
Shapes are the course CNN's (28x28x1 -> Conv 5x5 32 -> pool -> Conv 5x5 64 -> pool)
unless a case says otherwise; float32, batch 128, the process's default threads.

On a machine shared with other jobs, ``--cpu-time`` measures the CPU time of one
thread instead of the wall time: what other jobs add (waiting for a core) drops out,
and a choice about cache sizes or memory passes is still seen.

    python benchmarks/kernel_choices.py                 # every case
    python benchmarks/kernel_choices.py gemm_chunk pool_direct   # some cases
    python benchmarks/kernel_choices.py --cpu-time --repeats 25
    python benchmarks/kernel_choices.py --list
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from common import blas_label
from course_cnn import deepgrad_cnn
from numpy.lib.stride_tricks import as_strided

import deepgrad as dg
from deepgrad import ops
from deepgrad.kernels import affine, conv, conv_gemm, pool, winograd
from deepgrad.kernels.geometry import conv_geometry
from deepgrad.kernels.scratch import scratch_buffer

rng = np.random.default_rng(0)
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def with_setting(module, name, value, fn):
    """``fn`` run with ``module.name`` set to ``value`` (restored after)."""
    def run():
        old = getattr(module, name)
        setattr(module, name, value)
        try:
            return fn()
        finally:
            setattr(module, name, old)
    return run


def _bind(fn, *args):
    return lambda: fn(*args)


def conv_layer(size, cin, cout, k=5, batch=128, input_grad=True):
    """Forward and forward + backward of one conv layer (same padding, ReLU)."""
    x = dg.Tensor(rng.random((batch, size, size, cin), dtype=np.float32),
                  requires_grad=input_grad)
    kernel = dg.Tensor(f32(k, k, cin, cout) * 0.1, requires_grad=True)
    bias = dg.Tensor(np.zeros(cout, np.float32), requires_grad=True)
    g = f32(batch, size, size, cout)

    def forward():
        with dg.no_grad():
            ops.conv2d(x, kernel, bias, padding="same", activation="relu")

    def train():
        ops.conv2d(x, kernel, bias, padding="same", activation="relu").backward(g)

    return forward, train


def course_cnn_steps():
    x = rng.uniform(0, 1, (128, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    model = deepgrad_cnn()
    return (lambda: model.predict_on_batch(x)), (lambda: model.train_on_batch(x, y))


@case
def gemm_chunk():
    """conv_gemm.CHUNK_BYTES: the im2col chunk (columns + output rows), whole CNN steps."""
    predict, train = course_cnn_steps()
    sizes = {"4 MB (chosen)": 4 << 20, "2 MB": 2 << 20, "8 MB": 8 << 20}
    # Winograd takes the second layer; its chunk is winograd_chunk. The first layer,
    # its pools and the im2col backward of the first layer follow this setting.
    yield "course CNN predict_on_batch", {
        k: with_setting(conv_gemm, "CHUNK_BYTES", v, predict) for k, v in sizes.items()}
    yield "course CNN train_on_batch", {
        k: with_setting(conv_gemm, "CHUNK_BYTES", v, train) for k, v in sizes.items()}


@case
def winograd_chunk():
    """winograd.CHUNK_BYTES: transformed input and products of a chunk together."""
    for size, cin, cout, k in ((14, 32, 64, 5), (28, 8, 32, 5), (14, 64, 64, 3)):
        forward, train = conv_layer(size, cin, cout, k)
        sizes = {"3 MB (chosen)": 3 << 20, "1.5 MB": 3 << 19, "6 MB": 3 << 21}
        label = f"{k}x{k} {cin}->{cout} on {size}x{size}"
        yield f"{label} forward", {
            n: with_setting(winograd, "CHUNK_BYTES", v, forward) for n, v in sizes.items()}
        yield f"{label} forward+backward", {
            n: with_setting(winograd, "CHUNK_BYTES", v, train) for n, v in sizes.items()}


@case
def winograd_or_im2col():
    """winograd.MIN_CHANNELS: from 8 input channels Winograd, below it im2col (and
    GAIN, TILES_PER_CHANNEL: kernel_choices_apps.py winograd_gain)."""
    for size, cin, cout, k in ((14, 32, 64, 5), (28, 8, 32, 5), (28, 4, 32, 5),
                               (14, 8, 16, 3), (14, 4, 16, 3), (14, 64, 64, 3)):
        forward, train = conv_layer(size, cin, cout, k)
        chosen = "Winograd (chosen)" if cin >= winograd.MIN_CHANNELS else "im2col (chosen)"
        other = "im2col" if cin >= winograd.MIN_CHANNELS else "Winograd"
        settings = {chosen: winograd.MIN_CHANNELS,
                    other: 10**9 if cin >= winograd.MIN_CHANNELS else 1}
        label = f"{k}x{k} {cin}->{cout} on {size}x{size}"
        for what, fn in (("forward", forward), ("forward+backward", train)):
            yield f"{label} {what}", {
                n: with_setting(winograd, "MIN_CHANNELS", v, fn) for n, v in settings.items()}


@case
def winograd_tile():
    """winograd.OUTPUTS: 4 outputs per tile along each axis; 6 needs two more points
    (3 and -3) for a 5x5 kernel."""
    for size, cin, cout, k in ((14, 32, 64, 5), (14, 64, 64, 3)):
        x = rng.random((128, size, size, cin), dtype=np.float32)
        kernel = f32(k, k, cin, cout) * 0.05
        geo = conv_geometry(x.shape, kernel.shape, padding="same")
        want = _direct(x.astype(np.float64), kernel.astype(np.float64), geo)
        fns = {}
        for m in (4, 6):
            run = _tiled(m, x, kernel, geo)
            label = f"F({m}x{m}, {k}x{k})" + (" (chosen)" if m == winograd.OUTPUTS else "")
            error = np.abs(run() - want).max() / np.abs(want).max()
            print(f"  {label}: float32 error {error:.1e} of the largest output")
            fns[label] = run
        yield f"{k}x{k} {cin}->{cout} on {size}x{size} forward", fns


def _tiled(m, x, kernel, geo):
    def run():
        old = winograd.OUTPUTS, winograd.POINTS
        winograd.OUTPUTS, winograd.POINTS = m, old[1] + (3, -3)
        try:
            return winograd.forward(x, kernel, geo)
        finally:
            winograd.OUTPUTS, winograd.POINTS = old
    return run


def _direct(x, kernel, geo):
    return conv_gemm.forward(x, kernel.reshape(-1, kernel.shape[3]), geo)


@case
def winograd_transform_order():
    """winograd._both: the one wide product where the data is smaller (the output
    transform of a chunk of the 5x5 64-channel layer)."""
    geo = conv_geometry((4, 14, 14, 32), (5, 5, 32, 64), padding="same")
    p = winograd.plan(geo, np.float32)
    products = f32(p.points, p.th * p.tw * 4, 64)
    out = np.empty((p.mh, p.mw, p.th, p.tw, 4, 64), np.float32)
    at_h, at_w = p.h[0], p.w[0]

    def other_order():  # the wide product first, although the transform shrinks the data
        rest = products.size // (p.ah * p.aw)
        inner = scratch_buffer("bench_inner", (p.mh, p.aw, rest), np.float32)
        np.matmul(at_h, products.reshape(p.ah, -1), out=inner.reshape(p.mh, -1))
        np.matmul(at_w, inner, out=out.reshape(p.mh, p.mw, -1))

    yield "output transform of a chunk (4 images)", {
        "narrow first (chosen)": lambda: winograd._both(at_h, at_w, products, out),
        "wide first": other_order,
    }


@case
def winograd_input_transform():
    """winograd._transformed: the width's transform through strided windows of the padded
    chunk, then the height's, against gathering the overlapping tiles first."""
    x = rng.random((4, 14, 14, 32), dtype=np.float32)
    geo = conv_geometry(x.shape, (5, 5, 32, 64), padding="same")
    p = winograd.plan(geo, np.float32)
    padded = winograd._padded_input(geo, p, 4, np.float32)
    out = np.empty((p.ah, p.aw, p.th * p.tw * 4 * 32), np.float32)

    def gathered():
        winograd._transformed(x, padded, geo, p)  # the same padded copy of the chunk
        s0, s1, _, s3 = padded.strides
        tiles = as_strided(padded, (p.ah, p.aw, p.th, p.tw, 4 * 32),
                           (s0, s1, p.mh * s0, p.mw * s1, s3))
        winograd._both(p.h[2], p.w[2], np.ascontiguousarray(tiles), out)

    yield "input transform of a chunk (4 images, 5x5, 32 channels)", {
        "strided windows (chosen)": lambda: winograd._transformed(x, padded, geo, p),
        "gathered tiles": gathered,
    }


@case
def transposed_columns():
    """conv_gemm.FEW_CHANNELS: up to 4 input channels, im2col columns built transposed."""
    for cin in (1, 3):
        forward, train = conv_layer(28, cin, 32, input_grad=False)
        settings = {"transposed (chosen)": conv_gemm.FEW_CHANNELS, "rows": 0}
        for what, fn in (("forward", forward), ("forward+backward", train)):
            yield f"5x5 {cin}->32 on 28x28 {what}", {
                n: with_setting(conv_gemm, "FEW_CHANNELS", v, fn) for n, v in settings.items()}


@case
def bias_in_the_product():
    """conv_gemm.backward: the bias gradient as a row of ones under transposed columns
    (summed by the kernel-gradient product), against a column sum of the gradient."""
    cols = f32(26, 4 * 784)  # a chunk of the first layer: 25 taps and the row of ones
    cols[-1] = 1
    g = f32(4 * 784, 32)
    yield "kernel and bias gradients of a chunk (4 images, 5x5 1->32)", {
        "row of ones (chosen)": lambda: cols @ g,
        "column sum": lambda: (cols[:-1] @ g, np.add.reduce(g, axis=0)),
    }


@case
def flipped_input_grad():
    """conv.FLIP_MIN_ROWS: a stride-1 input gradient is a convolution with the flipped
    kernel where the batch has as many positions as its kernel matrix has rows, else
    col2im."""
    for size, cin, cout, k, batch in ((14, 32, 64, 5, 128), (28, 8, 32, 5, 128),
                                      (28, 4, 32, 5, 128), (14, 8, 16, 3, 128),
                                      (14, 16, 16, 3, 32), (7, 512, 512, 3, 8)):
        kernel = f32(k, k, cin, cout) * 0.1
        geo = conv_geometry((batch, size, size, cin), kernel.shape, padding="same")
        g = f32(batch, size, size, cout)
        w2 = kernel.reshape(-1, cout)
        chosen = conv.flipped_geometry(geo, g.shape) is not None
        settings = {("flipped conv (chosen)" if chosen else "col2im (chosen)"):
                    conv.FLIP_MIN_ROWS,
                    ("col2im" if chosen else "flipped conv"): 10**9 if chosen else 0}
        grad_of_input = _bind(conv.conv_input_grad, g, w2, geo)
        yield f"input gradient, {k}x{k} {cin}->{cout} on {size}x{size}, batch {batch}", {
            n: with_setting(conv, "FLIP_MIN_ROWS", v, grad_of_input)
            for n, v in settings.items()}


@case
def pool_direct():
    """pool._DIRECT_MAX_CELLS: inference max pooling of up to that many cells a window
    reads each cell's strided view (pool.max_of), against the separable passes: the course
    CNN's 2x2 pools, the toy ResNet's 3x3 one (models.py toy_resnet) and ResNet50's 3x3
    stride-2 one."""
    cases = [((128, 28, 28, 32), 2, 2), ((128, 14, 14, 64), 2, 2), ((128, 28, 28, 1), 2, 2),
             ((64, 28, 28, 64), 3, 3), ((8, 114, 114, 64), 3, 2)]
    for shape, size, stride in cases:
        x = f32(*shape)
        settings = {"cell by cell (chosen)": pool._DIRECT_MAX_CELLS, "separable": 0}
        max_pool = _bind(pool.max_pool2d, x, (size, size), (stride, stride), "valid", False)
        yield (f"{size}x{size} max pool, stride {stride}, of {'x'.join(map(str, shape))}, "
               "no argmax"), {
            n: with_setting(pool, "_DIRECT_MAX_CELLS", v, max_pool) for n, v in settings.items()}


@case
def winners_by_maximum():
    """pool.max_of: a window's winning cell as the running maximum of ``k * (cell > max)``,
    against a masked copy of ``k`` where the cell is larger."""
    cells = [f32(100_352) for _ in range(4)]
    out, argmax = np.empty(100_352, np.float32), np.empty(100_352, np.uint8)

    def masked_copy():
        np.copyto(out, cells[0])
        argmax.fill(0)
        for k, cell in enumerate(cells[1:], start=1):
            np.copyto(argmax, k, where=np.greater(cell, out))
            np.maximum(out, cell, out=out)

    yield "max and winners of 4 cells of 100,352 numbers", {
        "maximum of indices (chosen)": lambda: pool.max_of(cells, out, argmax),
        "masked copy": masked_copy,
    }


@case
def affine_block():
    """affine._BLOCK_VALUES: output values warped per block (operands stay in cache)."""
    images = rng.uniform(0, 255, (1024, 28, 28, 1)).astype(np.float32)
    t = np.tile(np.array([0.9, 0.1, 1.0, -0.1, 0.9, 2.0, 0.0, 0.0]), (1024, 1))
    sizes = {"2**16 (chosen)": 2**16, "2**14": 2**14, "2**20": 2**20}
    yield "affine_transform of 1024 images 28x28x1, bilinear, reflect", {
        n: with_setting(affine, "_BLOCK_VALUES", v, lambda: affine.affine_transform(images, t))
        for n, v in sizes.items()}


def round_robin(fns: dict, repeats: int, clock) -> dict:
    """Median time of each function, timed in turns after two untimed calls each."""
    for fn in fns.values():
        fn()
        fn()
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = clock()
            fn()
            samples[name].append(clock() - start)
    return {name: statistics.median(t) for name, t in samples.items()}


def run_case(name: str, repeats: int, clock) -> None:
    print(f"\n{name}: {CASES[name].__doc__.splitlines()[0]}", flush=True)
    for label, fns in CASES[name]():
        medians = round_robin(fns, repeats, clock)
        chosen = next(iter(medians.values()))
        print(f"  {label}")
        for k, v in medians.items():
            print(f"    {k:<28} {v * 1e3:9.3f} ms   x{v / chosen:5.2f}", flush=True)


def main(default: list[str] | None = None) -> None:
    """Run the cases named on the command line, else ``default`` (else every case)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--cpu-time", action="store_true",
                        help="one thread, CPU time (a machine shared with other jobs)")
    args = parser.parse_args()
    if args.list:
        for name, fn in CASES.items():
            print(f"{name:<26} {fn.__doc__.splitlines()[0]}")
        return
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        sys.exit(f"unknown cases {unknown}; --list shows them")
    clock = time.perf_counter
    if args.cpu_time:
        dg.config.set_num_threads(1)
        clock = time.process_time
    print(f"[{blas_label()}, threads {dg.config.get_num_threads()}, "
          f"{'CPU' if args.cpu_time else 'wall'} time] median of {args.repeats} round-robin "
          "runs; x = time / the choice's time")
    for name in args.cases or default or CASES:
        run_case(name, args.repeats, clock)


if __name__ == "__main__":
    main()
