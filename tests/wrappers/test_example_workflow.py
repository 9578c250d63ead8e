"""examples/sklearn_workflow.py in its --quick form: the whole workflow runs, the numbers
it prints are sensible, and the confusion matrix is drawn (matplotlib is in the test
extra)."""

import runpy
import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sklearn_workflow.py"


def test_sklearn_workflow_quick(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib (the test extra) draws the PNG")
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--quick", "--out", str(tmp_path)])
    # One BLAS thread: on a busy machine OpenBLAS's spinning workers made the
    # LogisticRegression baseline 9 s instead of 0.14 s; the workflow is what is tested.
    with threadpool_limits(limits=1, user_api="blas"):
        results = runpy.run_path(str(EXAMPLE), run_name="__main__")["results"]
    assert results["most frequent (DummyClassifier)"] == pytest.approx(0.1, abs=0.01)
    assert results["LogisticRegression"] > 0.9
    assert results["cv_accuracy"] > 0.85 and results["test_accuracy"] > 0.85
    assert results["test_roc_auc"] > 0.98
    assert results["confusion_matrix"].sum() == 450
    png = Path(results["png"])
    assert png.parent == tmp_path and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert results["never_a_3_accuracy"] > 0.85  # accuracy flatters "never"
    assert results["threshold"] < 0.5
    (p_half, r_half), (p_moved, r_moved) = (
        v for k, v in results.items() if k.startswith("threshold ")
    )
    assert r_moved >= r_half and p_moved <= p_half
    out = capsys.readouterr().out
    assert "classification_report" not in out and "macro avg" in out
