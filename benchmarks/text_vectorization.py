"""TextVectorization on the fortunes corpus: deepgrad against Keras 3 (TensorFlow backend).

Keras is never a deepgrad dependency, so it runs in a child process of a Python that has
it (``--keras-python``); both sides do the same three jobs on the same texts, in
alternating rounds, and the ratios are printed (above 1 means deepgrad is faster):

1. ``adapt`` with ``max_tokens=20000`` (standardize, split, count, sort);
2. ``'int'`` vectorization with ``output_sequence_length=100`` in batches of 64, as a
   model's first layer sees them during ``fit``;
3. ``'tf_idf'`` with bigrams: ``adapt``, then batches of 256.

    python benchmarks/text_vectorization.py --keras-python /opt/kerasvenv/bin/python
    python benchmarks/text_vectorization.py          # deepgrad alone (no peer found)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

FORTUNES = Path("/usr/share/games/fortunes")
JOBS = ("adapt", "int", "tf_idf")


def fortunes() -> np.ndarray:
    """Every fortune (entries end at a line holding ``%``) of every category file."""
    texts = []
    for path in sorted(FORTUNES.iterdir()):
        if path.suffix or not path.is_file():
            continue
        content = path.read_text(encoding="utf-8", errors="replace")
        texts += [t.strip() for t in content.split("\n%\n") if t.strip()]
    return np.array(texts)


def run_jobs(layer_class, texts) -> dict:
    """Seconds taken by each job, once."""
    out = {}
    start = time.perf_counter()
    layer = layer_class(max_tokens=20000, output_sequence_length=100)
    layer.adapt(texts)
    out["adapt"] = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(texts), 64):
        layer(texts[i : i + 64])
    out["int"] = time.perf_counter() - start
    start = time.perf_counter()
    tf_idf = layer_class(max_tokens=20000, output_mode="tf_idf", ngrams=2)
    tf_idf.adapt(texts)
    for i in range(0, len(texts), 256):
        tf_idf(texts[i : i + 256])
    out["tf_idf"] = time.perf_counter() - start
    return out


def child(framework: str) -> None:
    """Run the jobs with ``framework``'s layer and print the seconds as JSON."""
    if framework == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        layer_class = keras.layers.TextVectorization
    else:
        import deepgrad as dg

        layer_class = dg.layers.TextVectorization
    print(json.dumps(run_jobs(layer_class, fortunes())))


def timed(python: str, framework: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    result = subprocess.run(
        [python, __file__, "--child", framework], capture_output=True, text=True, env=env,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras-python", help="a Python with Keras 3 and TensorFlow")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("deepgrad", "keras"))
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if not FORTUNES.is_dir():
        sys.exit(f"{FORTUNES} is missing: sudo apt-get install fortunes")
    print(f"{len(fortunes())} fortunes; {args.rounds} alternating rounds, median seconds")
    ours = {job: [] for job in JOBS}
    theirs = {job: [] for job in JOBS}
    for _ in range(args.rounds):
        for job, seconds in timed(sys.executable, "deepgrad").items():
            ours[job].append(seconds)
        if args.keras_python:
            for job, seconds in timed(args.keras_python, "keras").items():
                theirs[job].append(seconds)
    for job in JOBS:
        mine = float(np.median(ours[job]))
        line = f"{job:<8} deepgrad {mine:6.2f} s [{min(ours[job]):.2f}-{max(ours[job]):.2f}]"
        if theirs[job]:
            peer = float(np.median(theirs[job]))
            line += (f"   keras {peer:6.2f} s [{min(theirs[job]):.2f}-{max(theirs[job]):.2f}]"
                     f"   ratio {peer / mine:5.2f}x")
        print(line, flush=True)


if __name__ == "__main__":
    main()
