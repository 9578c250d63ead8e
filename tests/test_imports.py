"""The import graph follows DESIGN's stack: no cycle through ``models``, and the two
saving tiers and the callbacks import only what sits below them.

The graph is read from the source (``ast``), not by importing, so an import inside a
function counts as well as one at the top of a module. Imports are grouped by part: the
first name under ``deepgrad`` (``deepgrad.models``, ``deepgrad.saving``, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "deepgrad"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The deepgrad modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against this module's package
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    found = []
    for alias in node.names:
        name = f"{base}.{alias.name}"
        found.append(name if name in MODULES else base)
    return found


def _imports(module: str) -> list[tuple[str, bool]]:
    """``(imported module, at import time)`` for every deepgrad import in ``module``.

    An import in a function body runs when the function is called; one under
    ``if TYPE_CHECKING:`` never runs. Everything else runs when the module is imported.
    """
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out: list[tuple[str, bool]] = []

    def visit(node: ast.AST, eager: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                out.extend((t, eager) for t in _targets(child, module)
                           if t == "deepgrad" or t.startswith("deepgrad."))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                continue
            else:
                visit(child, eager)

    visit(tree, True)
    return out


IMPORTS = {module: _imports(module) for module in MODULES}


def _part(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _edges(keep) -> dict[str, set[str]]:
    """Part-level import graph over the imports for which ``keep(source, target, eager)``."""
    graph: dict[str, set[str]] = {}
    for source, imports in IMPORTS.items():
        for target, eager in imports:
            a, b = _part(source), _part(target)
            if a != b and keep(source, target, eager):
                graph.setdefault(a, set()).add(b)
    return graph


def _path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A path from ``start`` to ``goal`` (breadth first), or None."""
    parents = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in parents:
                parents[nxt] = node
                if nxt == goal:
                    path = [goal]
                    while parents[path[-1]] is not None:
                        path.append(parents[path[-1]])
                    return path[::-1]
                queue.append(nxt)
    return None


def _cycles_through(graph: dict[str, set[str]], part: str) -> list[list[str]]:
    cycles = []
    for first in sorted(graph.get(part, ())):
        back = _path(graph, first, part)
        if back is not None:
            cycles.append([part, *back])
    return cycles


def _models_may_defer(source: str, target: str, eager: bool) -> bool:
    # Model.save and dg.models.load_model import the saving tier when they are called,
    # as Keras's model.py imports saving_api, and Model.export the export tier: the
    # sanctioned upward imports.
    return eager or not (_part(source) == "deepgrad.models"
                         and _part(target) in ("deepgrad.saving", "deepgrad.export"))


def test_the_walker_sees_the_known_imports():
    """The walker itself: a known top-level import, a function-level one, a relative one."""
    assert ("deepgrad.models.model", True) in IMPORTS["deepgrad.models.sequential"]
    assert ("deepgrad.saving.saving_api", False) in IMPORTS["deepgrad.models.model"]
    assert _cycles_through({"a": {"b"}, "b": {"c"}, "c": {"a"}}, "a") == [["a", "b", "c", "a"]]
    assert _cycles_through({"a": {"b"}, "b": {"c"}}, "a") == []


def test_no_import_cycle_through_models():
    """No part that ``models`` needs imports ``models`` back, at import time or in a
    function (an import hidden in a function is still a cycle in the design)."""
    cycles = _cycles_through(_edges(_models_may_defer), "deepgrad.models")
    assert not cycles, "import cycles through models: " + "; ".join(
        " -> ".join(cycle) for cycle in cycles)


def test_no_import_time_cycle_through_models():
    cycles = _cycles_through(_edges(lambda source, target, eager: eager), "deepgrad.models")
    assert not cycles, cycles


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _part(m) == "deepgrad.formats"))
def test_formats_import_nothing_of_deepgrad(module):
    """The format tier reads and writes bytes: it imports only itself (and the package's
    ``__version__``)."""
    others = sorted({t for t, _ in IMPORTS[module]
                     if t != "deepgrad" and _part(t) != "deepgrad.formats"})
    assert not others, f"{module} imports {others}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _part(m) == "deepgrad.callbacks"))
def test_callbacks_get_the_model_passed_in(module):
    """Callbacks never import models or the saving tier: ModelCheckpoint calls
    ``self.model.save``."""
    bad = sorted({t for t, _ in IMPORTS[module]
                  if _part(t) in ("deepgrad.models", "deepgrad.saving")})
    assert not bad, f"{module} imports {bad}"


def test_saving_is_not_imported_by_what_it_builds_on():
    """Only models (on call) and the parts above the saving tier import it."""
    above = {"deepgrad.models", "deepgrad.saving", "deepgrad.applications", "deepgrad.cli",
             "deepgrad.cli_commands",
             "deepgrad.wrappers", "deepgrad.export", "deepgrad.distribution",
             "deepgrad.visualization"}
    importers = sorted({_part(source) for source, imports in IMPORTS.items()
                        for target, _ in imports
                        if _part(target) == "deepgrad.saving" and _part(source) not in above})
    assert not importers, f"parts below the saving tier import it: {importers}"


# The one cycle the package has today, known and kept: Tensor's operators (``x + y``,
# ``x @ w``) call deepgrad.ops, which builds on Tensor; tensor.py imports ops last.
_KNOWN_CYCLES = {frozenset({"deepgrad.ops", "deepgrad.tensor"})}


def test_no_other_import_cycle_anywhere_in_the_package():
    """Every part against every other, imports in functions included (the model-file
    tier's ``Model.save`` aside): the cycles are exactly the known ones, so a new cycle
    fails, and so does removing the known one without updating this list."""
    graph = _edges(_models_may_defer)
    parts = set(graph) | {p for targets in graph.values() for p in targets}
    cycles = {frozenset(cycle) for part in parts for cycle in _cycles_through(graph, part)}
    assert cycles == _KNOWN_CYCLES, sorted(sorted(c) for c in cycles - _KNOWN_CYCLES)


def test_tree_is_a_leaf():
    assert IMPORTS["deepgrad.tree"] == []


def test_fusion_names_no_layer_classes():
    """A model's plan asks layers whether they fuse (``Layer.fuse``): models import no
    concrete layer module, and the convolution layers do not import the pooling ones."""
    concrete = {"deepgrad.layers.conv", "deepgrad.layers.pooling"}
    for module in MODULES:
        if _part(module) == "deepgrad.models":
            assert not {t for t, _ in IMPORTS[module]} & concrete, module
    assert "deepgrad.layers.pooling" not in {t for t, _ in IMPORTS["deepgrad.layers.conv"]}
