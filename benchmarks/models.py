"""Application models: deepgrad against Keras 3 / TensorFlow on identical architectures.

MobileNetV2 (96x96, batch 32), ResNet50 (224x224, batch 8), VGG16 (224x224, batch 8) and
Xception (150x150, batch 8), each built by ``dg.applications`` and by
``keras.applications`` with ``weights=None`` and 1000 classes (the parameter counts are
printed and must agree), compiled with Adam and sparse categorical cross-entropy.

Keras is never a deepgrad dependency, so each framework runs in a child process of its
own Python (``--keras-python``, a venv with Keras 3 and TensorFlow); the parent sends
each child, in turn, ``train N`` or ``predict N`` over a pipe and gets back the wall and
CPU seconds of each of the N calls, so both frameworks are measured in the same minutes
of a shared machine. Before each turn the parent pauses, so that neither framework pays
for the other's thread pools spinning down, and then has the child run untimed calls for
``--settle`` seconds (``common.SETTLE``, 0.3) before the timed ones: on this benchmark's
machine, a process's threads share one virtual CPU for the first 40-150 ms of work after
a pause (see ``common.SETTLE``; ``--settle 0`` measures those calls). One child per
framework and model, so each process's peak memory belongs to one model.

Printed per model, for ``train_on_batch`` (one step: forward, backward, Adam update) and
``predict_on_batch``:
- the median milliseconds per call of each framework, with the range over all calls;
- ratio = Keras's time / deepgrad's time (above 1: deepgrad is faster), median and range
  over the rounds (one ratio per round, from that round's medians);
- the same ratio in CPU seconds (all threads), which other jobs on a loaded machine
  disturb less than wall time;
- peak memory: the highest resident set (VmHWM) while training, above the resident set of
  the process right after importing the framework (so TensorFlow's own libraries do not
  count against it), and the absolute peak.
``BENCH_THREADS=n`` caps every framework's threads (each uses the machine's cores by
default). With ``--torch``, PyTorch versions of the same networks (``benchmarks/torch_models.py``,
same parameter counts) run in a third child, for time and memory. With ``--floor``, another
child runs deepgrad's products alone (``benchmarks/kernel_floor.py``: each convolution's and
dense layer's kernels, nothing around them), and each peer's time over the floor's is
printed: below 1.0x, the peer's whole step is faster than NumPy's products for it.

    python benchmarks/models.py --keras-python /opt/kerasvenv/bin/python
    python benchmarks/models.py --keras-python /opt/kerasvenv/bin/python --models mobilenet_v2 \
        --rounds 7 --steps 2 --torch
    python benchmarks/models.py                    # deepgrad alone (no peer given)
    python benchmarks/models.py --keras-python /opt/kerasvenv/bin/python --models course_cnn
    python benchmarks/models.py --keras-python /opt/kerasvenv/bin/python --floor

``--models course_cnn`` measures the course CNN (batch 128, ``benchmarks/course_cnn.py``'s
network built by the same Keras-shaped code in both) against Keras's compiled
``train_on_batch`` and ``predict_on_batch``; ``--models toy_resnet`` the toy ResNet of
keras.io's functional API guide (CIFAR-10's 32x32x3 images, batch 64, RMSprop); neither
is in the default set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import SETTLE, settle

# name: (builder name in deepgrad and Keras, image size, batch size)
MODELS = {
    "mobilenet_v2": ("MobileNetV2", 96, 32),
    "resnet50": ("ResNet50", 224, 8),
    "vgg16": ("VGG16", 224, 8),
    "xception": ("Xception", 150, 8),
    "course_cnn": ("course_cnn", 28, 128),
    "toy_resnet": ("toy_resnet", 32, 64),
}
CLASSES = 1000
SEED = 0
# The course CNN (benchmarks/course_cnn.py's, built from the same Keras-shaped code by both
# frameworks): 28x28x1 images, 10 classes, logits; PyTorch's side of it is cnn.py's.
COURSE = "course_cnn"
# keras.io's functional API guide's toy ResNet for CIFAR-10 (32x32x3, 10 classes, logits):
# two residual blocks of 3x3 convolutions, built by the same code in both frameworks.
TOY_RESNET = "toy_resnet"
OWN_MODELS = (COURSE, TOY_RESNET)


def _status_kb(field: str) -> int:
    """A ``/proc/self/status`` memory field (VmRSS, VmHWM) in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/self/status (Linux only)")


