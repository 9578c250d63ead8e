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


def small_image_model(path):
    """A saved 8x8 RGB classifier whose class is 'bright' exactly when the image is bright."""
    import numpy as np

    import deepgrad as dg

    dg.utils.set_random_seed(0)
    model = dg.Sequential([dg.layers.Conv2D(2, 3, input_shape=(8, 8, 3), name="conv"),
                           dg.layers.GlobalAveragePooling2D(),
                           dg.layers.Dense(2, activation="softmax", name="out")])
    conv, out = model.get_layer("conv"), model.get_layer("out")
    conv.set_weights([np.full((3, 3, 3, 2), 1 / 27, np.float32), np.zeros(2, np.float32)])
    out.set_weights([np.array([[-4, 4], [0, 0]], np.float32), np.array([2, -2], np.float32)])
    model.save(path)
    return model


def test_summary_command_prints_layers_and_flops(tmp_path, capsys):
    small_image_model(tmp_path / "m.keras")
    assert cli.main(["summary", str(tmp_path / "m.keras")]) == 0
    plain = capsys.readouterr().out
    assert "conv (Conv2D)" in plain and "Total params: 62" in plain and "MACs" not in plain
    assert cli.main(["summary", str(tmp_path / "m.keras"), "--flops"]) == 0
    assert "MACs / sample" in capsys.readouterr().out
    assert cli.main(["summary", str(tmp_path / "missing.keras")]) == 1
    assert "no model file at" in capsys.readouterr().err


def test_predict_command_classifies_image_files(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    small_image_model(tmp_path / "m.keras")
    dark, bright = tmp_path / "dark.png", tmp_path / "bright.jpg"
    Image.fromarray(np.full((20, 30, 3), 10, np.uint8)).save(dark)
    Image.fromarray(np.full((8, 8, 3), 250, np.uint8)).save(bright)
    code = cli.main(["predict", str(tmp_path / "m.keras"), str(dark), str(bright),
                     "--class-names", "dark,bright"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[0].startswith(f"{dark}: dark (") and "bright (" in lines[1]
    names = tmp_path / "names.txt"
    names.write_text("night\nday\n")
    assert cli.main(["predict", str(tmp_path / "m.keras"), str(bright), "--top", "2",
                     "--class-names", str(names)]) == 0
    assert capsys.readouterr().out.startswith(f"{bright}: day (")
    assert cli.main(["predict", str(tmp_path / "m.keras"), str(dark), "--class-names",
                     "a,b,c"]) == 1
    assert "3 names but the model has 2 outputs" in capsys.readouterr().err


def test_examples_command_lists_every_example(capsys):
    from pathlib import Path

    assert cli.main(["examples"]) == 0
    text = capsys.readouterr().out
    for script in (Path(__file__).parents[1] / "examples").glob("*.py"):
        assert f"\n{script.stem} " in f"\n{text}"


def test_bench_command_runs_benchmark_scripts(tmp_path, capsys):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "tiny.py").write_text('"""A tiny benchmark."""\nimport sys\n'
                                    'assert sys.argv[1:] == ["--child"]\n'
                                    'print("ratio deepgrad/torch: 1.50x")\n')
    assert cli.main(["bench", "--list", "--path", str(folder)]) == 0
    assert "tiny" in capsys.readouterr().out
    assert cli.main(["bench", "tiny", "--path", str(folder)]) == 0
    assert "ratio deepgrad/torch: 1.50x" in capsys.readouterr().out
    assert cli.main(["bench", "nope", "--path", str(folder)]) == 1
    assert "unknown benchmark(s) ['nope']" in capsys.readouterr().err
    assert cli.main(["bench", "--list"]) == 0  # the checkout's own benchmarks
    assert "cnn " in capsys.readouterr().out


def test_every_command_has_help():
    import os
    from pathlib import Path

    src = str(Path(cli.__file__).resolve().parents[1])  # this checkout's package
    env = {**os.environ, "PYTHONPATH": src}
    for command in ("demo", "summary", "predict", "examples", "bench"):
        result = subprocess.run([sys.executable, "-m", "deepgrad.cli", command, "--help"],
                                capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 0 and f"usage: deepgrad {command}" in result.stdout


def test_bench_default_runs_the_short_benchmarks_with_their_short_arguments(tmp_path, capsys):
    from pathlib import Path

    from deepgrad import cli_commands

    checkout = Path(__file__).parents[1] / "benchmarks"
    assert all((checkout / f"{name}.py").is_file() for name in cli_commands.SHORT_BENCHMARKS)
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    for name in cli_commands.SHORT_BENCHMARKS:
        (folder / f"{name}.py").write_text('"""Fake."""\nimport sys\n# --child\n'
                                           'print("args", sys.argv[1:])\n')
    assert cli.main(["bench", "--path", str(folder)]) == 0
    text = capsys.readouterr().out
    assert "args ['--child', '--size', '400']" in text and "args ['--child']" in text
