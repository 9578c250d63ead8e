"""A scikit-learn grid search on digits: deepgrad's wrapper against MLPClassifier.

Measures, side by side in one process, alternating, and prints ratios:
1. ``GridSearchCV`` over the same 8 configurations (hidden units x learning rate x batch
   size), 5-fold stratified, the same number of epochs, Adam, no L2 penalty, float32
   inputs: ``SKLearnClassifier`` against ``MLPClassifier`` (which runs exactly
   ``max_iter`` epochs here: its early stop is switched off). Both wall times and both
   accuracies (best and mean cross-validated accuracy over the grid).
2. The wrapper's own cost: ``SKLearnClassifier.fit`` against building, compiling and
   fitting the same network by hand with ``model.fit`` (and ``predict`` likewise).

Runs twice: as the environment is, and with OPENBLAS_CORETYPE unset (see README).

    python benchmarks/sklearn_grid.py                # both BLAS settings
    python benchmarks/sklearn_grid.py --child        # one run, current environment
    python benchmarks/sklearn_grid.py --child --rounds 1 --epochs 5   # a quick look
    python benchmarks/sklearn_grid.py --child --cpu-time   # CPU time of all threads
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
from common import blas_label, run_both_blas_settings
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier

import deepgrad as dg
from deepgrad.wrappers import SKLearnClassifier

UNITS, RATES, BATCHES = (32, 64), (1e-3, 3e-3), (32, 64)


def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def deepgrad_search(epochs: int, seed: int) -> GridSearchCV:
    grid = {"model__units": list(UNITS), "optimizer__learning_rate": list(RATES),
            "batch_size": list(BATCHES)}
    return GridSearchCV(SKLearnClassifier(epochs=epochs, random_state=seed), grid, refit=False,
                        cv=StratifiedKFold(5, shuffle=True, random_state=0))


def sklearn_search(epochs: int, seed: int) -> GridSearchCV:
    grid = {"hidden_layer_sizes": [(u,) for u in UNITS], "learning_rate_init": list(RATES),
            "batch_size": list(BATCHES)}
    mlp = MLPClassifier(max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0, alpha=0.0,
                        random_state=seed)
    return GridSearchCV(mlp, grid, refit=False,
                        cv=StratifiedKFold(5, shuffle=True, random_state=0))


CLOCK = time.perf_counter  # time.process_time with --cpu-time (a shared, loaded machine)


def timed(fn) -> float:
    time.sleep(0.3)  # let the other library's BLAS threads stop spinning
    start = CLOCK()
    fn()
    return CLOCK() - start


def compare_grids(X, y, epochs: int, rounds: int) -> None:
    """Each round runs both searches with the round's seed (weights and shuffling), so the
    accuracies are averages over ``rounds`` seeds and the times medians over them."""
    times: dict[str, list[float]] = {"deepgrad": [], "scikit-learn": []}
    best: dict[str, list[float]] = {"deepgrad": [], "scikit-learn": []}
    mean: dict[str, list[float]] = {"deepgrad": [], "scikit-learn": []}
    for seed in range(rounds):
        for name, make in (("deepgrad", deepgrad_search), ("scikit-learn", sklearn_search)):
            search = make(epochs, seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                times[name].append(timed(lambda s=search: s.fit(X, y)))
            best[name].append(search.cv_results_["mean_test_score"].max())
            mean[name].append(search.cv_results_["mean_test_score"].mean())
    ours, theirs = (statistics.median(times[k]) for k in ("deepgrad", "scikit-learn"))
    print(f"GridSearchCV, 8 configurations x 5 folds, {epochs} epochs, {rounds} seeds "
          "(time: median [range]; accuracy: mean over the seeds)")
    for name in times:
        t = times[name]
        print(f"  {name:<13} {statistics.median(t):7.2f} s [{min(t):.2f}-{max(t):.2f}]  "
              f"best accuracy {np.mean(best[name]):.4f}  mean over the grid "
              f"{np.mean(mean[name]):.4f}")
    print(f"  speed ratio (scikit-learn time / deepgrad time): {theirs / ours:.2f}x; "
          "accuracy difference (deepgrad - scikit-learn): best "
          f"{np.mean(best['deepgrad']) - np.mean(best['scikit-learn']):+.4f}, mean over the "
          f"grid {np.mean(mean['deepgrad']) - np.mean(mean['scikit-learn']):+.4f}")


class Stopwatch(dg.callbacks.Callback):
    """Records how long ``model.fit``'s training loop ran (train begin to train end)."""

    def __init__(self):
        super().__init__()
        self.loops: list[float] = []

    def on_train_begin(self, logs=None):
        self._start = CLOCK()

    def on_train_end(self, logs=None):
        self.loops.append(CLOCK() - self._start)


