"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

Read from the *binary* version of the dataset, ``cifar-10-binary.tar.gz``, whose
batches are fixed-size records (one label byte, then 3072 pixel bytes: the red,
green and blue planes, each 32x32 row-major), so that nothing is unpickled. The
archive is looked up offline first, then downloaded and checked against its
published SHA-256 (see :mod:`deepgrad.datasets._files`).

>>> CLASS_NAMES[3]
'cat'
"""

from __future__ import annotations

import io
import os

import numpy as np

from deepgrad.formats.errors import FileFormatError

from ._files import DatasetSpec, RemoteFile, fetch_files

__all__ = ["load_data", "parse_batch", "CLASS_NAMES"]

CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

IMAGE_SHAPE = (32, 32, 3)
RECORD_BYTES = 1 + 32 * 32 * 3
TRAIN_BATCHES = tuple(f"data_batch_{index}.bin" for index in range(1, 6))
TEST_BATCH = "test_batch.bin"

# SHA-256 as TensorFlow Datasets records it (url_checksums/cifar10.txt); the
# dataset's page lists its MD5, c32a1d4ab5d03f1284b67883e8d87530.
DATASET = DatasetSpec(
    name="cifar10",
    title="CIFAR-10",
    files=(
        RemoteFile(
            "cifar-10-binary.tar.gz",
            "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
            ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
            # Published at 170,052,171 bytes (TensorFlow Datasets' url_checksums); a
            # larger file is not it and is not read.
            max_size=170_052_171,
        ),
    ),
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html (the binary version)",
    layout_hint="The archive itself, as published (the python version is not read).",
)


def parse_batch(data: bytes, source: str = "<bytes>") -> tuple[np.ndarray, np.ndarray]:
    """Parse one batch file of CIFAR-10's binary version.

    Args:
        data: the batch's bytes, records of 1 label byte and 3072 pixel bytes (CHW).
        source: what the bytes came from, for error messages.

    Returns:
        ``(images, labels)``: uint8 arrays of shapes (n, 32, 32, 3) (channels last)
        and (n, 1), as Keras returns them.

    Raises:
        ValueError: if the length is not a positive multiple of 3073 bytes or a
            label is not below 10.

    >>> record = bytes([7]) + bytes([10]) * 1024 + bytes([20]) * 1024 + bytes([30]) * 1024
    >>> images, labels = parse_batch(record)
    >>> images.shape, labels.tolist(), images[0, 5, 9].tolist()
    ((1, 32, 32, 3), [[7]], [10, 20, 30])
    """
    if len(data) == 0 or len(data) % RECORD_BYTES:
        raise FileFormatError(
            source, "", f"not a CIFAR-10 binary batch: its {len(data)} bytes are not a "
                        f"positive multiple of the {RECORD_BYTES}-byte record (1 label byte + "
                        "3072 pixel bytes)."
        )
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, :1].copy()
    if labels.max() >= len(CLASS_NAMES):
        raise FileFormatError(
            source, "", f"not a CIFAR-10 binary batch: label {labels.max()} found, expected "
                        f"labels 0 to {len(CLASS_NAMES) - 1}."
        )
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _read_batches(archive: bytes, source: str) -> dict[str, bytes]:
    """Return the batch files of the archive by base name, read in one streaming pass."""
    import tarfile
    import zlib

    wanted = {*TRAIN_BATCHES, TEST_BATCH}
    batches = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r|gz") as tar:
            for member in tar:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and name in wanted:
                    batches[name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise FileFormatError(
            source, "", f"not a valid .tar.gz archive ({type(error).__name__}: {error})."
        ) from None
    missing = sorted(wanted - batches.keys())
    if missing:
        raise FileFormatError(
            source, "", f"not CIFAR-10's binary version: it lacks {', '.join(missing)} "
                        "(expected under cifar-10-batches-bin/)."
        )
    return batches


def load_data(
    path: str | os.PathLike | None = None, *, download: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-10 as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Offline first: ``cifar-10-binary.tar.gz`` is taken from ``path``,
    ``$DEEPGRAD_DATA/cifar10``, ``~/.cache/deepgrad/datasets/cifar10`` or
    ``/usr/share/datasets/cifar10`` (also ``/usr/local/share``), and downloaded
    into the cache (about 170 MB) only if none of them holds a copy whose SHA-256
    matches the published one. It is read without being extracted.

    Args:
        path: a folder holding ``cifar-10-binary.tar.gz``, searched first.
        download: whether to download it when no folder holds it.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (50000, 32, 32, 3), (50000, 1), (10000, 32, 32, 3) and (10000, 1), images
        channels last, labels 0 to 9 named by :data:`CLASS_NAMES`.

    Raises:
        DatasetNotFoundError: (a ``FileNotFoundError``) if no good copy is found and
            downloading is off or fails; it lists the folders and says what to put where.
        ValueError: if the archive (its checksum matched) does not hold the batches.

    Example (it needs the archive, so it is shown, not run by the doctests; the tests run
    it on a small fixture in tests/datasets)::

        (x_train, y_train), (x_test, y_test) = dg.datasets.cifar10.load_data()
        x_train.shape, y_train.shape  # ((50000, 32, 32, 3), (50000, 1))
    """
    remote = DATASET.files[0]
    archive = fetch_files(DATASET, path, download)[remote.filename]
    batches = _read_batches(archive, remote.filename)
    train = [parse_batch(batches[name], name) for name in TRAIN_BATCHES]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    x_test, y_test = parse_batch(batches[TEST_BATCH], TEST_BATCH)
    return (x_train, y_train), (x_test, y_test)
