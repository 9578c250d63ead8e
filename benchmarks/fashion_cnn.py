"""The course CNN on real Fashion-MNIST: test accuracy after 2 and 5 epochs, seconds per
epoch and peak memory, for deepgrad and for PyTorch with the same recipe.

Recipe: pixels / 255, batch 128, shuffled every epoch, Adam(1e-3), sparse categorical
cross-entropy from logits, the network in ``course_cnn.py``. Each framework trains in its
own child process (so that peak memory is its own); the two children take turns, one
epoch each, so that a slow spell of the shared machine hits both alike.

    python benchmarks/fashion_cnn.py              # both, 5 epochs
    python benchmarks/fashion_cnn.py --epochs 2   # shorter
Needs the data: apt-get install dataset-fashion-mnist (or see dg.datasets.fashion_mnist).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

CHECKPOINTS = (2, 5)


def rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wait_turn() -> None:
    """Block until the parent says this child may train its next epoch."""
    sys.stdin.readline()


def end_turn() -> None:
    print("epoch done", flush=True)


def load():
    import deepgrad as dg

    (x, y), (xt, yt) = dg.datasets.fashion_mnist.load_data(download=False)
    x = (x[..., None] / np.float32(255)).astype(np.float32)
    xt = (xt[..., None] / np.float32(255)).astype(np.float32)
    return x, y.astype(np.int64), xt, yt.astype(np.int64)


def run_deepgrad(epochs: int) -> dict:
    from course_cnn import deepgrad_cnn

    x, y, xt, yt = load()
    base = rss_mib()
    model = deepgrad_cnn(seed=0)
    accuracy, seconds = {}, []
    for epoch in range(epochs):
        wait_turn()
        start = time.perf_counter()
        model.fit(x, y, batch_size=128, epochs=epoch + 1, initial_epoch=epoch, verbose=0)
        seconds.append(time.perf_counter() - start)
        if epoch + 1 in CHECKPOINTS or epoch + 1 == epochs:
            accuracy[epoch + 1] = float(model.evaluate(xt, yt, batch_size=512, verbose=0)[1])
        end_turn()
    return {"accuracy": accuracy, "seconds": seconds, "peak_mib": rss_mib(), "base_mib": base}


def run_torch(epochs: int) -> dict:
    import torch
    from course_cnn import torch_cnn, torch_train_step

    torch.set_num_threads(2)
    x, y, xt, yt = load()
    X = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    XT = torch.from_numpy(np.ascontiguousarray(xt.transpose(0, 3, 1, 2)))
    Y, YT = torch.from_numpy(y), torch.from_numpy(yt)
    base = rss_mib()
    net, optimizer, loss_fn = torch_cnn(torch, seed=0)
    step = torch_train_step(torch, net, optimizer, loss_fn)
    accuracy, seconds = {}, []
    for epoch in range(epochs):
        wait_turn()
        start = time.perf_counter()
        net.train()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), 128):
            idx = perm[i:i + 128]
            step(X[idx], Y[idx])
        seconds.append(time.perf_counter() - start)
        if epoch + 1 in CHECKPOINTS or epoch + 1 == epochs:
            net.eval()
            with torch.no_grad():
                pred = torch.cat([net(XT[i:i + 512]).argmax(1) for i in range(0, len(XT), 512)])
            accuracy[epoch + 1] = float((pred == YT).float().mean())
        end_turn()
    return {"accuracy": accuracy, "seconds": seconds, "peak_mib": rss_mib(), "base_mib": base}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--only", choices=["deepgrad", "torch"])
    parser.add_argument("--child", choices=["deepgrad", "torch"])
    args = parser.parse_args()
    if args.child:
        result = (run_deepgrad if args.child == "deepgrad" else run_torch)(args.epochs)
        print(json.dumps(result))
        return 0
    names = ["deepgrad", "torch"] if args.only is None else [args.only]
    children = {name: subprocess.Popen(
        [sys.executable, __file__, "--child", name, "--epochs", str(args.epochs)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for name in names}
    for _ in range(args.epochs):  # one epoch each, in turn
        for name, child in children.items():
            child.stdin.write("go\n")
            child.stdin.flush()
            if child.stdout.readline().strip() != "epoch done":
                print(f"{name} failed (see its error above)")
                return 1
    results = {}
    for name, child in children.items():
        out, _ = child.communicate()
        if child.returncode:
            print(f"{name} failed (see its error above)")
            return child.returncode
        results[name] = json.loads(out.strip().splitlines()[-1])
    print(f"course CNN on Fashion-MNIST, {args.epochs} epochs, batch 128, Adam(1e-3):")
    for name, r in results.items():
        acc = ", ".join(f"{a:.4f} after {e} epochs" for e, a in r["accuracy"].items())
        print(f"  {name:<9} test accuracy {acc}; {np.median(r['seconds']):.1f} s/epoch; "
              f"peak memory {r['peak_mib']:,.0f} MiB ({r['peak_mib'] - r['base_mib']:+,.0f} "
              f"MiB over the loaded data)")
    if len(results) == 2:
        ratio = np.median(results["torch"]["seconds"]) / np.median(results["deepgrad"]["seconds"])
        print(f"  epoch speed ratio deepgrad/torch: {ratio:.2f}x (above 1: deepgrad faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
