"""How many of Keras 3's own docstring examples run on deepgrad, with Keras as the reference.

Every ``>>>`` example in the docstrings of a Keras 3 source tree (a checkout of
keras-team/keras, ``keras/src/<module>/``) runs with ``keras`` bound to the framework
under test (also as the module ``keras`` for imports), ``np`` to NumPy, ``ops`` to its
ops, and the names of the matching module in the namespace (as Keras's doctest runner
gives an example its module's names); one namespace per docstring, statements in order.
An example *runs* when none of its statements raises; printed values are not compared
(Keras prints backend tensors). Examples that reach for a name the framework lacks (an
``AttributeError`` on the framework or one of its modules, or an import of TensorFlow,
JAX or PyTorch) are counted apart as missing; the share printed is runs / (runs + fails).
Run the same script on real Keras (``--framework keras``, in Keras's own environment) for
the reference: some of Keras's examples fail in Keras too (names the docstring never
imports, optional packages).

    python benchmarks/keras_doc_examples.py --keras-src /work/ref/keras/keras/src
    python benchmarks/keras_doc_examples.py --modules layers losses --failures
    /opt/kerasvenv/bin/python benchmarks/keras_doc_examples.py --framework keras --failures

Each docstring runs in this process under a 20 s alarm, with warnings ignored; numbers
are for the modules given (default: layers, losses, metrics, optimizers, activations,
initializers, regularizers, constraints, models, callbacks, utils).
"""

from __future__ import annotations

import argparse
import ast
import doctest
import importlib
import io
import signal
import sys
import warnings
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np

deepgrad = None  # the framework under test, bound in main(): deepgrad, or Keras itself

DEFAULT_MODULES = ["layers", "losses", "metrics", "optimizers", "activations", "initializers",
                   "regularizers", "constraints", "models", "callbacks", "utils"]
OTHER_FRAMEWORKS = ("tensorflow", "jax", "torch", "tf.")


class _Timeout(Exception):
    pass


def docstrings(path: Path):
    """``(qualified name, docstring)`` for the module, classes and functions of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                doc = ast.get_docstring(child, clean=True)
                if doc and ">>>" in doc:
                    found.append((name, doc))
                visit(child, name + ".")

    doc = ast.get_docstring(tree, clean=True)
    if doc and ">>>" in doc:
        found.append(("<module>", doc))
    visit(tree, "")
    return found


def module_namespace(module: str) -> dict:
    """What Keras's doctest runner gives an example: the names of its module (here the
    matching deepgrad module's), ``keras``, ``np`` and ``ops``."""
    namespace = {}
    target = getattr(deepgrad, module, None)
    if target is not None:
        namespace.update({k: v for k, v in vars(target).items() if not k.startswith("_")})
    namespace.update({"keras": deepgrad, "np": np, "numpy": np, "ops": deepgrad.ops})
    return namespace


def run_docstring(doc: str, module: str) -> tuple[str, str]:
    """``("runs" | "missing" | "fails", first line of the error)`` for one docstring."""
    examples = doctest.DocTestParser().get_examples(doc)
    namespace = module_namespace(module)
    for example in examples:
        source = example.source
        if any(f"import {name}" in source or f"from {name}" in source
               for name in ("tensorflow", "jax", "torch")):
            return "missing", "imports another framework"
        try:
            signal.alarm(20)
            with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                exec(compile(source, "<example>", "single"), namespace)  # noqa: S102
        except _Timeout:
            return "fails", "timeout (20 s)"
        except AttributeError as error:
            text = str(error)
            if f"module '{deepgrad.__name__}" in text or f"'{deepgrad.__name__}." in text:
                return "missing", text.splitlines()[0][:160]
            return "fails", f"AttributeError: {text.splitlines()[0][:160] if text else ''}"
        except Exception as error:  # noqa: BLE001 (any failure of the example counts)
            message = str(error).splitlines()[0][:160] if str(error) else ""
            return "fails", f"{type(error).__name__}: {message}"
        finally:
            signal.alarm(0)
    return "runs", ""


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keras-src", type=Path, default=Path("/work/ref/keras/keras/src"))
    parser.add_argument("--modules", nargs="*", default=DEFAULT_MODULES)
    parser.add_argument("--failures", action="store_true", help="list each failing example")
    parser.add_argument("--framework", default="deepgrad", choices=["deepgrad", "keras"],
                        help="keras: the same run on real Keras (its own venv), the reference")
    args = parser.parse_args(argv)
    global deepgrad
    deepgrad = importlib.import_module(args.framework)

    def on_alarm(signum, frame):
        raise _Timeout

    signal.signal(signal.SIGALRM, on_alarm)
    if args.framework != "keras":  # `import keras` / `from keras import layers` in examples
        sys.modules["keras"] = deepgrad
        for name in DEFAULT_MODULES + ["ops"]:
            if hasattr(deepgrad, name):
                sys.modules[f"keras.{name}"] = getattr(deepgrad, name)
    totals: Counter = Counter()
    rows = []
    failures = []
    for module in args.modules:
        counts: Counter = Counter()
        for path in sorted((args.keras_src / module).rglob("*.py")):
            if "test" in path.name:
                continue
            for name, doc in docstrings(path):
                deepgrad.utils.set_random_seed(0)  # same name in Keras
                outcome, message = run_docstring(doc, module)
                counts[outcome] += 1
                if outcome == "fails":
                    where = path.relative_to(args.keras_src)
                    failures.append(f"{where}:{name}: {message}")
        totals.update(counts)
        rows.append((module, counts))
    print(f"{'module':14} {'runs':>5} {'fails':>6} {'missing':>8}  runs/(runs+fails)")
    for module, c in rows + [("all", totals)]:
        share = c["runs"] / max(1, c["runs"] + c["fails"])
        print(f"{module:14} {c['runs']:5d} {c['fails']:6d} {c['missing']:8d}  {share:.0%}")
    if args.failures:
        print("\n".join(["", "failing examples:"] + failures))
    return dict(totals)


if __name__ == "__main__":
    main(sys.argv[1:])
