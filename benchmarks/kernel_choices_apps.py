"""The kernel choices behind the application models (depthwise convolution, batch norm,
ReLU6), each timed against its alternatives; the runner and options are
``benchmarks/kernel_choices.py``'s (this script adds its cases to that one's).

Shapes are MobileNetV2's at 96x96 and batch 32 unless a case says otherwise.

    python benchmarks/kernel_choices_apps.py --cpu-time          # these cases
    python benchmarks/kernel_choices_apps.py depthwise_chunk norm_wide_rows --cpu-time
"""

from __future__ import annotations

import numpy as np
from kernel_choices import case, conv_layer, f32, main, with_setting

from deepgrad.kernels import activation, conv_gemm, depthwise, norm, pointwise, winograd
from deepgrad.kernels.geometry import conv_geometry
from deepgrad.kernels.parallel import chunks
from deepgrad.ops import residual
from deepgrad.tensor import Tensor

APP_CASES = []

# (input shape, stride, padding) of MobileNetV2's depthwise layers at 96x96, batch 32.
DEPTHWISE_LAYERS = (((32, 48, 48, 32), 1, "same"), ((32, 49, 49, 96), 2, "valid"),
                    ((32, 24, 24, 144), 1, "same"), ((32, 6, 6, 384), 1, "same"))
# Inputs of its batch norms.
NORM_SHAPES = ((32, 48, 48, 96), (32, 24, 24, 144), (32, 6, 6, 384))


def app_case(fn):
    APP_CASES.append(fn.__name__)
    return case(fn)


def _depthwise(shape, stride, padding):
    x, kernel = f32(*shape), f32(3, 3, shape[3], 1)
    geo = conv_geometry(shape, (3, 3, shape[3], shape[3]), (stride, stride), padding)
    g = f32(shape[0], geo.out_h, geo.out_w, shape[3])

    def forward():
        depthwise.depthwise_forward(x, kernel, geo)

    def backward():
        depthwise.depthwise_backward(x, kernel, g, geo)

    return f"{'x'.join(map(str, shape))} stride {stride}", forward, backward, (x, kernel, geo)


def _padded_forward(x, kernel, geo):
    """The way before: a padded copy, then each tap over the whole batch."""
    xp = np.pad(x, ((0, 0), geo.pad[0], geo.pad[1], (0, 0)))
    y = np.zeros((geo.batch, geo.out_h, geo.out_w, geo.in_c), x.dtype)
    tmp = np.empty_like(y)
    for i in range(geo.kh):
        for j in range(geo.kw):
            rows = slice(i, i + geo.sh * (geo.out_h - 1) + 1, geo.sh)
            cols = slice(j, j + geo.sw * (geo.out_w - 1) + 1, geo.sw)
            np.multiply(xp[:, rows, cols], kernel[i, j, :, 0], out=tmp)
            y += tmp
    return y


@app_case
def depthwise_padding():
    """depthwise: taps read only the input they reach (no padded copy), a chunk of images
    at a time, against a padded copy and whole-batch taps."""
    for shape, stride, padding in DEPTHWISE_LAYERS:
        label, forward, _, args = _depthwise(shape, stride, padding)
        yield f"forward {label}", {
            "taps in reach, chunks (chosen)": forward,
            "padded copy, whole batch": lambda args=args: _padded_forward(*args),
        }


@app_case
def depthwise_chunk():
    """depthwise.CHUNK_BYTES: output bytes of the images handled together."""
    sizes = {"1 MB (chosen)": 1 << 20, "256 KB": 256 << 10, "4 MB": 4 << 20}
    for shape, stride, padding in DEPTHWISE_LAYERS:
        label, forward, backward, _ = _depthwise(shape, stride, padding)
        for what, fn in (("forward", forward), ("backward", backward)):
            yield f"{what} {label}", {
                n: with_setting(depthwise, "CHUNK_BYTES", v, fn) for n, v in sizes.items()}


@app_case
def depthwise_strided():
    """depthwise.WINDOWS_MIN_STRIDE: one einsum over each output's window, against the taps
    one by one, on MobileNetV2's stride-2 layers (as its ZeroPadding2D and 'valid'
    convolution) and a stride-1 layer."""
    for shape, stride in (((32, 49, 49, 96), 2), ((32, 25, 25, 144), 2), ((32, 13, 13, 192), 2),
                          ((32, 7, 7, 576), 2), ((32, 24, 24, 144), 1)):
        label, forward, _, _ = _depthwise(shape, stride, "valid" if stride > 1 else "same")
        ways = {"einsum over windows": with_setting(depthwise, "WINDOWS_MIN_STRIDE", 1, forward),
                "tap by tap": with_setting(depthwise, "WINDOWS_MIN_STRIDE", 1 << 30, forward)}
        chosen = "einsum over windows" if stride >= depthwise.WINDOWS_MIN_STRIDE else "tap by tap"
        ways[f"{chosen} (chosen)"] = ways.pop(chosen)
        yield f"forward {label}", dict(sorted(ways.items(), key=lambda kv: "chosen" not in kv[0]))


