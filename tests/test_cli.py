import io
import subprocess
import sys

from deepgrad import cli


def test_demo_reaches_090_and_prints_course_predictions():
    out = io.StringIO()
    accuracy = cli.run_demo(out=out, verbose=0)
    text = out.getvalue()
    assert accuracy >= 0.9
    assert "Test accuracy:" in text
    for flower in ("setosa", "versicolor", "virginica"):
        assert f"expected '{flower}'" in text
    assert text.count("✓ Prediction is") == 3


def test_demo_is_deterministic_for_a_seed():
    first, second = io.StringIO(), io.StringIO()
    cli.run_demo(out=first, verbose=0, seed=3)
    cli.run_demo(out=second, verbose=0, seed=3)
    strip = lambda s: [ln for ln in s.splitlines() if not ln.startswith("Trained")]  # noqa: E731
    assert strip(first.getvalue()) == strip(second.getvalue())


def test_console_script_exit_code_and_output():
    result = subprocess.run([sys.executable, "-m", "deepgrad.cli", "demo", "--verbose", "2"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Test accuracy:" in result.stdout and "✓ Prediction is 'setosa'" in result.stdout
    assert "\r" not in result.stdout


def test_cli_usage_errors():
    assert cli.main([]) == 2
    result = subprocess.run([sys.executable, "-m", "deepgrad.cli", "demo", "--epochs", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--epochs must be positive" in result.stderr
