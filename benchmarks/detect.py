"""Sliding-window detection over a large scene: deepgrad's batched windows and fully
convolutional scan, against one ``predict`` per window and against PyTorch.

The course's ship finder: a 1,500 x 1,500 x 3 scene searched with 80 x 80 windows at
stride 10 (143 x 143 = 20,449 windows) by a small CNN (Conv 3x3 16 -> max-pool 2 ->
Conv 3x3 32 -> max-pool 5 -> Conv 7x7 64 -> Conv 1x1 1, sigmoid: 105,569 parameters). Its
pooling strides multiply to 10, so run on the whole scene it gives exactly one
probability per window of the stride-10 grid. Compared, all on the same weights and the
same scene (CPU time of the process, which on a shared machine other jobs disturb less
than wall time; median of interleaved rounds), and checked to give the same 20,449
probabilities:

1. deepgrad, batched windows: ``dg.image.sliding_windows`` (a strided view), batches of
   512 windows copied from it and ``predict_on_batch``;
2. deepgrad, fully convolutional: the same layers on the whole scene, one call;
3. deepgrad, one ``model.predict`` per window (the naive loop; timed on 300 windows and
   scaled to 20,449, as the full loop takes minutes);
4. PyTorch, ``Tensor.unfold`` (a strided view) + batched forward of the same CNN in
   batches of 512 (NCHW, ``torch.no_grad()``, eval mode, 2 threads);
5. PyTorch, fully convolutional: the same CNN on the whole scene.

Ratios are each method's speed over PyTorch's unfold + batched forward, and over the
fastest PyTorch method (higher is better). CPU time counts every thread, so PyTorch's
spinning OpenMP workers count against it. Runs twice: as the environment is and with
OPENBLAS_CORETYPE unset.

    python benchmarks/detect.py            # both BLAS settings
    python benchmarks/detect.py --child    # one run, current environment
    python benchmarks/detect.py --child --size 600   # a smaller scene
"""

from __future__ import annotations

import sys
import time

import numpy as np
from common import blas_label, interleaved, run_both_blas_settings, torch_or_none

import deepgrad as dg

WINDOW, STRIDE, BATCH, NAIVE_SAMPLE = 80, 10, 512, 300


def deepgrad_models(seed: int = 0):
    """The window classifier (80x80 in, one probability out) and the same layers as a
    scanner over any image size."""
    dg.utils.set_random_seed(seed)
    body = [dg.layers.Conv2D(16, 3, activation="relu"), dg.layers.MaxPooling2D(2),
            dg.layers.Conv2D(32, 3, activation="relu"), dg.layers.MaxPooling2D(5),
            dg.layers.Conv2D(64, 7, activation="relu"),
            dg.layers.Conv2D(1, 1, activation="sigmoid")]
    window = dg.Sequential([dg.layers.Input((WINDOW, WINDOW, 3)), *body,
                            dg.layers.Reshape((1,))])
    scanner = dg.Sequential([dg.layers.Input((None, None, 3)), *body])
    return window, scanner


def torch_model(torch, deepgrad_window):
    """The same CNN in PyTorch (NCHW), with deepgrad's weights."""
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(5),
                        nn.Conv2d(32, 64, 7), nn.ReLU(), nn.Conv2d(64, 1, 1), nn.Sigmoid())
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    layers = [layer for layer in deepgrad_window.layers if layer.get_weights()]
    with torch.no_grad():
        for conv, layer in zip(convs, layers):
            kernel, bias = layer.get_weights()
            conv.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))
            conv.bias.copy_(torch.from_numpy(bias))
    return net.eval()


def child(size: int) -> None:
    print(f"[{blas_label()}] scene {size}x{size}x3, windows {WINDOW}x{WINDOW} at stride "
          f"{STRIDE}", flush=True)
    rng = np.random.default_rng(0)
    scene = rng.uniform(0, 1, (size, size, 3)).astype(np.float32)
    window_model, scanner = deepgrad_models()
    windows = dg.image.sliding_windows(scene, WINDOW, STRIDE)
    rows, cols = windows.shape[:2]
    flat = windows.reshape(rows * cols, WINDOW, WINDOW, 3)  # still a view
    print(f"{rows * cols:,} windows, CNN of {window_model.count_params():,} parameters")
    sample = min(NAIVE_SAMPLE, len(flat))
    out = {}

    def batched():
        out["batched"] = np.concatenate([
            np.asarray(window_model.predict_on_batch(np.ascontiguousarray(flat[i:i + BATCH])))
            for i in range(0, len(flat), BATCH)])[:, 0]

    def convolutional():
        out["convolutional"] = np.asarray(scanner.predict_on_batch(scene[None]))[0, :, :, 0]

    def naive_sample():
        out["naive"] = np.array([window_model.predict(flat[i:i + 1], verbose=0)[0, 0]
                                 for i in range(sample)])

    calls = {"deepgrad batched windows": batched,
             "deepgrad fully convolutional": convolutional,
             "deepgrad one predict per window": naive_sample}
    torch = torch_or_none()
    if torch is not None:
        net = torch_model(torch, window_model)
        nchw = torch.from_numpy(scene.transpose(2, 0, 1).copy())

        def torch_unfold():
            with torch.no_grad():
                patches = nchw.unfold(1, WINDOW, STRIDE).unfold(2, WINDOW, STRIDE)
                patches = patches.permute(1, 2, 0, 3, 4).reshape(-1, 3, WINDOW, WINDOW)
                out["torch unfold"] = torch.cat([net(patches[i:i + BATCH])
                                                 for i in range(0, len(patches), BATCH)])
                out["torch unfold"] = out["torch unfold"].numpy().ravel()

        def torch_convolutional():
            with torch.no_grad():
                out["torch convolutional"] = net(nchw[None]).numpy()[0, 0]

        calls["PyTorch unfold + batched forward"] = torch_unfold
        calls["PyTorch fully convolutional"] = torch_convolutional
    times = interleaved(calls, repeats=3, warmup=1, clock=time.process_time)
    times["deepgrad one predict per window"] *= rows * cols / sample

    reference = out["batched"]
    checks = {"fully convolutional": out["convolutional"].ravel(),
              "one predict per window": out["naive"]}
    if torch is not None:
        checks.update({"PyTorch unfold": out["torch unfold"],
                       "PyTorch fully convolutional": out["torch convolutional"].ravel()})
    for name, values in checks.items():
        difference = float(np.abs(values - reference[:len(values)]).max())
        assert difference < 1e-4, (name, difference)
    print("all methods give the same probabilities (largest difference below 1e-4)")
    peer = times.get("PyTorch unfold + batched forward")
    fastest = min((t for n, t in times.items() if n.startswith("PyTorch")), default=None)
    for name, seconds in times.items():
        extra = f" (scaled from {sample} windows)" if "per window" in name else ""
        ratio = (f"   {peer / seconds:6.2f}x PyTorch unfold   {fastest / seconds:6.3f}x "
                 f"fastest PyTorch" if peer else "")
        print(f"{name:<34} {seconds:8.2f} s CPU for the scene{ratio}{extra}", flush=True)


if __name__ == "__main__":
    size = int(sys.argv[sys.argv.index("--size") + 1]) if "--size" in sys.argv else 1500
    if "--child" in sys.argv:
        child(size)
    else:
        sys.exit(run_both_blas_settings(__file__, ["--size", str(size)]))