def _reset_peak() -> None:
    """Restart the peak resident set (VmHWM) at the current one (Linux 4.0+)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _data(name: str):
    import numpy as np

    _, size, batch = MODELS[name]
    rng = np.random.default_rng(SEED)
    x = rng.uniform(-1.0, 1.0, (batch, size, size, 1 if name == COURSE else 3)).astype(np.float32)
    y = rng.integers(0, 10 if name in OWN_MODELS else CLASSES, batch)
    return x, y


def _course_cnn(lib):
    """The course CNN from ``lib`` (Keras or deepgrad: the same code), compiled."""
    layers = lib.layers
    model = lib.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(1024, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10),
    ])
    model.compile(optimizer=lib.optimizers.Adam(1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _toy_resnet(lib):
    """The toy ResNet of keras.io's functional API guide, from ``lib``, compiled."""
    layers = lib.layers
    inputs = lib.Input(shape=(32, 32, 3))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    model = lib.Model(inputs, outputs, name="toy_resnet")
    model.compile(optimizer=lib.optimizers.RMSprop(1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _own_model(lib, builder: str):
    return _course_cnn(lib) if builder == COURSE else _toy_resnet(lib)


def _build(framework: str, builder: str, size: int, batch: int):
    """A compiled model and its parameter count; the calls ``train(x, y)`` and ``predict(x)``."""
    if framework == "torch":
        import torch
        import torch_models

        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
        torch.manual_seed(SEED)
        net = torch_models.build(builder, CLASSES)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        converted = {}

        def as_torch(x):
            # PyTorch's default NCHW layout (its depthwise convolutions were several times
            # slower channels-last); converted once, outside the timed calls.
            if id(x) not in converted:
                converted.clear()
                converted[id(x)] = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
            return converted[id(x)]

        def train(x, y):
            net.train()
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(as_torch(x)), torch.from_numpy(y))
            loss.backward()
            optimizer.step()

        def predict(x):
            net.eval()
            with torch.no_grad():
                return torch.softmax(net(as_torch(x)), 1).numpy()

        return torch_models.count(net), train, predict
    threads = os.environ.get("BENCH_THREADS")
    if framework == "floor":  # deepgrad's products alone: benchmarks/kernel_floor.py
        from kernel_floor import floor_calls

        import deepgrad as lib

        if threads:
            lib.config.set_num_threads(int(threads))
        lib.utils.set_random_seed(SEED)
        model = (_own_model(lib, builder) if builder in OWN_MODELS else getattr(
            lib.applications, builder)(weights=None, input_shape=(size, size, 3)))
        predict, train = floor_calls(model, batch, SEED)
        return model.count_params(), lambda x, y: train(), lambda x: predict()
    if framework == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras as lib
        import tensorflow as tf

        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    else:
        import deepgrad as lib

        if threads:
            lib.config.set_num_threads(int(threads))
    lib.utils.set_random_seed(SEED)
    if builder in OWN_MODELS:
        model = _own_model(lib, builder)
    else:
        model = getattr(lib.applications, builder)(weights=None, input_shape=(size, size, 3))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model.count_params(), model.train_on_batch, model.predict_on_batch


def serve(framework: str, name: str) -> None:
    """The child: build the model, then answer the parent's commands, one JSON line each."""
    builder, size, batch = MODELS[name]
    out = sys.stdout
    sys.stdout = sys.stderr  # only the protocol's lines on the pipe
    rss_import = None
    if framework == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras  # noqa: F401
    elif framework == "torch":
        import torch  # noqa: F401
    else:
        import deepgrad  # noqa: F401
    rss_import = _status_kb("VmRSS")
    params, train, predict = _build(framework, builder, size, batch)
    x, y = _data(name)
    calls = {"train": lambda: train(x, y), "predict": lambda: predict(x)}
    print(json.dumps({"params": int(params)}), file=out, flush=True)
    for line in sys.stdin:
        command, *arg = line.split()
        if command == "quit":
            break
        if command == "settle":  # untimed calls for at least the given seconds
            settle(calls[arg[0]], float(arg[1]))
            print(json.dumps({}), file=out, flush=True)
            continue
        if command == "peak":  # peak so far, then restart the count
            reply = {"peak_mb": _status_kb("VmHWM") / 1024,
                     "above_import_mb": (_status_kb("VmHWM") - rss_import) / 1024}
            _reset_peak()
        else:
            wall, cpu = [], []
            for _ in range(int(arg[0])):
                w0, c0 = time.perf_counter(), time.process_time()
                calls[command]()
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
            reply = {"wall": wall, "cpu": cpu}
        print(json.dumps(reply), file=out, flush=True)


class Child:
    """One framework's model in a child process, driven over its stdin and stdout."""

    def __init__(self, python: str, framework: str, name: str):
        here = Path(__file__).resolve().parent
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here.parent / "src"), str(here)]))
        self.framework = framework
        self.proc = subprocess.Popen(
            [python, __file__, "--serve", framework, name], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env,
        )
        self.params = self.ask("")["params"]

    def ask(self, command: str) -> dict:
        if command:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.framework} child stopped (see its error above)")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait()


