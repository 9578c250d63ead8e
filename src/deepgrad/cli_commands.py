"""The ``deepgrad`` subcommands beside ``demo``: ``summary``, ``predict``, ``examples``,
``bench``. :mod:`deepgrad.cli` parses the command line and calls these.

>>> first_docstring_line("'Train a network on iris. Then more.'")
'Train a network on iris.'
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["bench", "examples", "first_docstring_line", "predict", "summary"]

# The benchmarks `deepgrad bench` runs by default, with the arguments that keep them short
# (a minute or two each on two cores); each prints its ratios to PyTorch. benchmarks/mlp.py
# is left out: its Fashion-MNIST epochs take several minutes.
SHORT_BENCHMARKS = {"cnn": [], "detect": ["--size", "400"]}


def _checkout_folder(name: str, path: str | os.PathLike | None) -> Path:
    """``examples/`` or ``benchmarks/`` of the source checkout (or ``path``); they are not
    in the installed package."""
    folder = Path(path) if path is not None else Path(__file__).resolve().parents[2] / name
    if not folder.is_dir():
        raise FileNotFoundError(
            f"deepgrad {name}: no {name} folder at {folder}. The {name} live in the source "
            f"repository (git clone it, or pass --path DIR).")
    return folder


def _load(model_file: str, out):
    from deepgrad.saving import load_model

    if not Path(model_file).is_file():
        raise FileNotFoundError(f"no model file at {model_file!r}")
    return load_model(model_file, compile=False)


def summary(model_file: str, flops: bool = False, trainable: bool = False, out=None) -> None:
    """Print the summary of a saved model (``model.summary()``); ``flops`` adds MACs per sample."""
    out = out or sys.stdout
    model = _load(model_file, out)
    model.summary(show_flops=flops, show_trainable=trainable,
                  print_fn=lambda line, **_: print(line, file=out))


def _class_names(spec: str | None, count: int) -> list[str]:
    if spec is None:
        return [str(i) for i in range(count)]
    path = Path(spec)
    names = (path.read_text(encoding="utf-8").split("\n") if path.is_file()
             else spec.split(","))
    names = [n.strip() for n in names if n.strip()]
    if len(names) != count:
        raise ValueError(f"--class-names gives {len(names)} names but the model has {count} "
                         f"outputs")
    return names


def predict(model_file: str, images: list[str], class_names: str | None = None,
            scale: float = 1 / 255, top: int = 1, out=None) -> list[tuple[str, float]]:
    """Classify image files with a saved image classifier and print class and probability.

    Each image is loaded at the model's input size (grey for one channel, RGB for three)
    and multiplied by ``scale`` (1/255 by default, as the course's models expect).
    Returns ``[(class name, probability)]``, one per image.
    """
    import numpy as np

    from deepgrad.utils.image_io import img_to_array, load_img

    out = out or sys.stdout
    model = _load(model_file, out)
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[3] not in (1, 3):
        raise ValueError(f"deepgrad predict needs an image model with input (height, width, 1 "
                         f"or 3); this model's input shape is {shape}")
    height, width, channels = shape[1:]
    mode = "grayscale" if channels == 1 else "rgb"
    size = None if height is None or width is None else (height, width)
    batch = np.stack([img_to_array(load_img(p, color_mode=mode, target_size=size))
                      for p in images]) * np.float32(scale)
    outputs = np.asarray(model.predict(batch.astype(np.float32), verbose=0))
    outputs = outputs.reshape(len(images), -1)
    if outputs.shape[1] == 1:  # one sigmoid: P(class 1)
        outputs = np.concatenate([1 - outputs, outputs], axis=1)
    names = _class_names(class_names, outputs.shape[1])
    results = []
    for path, row in zip(images, outputs):
        order = np.argsort(-row, kind="stable")[:max(1, top)]
        text = ", ".join(f"{names[k]} ({100 * float(row[k]):.1f}%)" for k in order)
        print(f"{path}: {text}", file=out)
        results.append((names[order[0]], float(row[order[0]])))
    return results


def first_docstring_line(source: str) -> str:
    """The first sentence of a module's docstring (its first paragraph), or ''."""
    doc = (ast.get_docstring(ast.parse(source)) or "").strip()
    paragraph = " ".join(doc.split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]


def examples(path: str | None = None, out=None) -> list[str]:
    """Print each example script with the first line of its docstring; return the names."""
    out = out or sys.stdout
    folder = _checkout_folder("examples", path)
    scripts = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
    width = max((len(p.stem) for p in scripts), default=0)
    for script in scripts:
        line = first_docstring_line(script.read_text(encoding="utf-8"))
        print(f"{script.stem:<{width}}  {line}", file=out)
    print(f"\nRun one: python {folder / '<name>.py'} [--quick]   (listed in "
          f"{folder / 'README.md'})", file=out)
    return [p.stem for p in scripts]


def bench(names: list[str] | None = None, path: str | None = None, list_only: bool = False,
          out=None) -> int:
    """Run benchmark scripts of ``benchmarks/`` (one BLAS setting each, ``--child``) and
    print their ratios to PyTorch; return the first non-zero exit code, else 0."""
    out = out or sys.stdout
    folder = _checkout_folder("benchmarks", path)
    available = sorted(p.stem for p in folder.glob("*.py")
                       if p.stem not in ("common", "__init__") and "--child" in p.read_text())
    if list_only:
        for name in available:
            line = first_docstring_line((folder / f"{name}.py").read_text(encoding="utf-8"))
            print(f"{name:<22}  {line}", file=out)
        return 0
    chosen = list(names or [n for n in SHORT_BENCHMARKS if n in available])
    short = SHORT_BENCHMARKS if not names else {}
    unknown = [n for n in chosen if n not in available]
    if unknown:
        raise ValueError(f"unknown benchmark(s) {unknown}; available: {available}")
    status = 0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    for name in chosen:
        extra = short.get(name, [])
        print(f"== benchmarks/{name}.py --child {' '.join(extra)}".rstrip(), file=out,
              flush=True)
        result = subprocess.run([sys.executable, str(folder / f"{name}.py"), "--child", *extra],
                                capture_output=True, text=True, env=env, cwd=folder.parent)
        print(result.stdout.rstrip(), file=out)
        if result.returncode:
            print(result.stderr.rstrip()[-2000:], file=out)
            status = status or result.returncode
    return status