@app_case
def relu_by_clip():
    """activation.relu_clip: np.clip(y, 0, inf) for ReLU, against np.maximum(y, 0), from
    activation.SMALL_SIZE numbers on (np.maximum below)."""
    for shape in ((32, 24, 24, 144), (4, 64, 64), (4, 32, 32), (4, 1024), (32, 10)):
        y = f32(*shape)
        small = y.size < activation.SMALL_SIZE
        yield f"ReLU in place on {'x'.join(map(str, shape))}", {
            "np.clip(y, 0, inf)" + ("" if small else " (chosen)"):
                lambda y=y: np.clip(y, 0, np.inf, out=y),
            "np.maximum(y, 0)" + (" (chosen)" if small else ""):
                lambda y=y: np.maximum(y, 0, out=y),
        }


@app_case
def clip_parts():
    """activation.clip: ReLU6 in at most one part per thread, against cache-sized chunks
    and one np.clip call."""
    def in_chunks(x):
        flat, y = x.reshape(-1), np.empty(x.size, x.dtype)
        for part in chunks(flat.size, (64 << 10) // flat.itemsize):
            np.clip(flat[part], 0.0, 6.0, out=y[part])
        return y

    for shape in ((32, 48, 48, 96), (32, 12, 12, 384)):
        x = f32(*shape) * 4
        yield f"ReLU6 of {'x'.join(map(str, shape))}", {
            "thread parts (chosen)": lambda x=x: activation.clip(x, 0.0, 6.0),
            "64 KB chunks": lambda x=x: in_chunks(x),
            "one np.clip": lambda x=x: np.clip(x, 0.0, 6.0),
        }


def _norm_steps(shape):
    x, g = f32(*shape), f32(*shape)
    mean, var = norm.moments(x)
    inv = (1 / np.sqrt(var + 1e-3)).astype(np.float32)

    def forward():
        m, v = norm.moments(x)
        norm.scale_shift(x, inv, -m * inv, "relu6")

    def backward():
        y = norm.scale_shift(x, inv, -mean * inv, "relu6")
        norm.backward(x, g, mean, inv, None, True, "relu6", y)

    return forward, backward


@app_case
def norm_chunk():
    """norm.CHUNK_BYTES: bytes of the rows handled together in each pass."""
    sizes = {"1 MB (chosen)": 1 << 20, "256 KB": 256 << 10, "4 MB": 4 << 20}
    for shape in NORM_SHAPES:
        forward, backward = _norm_steps(shape)
        for what, fn in (("forward + ReLU6", forward), ("backward through ReLU6", backward)):
            yield f"{what} {'x'.join(map(str, shape))}", {
                n: with_setting(norm, "CHUNK_BYTES", v, fn) for n, v in sizes.items()}


@app_case
def residual_chunk():
    """activation.SUM_CHUNK_BYTES: ResNet50's residual sum and ReLU (batch 8), forward and
    backward, in chunks in deepgrad's threads, against one pass over the whole array."""
    sizes = {"4 MB (chosen)": 4 << 20, "1 MB": 1 << 20, "16 MB": 16 << 20,
             "one chunk": 1 << 40}
    for size, channels in ((56, 256), (28, 512), (14, 1024)):
        a, b = (Tensor(f32(8, size, size, channels), requires_grad=True) for _ in range(2))
        g = f32(8, size, size, channels)

        def forward(a=a, b=b):
            return residual.add_activation([a, b], "relu")

        def backward(a=a, b=b, g=g):
            out = residual.add_activation([a, b], "relu")
            return out._node.backward(g)

        for what, fn in (("forward", forward), ("forward+backward", backward)):
            yield f"{what} 8x{size}x{size}x{channels}", {
                n: with_setting(activation, "SUM_CHUNK_BYTES", v, fn) for n, v in sizes.items()}


@app_case
def norm_wide_rows():
    """norm.WIDE_ROW: rows read as rows of about 1024 numbers, against plain rows of C."""
    settings = {"1024 (chosen)": 1024, "plain rows": 1}
    for shape in ((32, 48, 48, 32),) + NORM_SHAPES[1:]:
        forward, backward = _norm_steps(shape)
        for what, fn in (("forward + ReLU6", forward), ("backward through ReLU6", backward)):
            yield f"{what} {'x'.join(map(str, shape))}", {
                n: with_setting(norm, "WIDE_ROW", v, fn) for n, v in settings.items()}


@app_case
def winograd_gain():
    """winograd.GAIN, TILES_PER_CHANNEL: Winograd where channels and output tiles pay for
    its transforms, else im2col (3x3 and 5x5 layers, stride 1, 'same')."""
    for size, cin, cout, k, batch in ((28, 32, 32, 3, 32), (14, 8, 16, 3, 128),
                                      (14, 8, 64, 3, 32), (28, 8, 32, 5, 128),
                                      (7, 512, 512, 3, 8), (7, 128, 128, 3, 32),
                                      (6, 384, 384, 3, 32), (56, 64, 64, 3, 8)):
        forward, train = conv_layer(size, cin, cout, k, batch)
        geo = conv_geometry((batch, size, size, cin), (k, k, cin, cout), padding="same")
        chosen = winograd.applies(geo, np.float32)
        names = ("Winograd", "im2col") if chosen else ("im2col", "Winograd")
        settings = {f"{names[0]} (chosen)": None, names[1]: 0 if not chosen else 10**9}

        def run(fn, gain):
            if gain is None:
                return fn
            return with_setting(winograd, "GAIN", gain,
                                with_setting(winograd, "TILES_PER_CHANNEL", gain, fn))

        label = f"{k}x{k} {cin}->{cout} on {size}x{size}, batch {batch}"
        for what, fn in (("forward", forward), ("forward+backward", train)):
            yield f"{label} {what}", {n: run(fn, v) for n, v in settings.items()}


@app_case
def strided_pointwise():
    """pointwise: a strided 1x1 convolution as a matrix product of every stride-th pixel,
    against im2col's columns (ResNet50's strided 1x1 layers, batch 8)."""
    for size, cin, cout in ((56, 256, 128), (56, 256, 512), (28, 512, 1024)):
        x, w2 = f32(8, size, size, cin), f32(cin, cout) * 0.1
        geo = conv_geometry(x.shape, (1, 1, cin, cout), (2, 2), "valid")
        g = f32(8, geo.out_h, geo.out_w, cout)
        label = f"1x1 stride 2, {cin}->{cout} on {size}x{size}"
        yield f"{label} forward", {
            "pointwise rows (chosen)": lambda x=x, w2=w2, geo=geo: pointwise.forward(x, w2, geo),
            "im2col": lambda x=x, w2=w2, geo=geo: conv_gemm.forward(x, w2, geo)}
        yield f"{label} backward", {
            "pointwise rows (chosen)":
                lambda x=x, w2=w2, g=g, geo=geo: pointwise.backward(x, w2, g, geo),
            "im2col": lambda x=x, w2=w2, g=g, geo=geo: conv_gemm.backward(x, w2, g, geo)}


@app_case
def pointwise_blocks():
    """pointwise.ROWS_BYTES: a 1x1 convolution with bias and ReLU in blocks of rows (bias
    and ReLU while the block is in the cache) against one product and passes after it
    (ResNet50's 1x1 layers at batch 8, MobileNetV2's expansions at batch 32)."""
    for size, cin, cout, batch in ((56, 64, 256, 8), (56, 256, 64, 8), (28, 512, 128, 8),
                                   (14, 1024, 256, 8), (7, 2048, 512, 8), (48, 16, 96, 32),
                                   (24, 24, 144, 32)):
        x, w2 = f32(batch, size, size, cin), f32(cin, cout) * 0.1
        bias = f32(cout)
        geo = conv_geometry(x.shape, (1, 1, cin, cout))

        def run(x=x, w2=w2, geo=geo, bias=bias):
            return pointwise.forward(x, w2, geo, bias, relu=True)

        settings = {"blocks of 2 MB (chosen)": pointwise.ROWS_BYTES, "512 KB": 512 << 10,
                    "8 MB": 8 << 20, "one product": 1 << 40}
        yield f"1x1 {cin}->{cout} on {size}x{size}, batch {batch}, bias + ReLU", {
            n: with_setting(pointwise, "ROWS_BYTES", v, run) for n, v in settings.items()}


if __name__ == "__main__":
    main(default=APP_CASES)