def _median_range(values: list[float], scale: float = 1.0) -> str:
    v = [scale * t for t in values]
    return f"{statistics.median(v):8.1f} [{min(v):.1f}-{max(v):.1f}]"


def _ratio_line(label: str, ours: list[list[float]], theirs: list[list[float]]) -> str:
    """Per-round ratios theirs/ours of the round medians: median [range]."""
    ratios = [statistics.median(t) / statistics.median(o)
              for o, t in zip(ours, theirs, strict=True)]
    return f"{label} {statistics.median(ratios):5.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"


def compare(name: str, children: list[Child], rounds: int, steps: int, pause: float,
            settle_for: float) -> None:
    builder, size, batch = MODELS[name]
    print(f"\n{builder} {size}x{size}, batch {batch}: parameters "
          + ", ".join(f"{c.framework} {c.params:,}" for c in children), flush=True)
    if len({c.params for c in children}) != 1:
        print("  (parameter counts differ: the architectures are not identical)")
    for mode in ("train", "predict"):
        for child in children:  # warm up: tracing, buffers, thread pools
            child.ask(f"{mode} 2")
        samples = {c.framework: {"wall": [], "cpu": []} for c in children}
        for r in range(rounds):
            order = children if r % 2 == 0 else children[::-1]
            for child in order:
                time.sleep(pause)
                if settle_for > 0:
                    child.ask(f"settle {mode} {settle_for}")
                reply = child.ask(f"{mode} {steps}")
                for clock in ("wall", "cpu"):
                    samples[child.framework][clock].append(reply[clock])
        call = "train_on_batch" if mode == "train" else "predict_on_batch"
        for child in children:
            s = samples[child.framework]
            line = (f"  {call:<16} {child.framework:<8} ms wall "
                    f"{_median_range(sum(s['wall'], []), 1e3)}  cpu "
                    f"{_median_range(sum(s['cpu'], []), 1e3)}")
            if child.framework == "floor":
                ours = samples["deepgrad"]["wall"]
                line += "   " + _ratio_line("share of deepgrad's wall", ours, s["wall"])
            elif child.framework != "deepgrad":
                ours = samples["deepgrad"]
                line += ("   " + _ratio_line("ratio wall", ours["wall"], s["wall"])
                         + "  " + _ratio_line("cpu", ours["cpu"], s["cpu"]))
            print(line, flush=True)
        if "floor" in samples:  # a peer's time over the floor's: below 1, out of NumPy's reach
            for peer in (c.framework for c in children if c.framework in ("keras", "torch")):
                print(f"  {call:<16} {peer} / floor   "
                      + _ratio_line("wall", samples["floor"]["wall"], samples[peer]["wall"])
                      + "  " + _ratio_line("cpu", samples["floor"]["cpu"], samples[peer]["cpu"]),
                      flush=True)
        peaks = {c.framework: c.ask("peak") for c in children}
        what = "training" if mode == "train" else "inference"
        print(f"  peak memory in {what}, MB above the imported framework (absolute): "
              + ", ".join(f"{f} {p['above_import_mb']:,.0f} ({p['peak_mb']:,.0f})"
                          for f, p in peaks.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras-python", help="a Python with Keras 3 and TensorFlow")
    parser.add_argument("--torch", action="store_true", help="also PyTorch (this Python)")
    parser.add_argument("--models", default=",".join(m for m in MODELS if m not in OWN_MODELS),
                        help="comma-separated names: " + ", ".join(MODELS))
    parser.add_argument("--rounds", type=int, default=5, help="alternating turns per framework")
    parser.add_argument("--steps", type=int, default=2, help="calls timed per turn")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds before each turn")
    parser.add_argument("--settle", type=float, default=SETTLE,
                        help="seconds of untimed calls after each pause (see above)")
    parser.add_argument("--floor", action="store_true",
                        help="also deepgrad's products alone (benchmarks/kernel_floor.py)")
    parser.add_argument("--serve", nargs=2, metavar=("FRAMEWORK", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs; {args.rounds} alternating rounds "
          f"of {args.steps} calls, each turn after a {args.pause:g} s pause and {args.settle:g} s "
          f"of untimed calls; ratio = peer time / deepgrad time (above 1: deepgrad faster)")
    for name in args.models.split(","):
        children = [Child(sys.executable, "deepgrad", name)]
        if args.keras_python:
            children.append(Child(args.keras_python, "keras", name))
        if args.torch and name not in OWN_MODELS:  # the course CNN against PyTorch: cnn.py
            children.append(Child(sys.executable, "torch", name))
        if args.floor:
            children.append(Child(sys.executable, "floor", name))
        try:
            compare(name, children, args.rounds, args.steps, args.pause, args.settle)
        finally:
            for child in children:
                child.close()


if __name__ == "__main__":
    main()
