"""The ``deepgrad`` command: demo, summary, predict, examples, bench.

``deepgrad demo`` trains the course's iris network; ``deepgrad summary MODEL_FILE
[--flops]`` prints a saved model's summary; ``deepgrad predict MODEL_FILE IMAGES...``
classifies image files; ``deepgrad examples`` lists the course's example scripts;
``deepgrad bench`` runs the short benchmarks and prints their ratios to PyTorch.
``deepgrad COMMAND --help`` explains each.

>>> main(["--version"])  # doctest: +ELLIPSIS
deepgrad ...
0
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main", "run_demo"]

COURSE_FLOWERS = (
    ([5.1, 3.3, 1.7, 0.5], "setosa"),
    ([5.9, 3.0, 4.2, 1.5], "versicolor"),
    ([6.9, 3.1, 5.4, 2.1], "virginica"),
)


def run_demo(epochs: int = 500, seed: int = 42, verbose: int | str = "auto", out=None) -> float:
    """Train the course's iris network and print test accuracy and three predictions.

    Args:
        epochs: training epochs (batch size 32).
        seed: the global seed; the same seed gives the same numbers.
        verbose: progress display over epochs: 0 none, 1 live bar, 2 a line every 25 epochs.
        out: the stream to print to (stdout by default).

    Returns:
        The test accuracy.
    """
    import numpy as np

    import deepgrad as dg
    from deepgrad.utils.progress import Progbar, resolve_verbose

    out = out or sys.stdout
    dg.utils.clear_session()
    dg.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = dg.datasets.iris.load_data(test_split=0.25, seed=seed)
    names = dg.datasets.iris.CLASS_NAMES
    print(
        f"Iris: {len(x_train)} training and {len(x_test)} test flowers, 4 features, 3 classes.",
        file=out,
    )
    model = dg.Sequential(
        [
            dg.layers.Dense(10, activation="relu", input_shape=(4,)),
            dg.layers.Dense(10, activation="relu"),
            dg.layers.Dense(3, activation="softmax"),
        ],
        name="iris",
    )
    model.summary(print_fn=lambda line: print(line, file=out))
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    mode = resolve_verbose(verbose) if out is sys.stdout else (0 if verbose == 0 else 2)
    bar = Progbar(epochs, verbose=mode, unit_name="epoch", file=out)

    class EpochBar(dg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            done = epoch + 1
            if mode == 1 or done == epochs:
                bar.update(done, logs, finalize=done == epochs)
            elif mode == 2 and done % 25 == 0:
                print(f"epoch {done}/{epochs}{dg.utils.progress.format_logs(logs)}", file=out)

    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0, callbacks=[EpochBar()])
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(
        f"Trained {epochs} epochs in {seconds:.2f} s. Test accuracy: {accuracy:.3f} "
        f"(loss {loss:.4f}).",
        file=out,
    )
    flowers = np.array([f for f, _ in COURSE_FLOWERS], dtype="float32")
    probabilities = model.predict(flowers, verbose=0)
    for p, (_, expected) in zip(probabilities, COURSE_FLOWERS):
        guess = names[int(np.argmax(p))]
        mark = "✓" if guess == expected else "✗"
        print(
            f"{mark} Prediction is '{guess}' ({100 * float(p.max()):.1f}%), expected '{expected}'",
            file=out,
        )
    return float(accuracy)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``deepgrad`` console script; returns the exit code."""
    from deepgrad import __version__

    parser = argparse.ArgumentParser(prog="deepgrad", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="train the course's iris network (seconds)")
    demo.add_argument("--epochs", type=int, default=500)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None)
    _add_commands(commands)
    args = parser.parse_args(argv)
    if args.version:
        print(f"deepgrad {__version__}")
        return 0
    if args.command == "demo":
        if args.epochs <= 0:
            parser.error("--epochs must be positive")
        accuracy = run_demo(
            epochs=args.epochs,
            seed=args.seed,
            verbose="auto" if args.verbose is None else args.verbose,
        )
        return 0 if accuracy >= 0.9 else 1
    if args.command in ("summary", "predict", "examples", "bench"):
        return _run_command(args, parser)
    parser.print_help()
    return 2


def _add_commands(commands) -> None:
    summary = commands.add_parser(
        "summary", help="print the summary of a saved model",
        description="Print a saved model's summary: layers, output shapes, parameters.")
    summary.add_argument("model_file", metavar="MODEL_FILE", help="a file from model.save()")
    summary.add_argument("--flops", action="store_true",
                         help="add each layer's multiply-accumulates (MACs) and activation "
                              "memory per sample")
    summary.add_argument("--trainable", action="store_true", help="add a trainable column")
    predict = commands.add_parser(
        "predict", help="classify image files with a saved model",
        description="Classify image files with a saved image classifier: each image is "
                    "resized to the model's input, multiplied by --scale, and its most "
                    "probable classes are printed.")
    predict.add_argument("model_file", metavar="MODEL_FILE", help="a file from model.save()")
    predict.add_argument("images", metavar="IMAGES", nargs="+", help="image files")
    predict.add_argument("--class-names", metavar="NAMES",
                         help="comma-separated class names, or a file with one per line")
    predict.add_argument("--scale", type=float, default=1 / 255,
                         help="multiply pixels (0..255) by this (default 1/255)")
    predict.add_argument("--top", type=int, default=1, help="print the TOP classes (default 1)")
    examples = commands.add_parser(
        "examples", help="list the course's example scripts",
        description="List the example scripts in examples/, one line each.")
    examples.add_argument("--path", help="the examples folder (default: the checkout's)")
    bench = commands.add_parser(
        "bench", help="run the short benchmarks and print ratios to PyTorch",
        description="Run benchmark scripts from benchmarks/ (default: the short ones) in "
                    "the current environment and print their ratios to PyTorch.")
    bench.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run")
    bench.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    bench.add_argument("--path", help="the benchmarks folder (default: the checkout's)")


def _run_command(args, parser) -> int:
    from deepgrad import cli_commands

    try:
        if args.command == "summary":
            cli_commands.summary(args.model_file, flops=args.flops, trainable=args.trainable)
        elif args.command == "predict":
            if args.top < 1:
                parser.error("--top must be at least 1")
            cli_commands.predict(args.model_file, args.images, class_names=args.class_names,
                                 scale=args.scale, top=args.top)
        elif args.command == "examples":
            cli_commands.examples(args.path)
        else:
            return cli_commands.bench(args.names, path=args.path, list_only=args.list)
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"deepgrad {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
