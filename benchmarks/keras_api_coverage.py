"""How much of Keras 3's public API deepgrad has: per module and overall.

Keras's public names are read from a Keras wheel, as text: the wheel's API tree (the
``keras/api/`` folder of Keras's repository, installed as ``keras/<module>/__init__.py``
beside ``keras/src``) holds one ``__init__.py`` per public module, made only of lines
``from keras.src.<where> import <object> as <public name>`` and ``from keras import
<submodule>``. They are parsed with :mod:`ast`; Keras is never imported, so no backend is
needed. A name counts as covered when the corresponding deepgrad module
(``keras.layers`` -> ``deepgrad.layers``, ``keras`` -> ``deepgrad``) has an attribute of
that name which is not a module (where Keras has a function, a submodule of the same
name does not count: ``dg.ops.shape`` must be the function).

Two totals are printed: public names (``keras.layers.Dense`` and ``keras.layers.Dense``'s
alias ``keras.layers.Convolution2D`` count twice, as a user sees them) and distinct Keras
objects (one object exported under several names counts once, covered when any of its
names is).

    python benchmarks/keras_api_coverage.py                        # pip download keras==3.15.1
    python benchmarks/keras_api_coverage.py --wheel keras-3.15.1-py3-none-any.whl
    python benchmarks/keras_api_coverage.py --missing keras.layers  # list what is missing

The wheel is fetched with ``pip download --no-deps keras==<version>`` into a temporary
folder unless ``--wheel`` names one.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import subprocess
import sys
import tempfile
import types
import zipfile
from collections import defaultdict
from pathlib import Path

DEFAULT_VERSION = "3.15.1"
# Keras's wheel ships the TF-Keras compatibility tree beside the API; it is not Keras 3's API.
_SKIPPED_TOP = ("src", "_tf_keras", "api")


def fetch_wheel(version: str, folder: Path) -> Path:
    """``pip download --no-deps keras==version`` into ``folder``; return the wheel's path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
         f"keras=={version}", "-d", str(folder)],
        check=True,
    )
    wheels = sorted(folder.glob(f"keras-{version}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download left no keras-{version} wheel in {folder}")
    return wheels[0]


def _api_files(archive: zipfile.ZipFile) -> dict[str, str]:
    """Public module name -> path of its ``__init__.py`` inside the wheel."""
    names = archive.namelist()
    inside_api = any(n.startswith("keras/api/") for n in names)
    found = {}
    for name in names:
        parts = name.split("/")
        if parts[0] != "keras" or parts[-1] != "__init__.py":
            continue
        folders = parts[1:-1]
        if inside_api:  # a wheel laid out like the repository: keras/api/<module>/
            if not folders or folders[0] != "api":
                continue
            folders = folders[1:]
        elif folders and folders[0] in _SKIPPED_TOP:
            continue
        found[".".join(["keras", *folders])] = name
    return found


def keras_public_names(wheel: Path) -> dict[str, dict[str, str]]:
    """``{public module: {public name: 'keras.src.where.object'}}`` from the wheel."""
    modules: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for module, path in sorted(_api_files(archive).items()):
            tree = ast.parse(archive.read(path).decode("utf8"), filename=path)
            names = {}
            for node in tree.body:
                if not isinstance(node, ast.ImportFrom) or node.module is None:
                    continue
                if not node.module.startswith("keras.src"):
                    continue  # `from keras import layers as layers`: a submodule, not an object
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            modules[module] = names
    return modules


def _deepgrad_module(keras_module: str):
    """The deepgrad module matching ``keras_module``, or None when deepgrad has none."""
    path = "deepgrad" + keras_module[len("keras"):]
    try:
        return importlib.import_module(path)
    except ImportError:
        parent, _, leaf = path.rpartition(".")
        try:
            value = getattr(importlib.import_module(parent), leaf, None)
        except ImportError:
            return None
        return value if isinstance(value, types.ModuleType) else None


def covered(module, name: str) -> bool:
    """Whether deepgrad's ``module`` has ``name`` as an object (not as a submodule)."""
    if module is None or not hasattr(module, name):
        return False
    return not isinstance(getattr(module, name), types.ModuleType)


def coverage(modules: dict[str, dict[str, str]]) -> tuple[list, dict[str, bool]]:
    """Rows ``(module, covered names, total, missing names)`` and per-object coverage."""
    rows, objects = [], defaultdict(bool)
    for module_name, names in modules.items():
        if not names:
            continue
        module = _deepgrad_module(module_name)
        missing = [n for n in sorted(names) if not covered(module, n)]
        for public, origin in names.items():
            objects[origin] |= public not in missing
        rows.append((module_name, len(names) - len(missing), len(names), missing))
    return rows, dict(objects)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="a Keras wheel (else pip downloads one)")
    parser.add_argument("--version", default=DEFAULT_VERSION, help="Keras version to fetch")
    parser.add_argument("--missing", action="append", default=[], metavar="MODULE",
                        help="list the missing names of this Keras module (repeatable)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        wheel = args.wheel or fetch_wheel(args.version, Path(scratch))
        modules = keras_public_names(wheel)
    rows, objects = coverage(modules)

    import deepgrad

    print(f"Keras public API from {wheel.name}; deepgrad {deepgrad.__version__}")
    print(f"{'module':<38} {'covered':>8} {'total':>6} {'share':>7}")
    for module_name, have, total, _ in rows:
        print(f"{module_name:<38} {have:>8} {total:>6} {have / total:>7.0%}")
    have = sum(r[1] for r in rows)
    total = sum(r[2] for r in rows)
    print(f"{'all public names':<38} {have:>8} {total:>6} {have / total:>7.0%}")
    outside_ops = [r for r in rows if not r[0].startswith("keras.ops")]
    have_o, total_o = sum(r[1] for r in outside_ops), sum(r[2] for r in outside_ops)
    print(f"{'public names outside keras.ops':<38} {have_o:>8} {total_o:>6} "
          f"{have_o / total_o:>7.0%}")
    have_obj = sum(objects.values())
    print(f"{'distinct Keras objects':<38} {have_obj:>8} {len(objects):>6} "
          f"{have_obj / len(objects):>7.0%}")
    for wanted in args.missing:
        for module_name, _, _, missing in rows:
            if module_name == wanted:
                print(f"\nmissing in {module_name} ({len(missing)}): {', '.join(missing)}")


if __name__ == "__main__":
    main()
