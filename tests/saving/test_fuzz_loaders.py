"""The loader fuzzer, short and seeded: every loader, no unclean error, no silent-wrong load,
no memory blow-up, no hang (issue 13). ``benchmarks/fuzz_loaders.py`` runs the long version
(at least 10,000 cases per loader); this runs the same code on a slice of it in CI.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
CASES = {"deepgrad": 60, "safetensors": 60, "h5": 50, "keras": 50, "dataset": 60, "idx": 60}


def _fuzzer():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("fuzz_loaders",
                                                      BENCHMARKS / "fuzz_loaders.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


@pytest.mark.parametrize("loader", list(CASES))
def test_fuzzed_files_load_exactly_or_fail_cleanly(loader):
    if loader in ("h5", "keras"):
        pytest.importorskip("h5py", reason="HDF5 weights need h5py; pip install '.[test]'")
    fuzz = _fuzzer()
    counts, bad = fuzz.fuzz(loader, CASES[loader], seed=13)
    assert not bad, "\n".join(f"case {i}: {outcome}: {how}: {detail}"
                              for i, outcome, how, detail in bad)
    assert sum(counts.values()) == CASES[loader]
    assert counts["clean error"] > 0  # the mutations do reach the loaders' checks


def test_the_classifier_can_fail(tmp_path):
    """A loader that returned other values, or raised a raw error, would be caught."""
    fuzz = _fuzzer()
    import fuzz_cases

    seeds = fuzz_cases.Seeds("safetensors", tmp_path)
    case = fuzz_cases.Case(seeds.paths[0], "seed0: untouched")
    assert fuzz.classify(seeds, case) == ("clean load", "")
    seeds.expected[0] = [w + 1 for w in seeds.expected[0]]
    assert fuzz.classify(seeds, case)[0] == "silent wrong"
    case.path.write_bytes(b"")
    case.path.unlink()
    assert fuzz.classify(seeds, case)[0] == "unclean error"  # FileNotFoundError is not ours