def bare_fit(X, y, epochs: int, units: int, rate: float, batch: int, watch: Stopwatch):
    """What a user writes by hand: the wrapper's default network, compiled and fitted."""
    model = dg.Sequential([dg.layers.Input((X.shape[1],)),
                           dg.layers.Dense(units, activation="relu"),
                           dg.layers.Dense(10)])
    model.compile(optimizer=dg.optimizers.Adam(learning_rate=rate),
                  loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X, y, epochs=epochs, batch_size=batch, verbose=0, callbacks=[watch])
    return model


def wrapper_overhead(X, y, epochs: int, rounds: int) -> None:
    """Alternating rounds of the wrapper's fit and the same fit by hand. Besides the two
    totals (noisy on a shared machine), the time outside the training loop is compared:
    that is where the wrapper's own work happens (checking the data, encoding labels,
    seeding), the loop itself being the same ``model.fit``."""
    units, rate, batch = 64, 1e-3, 32
    wrapper_watch, bare_watch = Stopwatch(), Stopwatch()
    wrapper = SKLearnClassifier(epochs=epochs, batch_size=batch, random_state=0,
                                model__units=units, optimizer__learning_rate=rate,
                                callbacks=[wrapper_watch])
    totals: dict[str, list[float]] = {"wrapper": [], "bare": []}
    predict: dict[str, list[float]] = {"wrapper": [], "bare": []}
    models = []

    def by_hand():
        models.append(bare_fit(X, y, epochs, units, rate, batch, bare_watch))

    for _ in range(rounds):
        totals["wrapper"].append(timed(lambda: wrapper.fit(X, y)))
        totals["bare"].append(timed(by_hand))
        predict["wrapper"].append(timed(lambda: wrapper.predict(X)))
        predict["bare"].append(timed(lambda: models[-1].predict(X, verbose=0).argmax(1)))
    outside = {name: [t - loop for t, loop in zip(totals[name], watch.loops)]
               for name, watch in (("wrapper", wrapper_watch), ("bare", bare_watch))}
    fit_time = statistics.median(totals["bare"])
    own = statistics.median(outside["wrapper"]) - statistics.median(outside["bare"])
    for label, samples in (("fit", totals), ("predict", predict)):
        ours, bare = (statistics.median(samples[k]) for k in ("wrapper", "bare"))
        print(f"  {label:<8} wrapper {ours * 1e3:8.1f} ms  by hand {bare * 1e3:8.1f} ms  "
              f"(ratio {ours / bare:.3f}, noisy)")
    print(f"  outside the training loop: wrapper "
          f"{statistics.median(outside['wrapper']) * 1e3:.1f} ms, by hand "
          f"{statistics.median(outside['bare']) * 1e3:.1f} ms: the wrapper's own work is "
          f"{own * 1e3:.1f} ms, {100 * own / fit_time:.2f}% of the fit time")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time CPU time of all threads instead of wall time")
    args = parser.parse_args(argv)
    if not args.child:
        return run_both_blas_settings(__file__, argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu_time else time.perf_counter
    X, y = digits()
    print(f"digits: {X.shape[0]} images of {X.shape[1]} pixels; {blas_label()}; "
          f"{'CPU' if args.cpu_time else 'wall'} time")
    compare_grids(X, y, args.epochs, args.rounds)
    print(f"The wrapper's own cost (64 hidden units, batch 32, {args.epochs} epochs, all "
          f"{len(X)} images, median of {3 * args.rounds} alternating rounds):")
    wrapper_overhead(X, y, args.epochs, 3 * args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
