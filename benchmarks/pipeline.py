"""Input-pipeline throughput: Fashion-MNIST through ``dg.data.Dataset``.

Pipeline (the course's): ``from_tensor_slices -> map(normalize) -> cache -> shuffle(60000)
-> batch(128) -> prefetch(AUTOTUNE)``. It prints images per second for the first epoch
(which runs ``normalize`` once per image and fills the cache) and for later epochs (read
from the cache through the vectorised shuffle-and-gather path), each as a ratio to a
plain NumPy loop measured in the same process: permute the indices, then fancy-index
every slice of 128.

The target: at least 20x what training the course CNN consumes, measured in the same run
(about a thousand images/s on two cores); the script also keeps a fixed bar of 200,000
images/s once the cache is filled.

Run: ``python benchmarks/pipeline.py [--epochs 5] [--batch-size 128]``
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import time

import numpy as np

import deepgrad as dg
from deepgrad.data import AUTOTUNE, Dataset

TARGET_IMAGES_PER_SECOND = 200_000
_SYSTEM_FOLDER = "/usr/share/datasets/fashion-mnist"


def _read_idx_gz(path: str) -> np.ndarray:
    """A minimal IDX reader (big-endian header: magic, dims), for when the loader is absent."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist_train() -> tuple[np.ndarray, np.ndarray, str]:
    """Training images and labels, through ``dg.datasets`` when it is available."""
    try:
        (x, y), _ = dg.datasets.fashion_mnist.load_data()
        return x, y, "deepgrad.datasets.fashion_mnist.load_data()"
    except (ImportError, AttributeError):
        x = _read_idx_gz(os.path.join(_SYSTEM_FOLDER, "train-images-idx3-ubyte.gz"))
        y = _read_idx_gz(os.path.join(_SYSTEM_FOLDER, "train-labels-idx1-ubyte.gz"))
        return x, y, f"IDX files in {_SYSTEM_FOLDER}"


def normalize(image: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return image.astype(np.float32) / np.float32(255), label


def time_epoch(batches) -> tuple[float, int]:
    start = time.perf_counter()
    images = 0
    for x_batch, _ in batches:
        images += len(x_batch)
    return time.perf_counter() - start, images


def numpy_epoch(x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator):
    """The baseline: a permutation, then one fancy-indexing call per slice and array."""
    order = rng.permutation(len(x))
    for start in range(0, len(x), batch_size):
        indices = order[start : start + batch_size]
        yield x[indices], y[indices]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs to time (first included)")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    x, y, source = load_fashion_mnist_train()
    print(f"Fashion-MNIST train: {x.shape} {x.dtype} from {source}")
    dg.random.set_random_seed(0)

    dataset = (
        Dataset.from_tensor_slices((x, y))
        .map(normalize)
        .cache()
        .shuffle(60_000)
        .batch(args.batch_size)
        .prefetch(AUTOTUNE)
    )
    epoch_times = []
    for _ in range(args.epochs):
        seconds, images = time_epoch(dataset)
        assert images == len(x)
        epoch_times.append(seconds)

    x_normalized = x.astype(np.float32) / np.float32(255)
    rng = np.random.default_rng(0)
    numpy_times = [
        time_epoch(numpy_epoch(x_normalized, y, args.batch_size, rng))[0]
        for _ in range(max(3, args.epochs))
    ]
    numpy_rate = len(x) / statistics.median(numpy_times)
    first_rate = len(x) / epoch_times[0]
    cached_rate = len(x) / statistics.median(epoch_times[1:]) if len(epoch_times) > 1 else 0.0

    print(f"pipeline: map(normalize) -> cache -> shuffle(60000) -> batch({args.batch_size})")
    print("          -> prefetch(AUTOTUNE); median of epochs after the first")
    print(f"  NumPy shuffle-and-slice loop : {numpy_rate:>12,.0f} images/s  (1.00x)")
    print(
        f"  first epoch (map + fill)     : {first_rate:>12,.0f} images/s  "
        f"({first_rate / numpy_rate:.2f}x NumPy)"
    )
    if cached_rate:
        verdict = "meets" if cached_rate >= TARGET_IMAGES_PER_SECOND else "MISSES"
        print(
            f"  cached epochs                : {cached_rate:>12,.0f} images/s  "
            f"({cached_rate / numpy_rate:.2f}x NumPy; {verdict} the "
            f"{TARGET_IMAGES_PER_SECOND:,} images/s target, "
            f"{cached_rate / TARGET_IMAGES_PER_SECOND:.1f}x it)"
        )


        consumed = cnn_training_rate(args.batch_size)
        print(
            f"  the course CNN trains on     : {consumed:>12,.0f} images/s in this run, so the "
            f"cached pipeline delivers {cached_rate / consumed:,.0f}x what training consumes "
            f"({'meets' if cached_rate >= 20 * consumed else 'MISSES'} the 20x requirement)"
        )


def cnn_training_rate(batch_size: int, steps: int = 5) -> float:
    """Images per second that ``train_on_batch`` of the course CNN consumes here."""
    import time

    from course_cnn import deepgrad_cnn

    model = deepgrad_cnn()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (batch_size, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, batch_size)
    model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * batch_size / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
