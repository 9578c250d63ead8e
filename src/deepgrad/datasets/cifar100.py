"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32, in 100 classes (20 groups).

Read from the *binary* version of the dataset, ``cifar-100-binary.tar.gz``, whose
``train.bin`` and ``test.bin`` are fixed-size records (a coarse label byte, a fine label
byte, then 3072 pixel bytes: the red, green and blue planes, each 32x32 row-major), so
nothing is unpickled; Keras reads the pickled python version, which holds the same
images and labels in the same order. The archive is looked up offline first, then
downloaded and checked against its published SHA-256 (see
:mod:`deepgrad.datasets._files`).

>>> FINE_LABEL_NAMES[0], COARSE_LABEL_NAMES[19], len(FINE_LABEL_NAMES)
('apple', 'vehicles_2', 100)
"""

from __future__ import annotations

import io
import os

import numpy as np

from ._files import DatasetSpec, RemoteFile, fetch_files

__all__ = ["load_data", "parse_records", "FINE_LABEL_NAMES", "COARSE_LABEL_NAMES"]

# The names in the archive's fine_label_names.txt and coarse_label_names.txt, in order.
FINE_LABEL_NAMES = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank",
    "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle",
    "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
)
COARSE_LABEL_NAMES = (
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
)

RECORD_BYTES = 2 + 32 * 32 * 3
FILES = ("train.bin", "test.bin")

# SHA-256 as TensorFlow Datasets records it (url_checksums/cifar100.txt); the dataset's
# page lists its MD5, 03b5dce01913d631647c71ecec9e9cb8.
DATASET = DatasetSpec(
    name="cifar100",
    title="CIFAR-100",
    files=(
        RemoteFile(
            "cifar-100-binary.tar.gz",
            "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
            ("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",),
            max_size=168_513_733,  # the published size (TFDS records it with the digest)
        ),
    ),
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html (the binary version)",
    layout_hint="The archive itself, as published (the python version is not read).",
)


def parse_records(data: bytes, source: str = "<bytes>") -> tuple[np.ndarray, np.ndarray]:
    """Parse ``train.bin`` or ``test.bin`` of CIFAR-100's binary version.

    Args:
        data: records of a coarse label byte, a fine label byte and 3072 pixel bytes (CHW).
        source: what the bytes came from, for error messages.

    Returns:
        ``(images, labels)``: uint8 images of shape (n, 32, 32, 3) (channels last) and
        the labels, shape (n, 2): column 0 coarse, column 1 fine.

    Raises:
        ValueError: if the length is not a positive multiple of 3074 bytes or a label is
            out of range.

    >>> record = bytes([3, 42]) + bytes([10]) * 1024 + bytes([20]) * 1024 + bytes([30]) * 1024
    >>> images, labels = parse_records(record)
    >>> images.shape, labels.tolist(), images[0, 5, 9].tolist()
    ((1, 32, 32, 3), [[3, 42]], [10, 20, 30])
    """
    if len(data) == 0 or len(data) % RECORD_BYTES:
        raise ValueError(
            f"{source}: not a CIFAR-100 binary file: its {len(data)} bytes are not a positive "
            f"multiple of the {RECORD_BYTES}-byte record (2 label bytes + 3072 pixel bytes)."
        )
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, :2].copy()
    for column, names, kind in ((0, COARSE_LABEL_NAMES, "coarse"), (1, FINE_LABEL_NAMES, "fine")):
        if labels[:, column].max() >= len(names):
            raise ValueError(
                f"{source}: not a CIFAR-100 binary file: {kind} label "
                f"{labels[:, column].max()} found, expected 0 to {len(names) - 1}."
            )
    images = records[:, 2:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _read_members(archive: bytes, source: str) -> dict[str, bytes]:
    """``train.bin`` and ``test.bin`` of the archive, read in one streaming pass."""
    import tarfile
    import zlib

    found = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r|gz") as tar:
            for member in tar:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and name in FILES:
                    found[name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"{source}: not a valid .tar.gz archive ({type(error).__name__}: {error})."
        ) from None
    missing = [name for name in FILES if name not in found]
    if missing:
        raise ValueError(
            f"{source}: not CIFAR-100's binary version: it lacks {', '.join(missing)} "
            "(expected under cifar-100-binary/)."
        )
    return found


def load_data(
    label_mode: str = "fine", path: str | os.PathLike | None = None, *, download: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-100 as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Offline first: ``cifar-100-binary.tar.gz`` is taken from ``path``,
    ``$DEEPGRAD_DATA/cifar100``, ``~/.cache/deepgrad/datasets/cifar100`` or a system
    folder, and downloaded into the cache (about 160 MB) only if none of them holds a
    copy whose SHA-256 matches the published one. It is read without being extracted.

    Args:
        label_mode: ``"fine"`` (100 classes, :data:`FINE_LABEL_NAMES`) or ``"coarse"``
            (20 superclasses, :data:`COARSE_LABEL_NAMES`).
        path: a folder holding the archive, searched first (deepgrad only: Keras's
            loader has no ``path``).
        download: whether to download it when no folder holds it (deepgrad only).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shapes
        (50000, 32, 32, 3) and (10000, 32, 32, 3), channels last, and int64 labels of
        shapes (50000, 1) and (10000, 1) (the dtype Keras's loader returns).

    Raises:
        ValueError: for another ``label_mode``, or an archive (its checksum matched)
            that does not hold the files.
        DatasetNotFoundError: (a ``FileNotFoundError``) if no good copy is found and
            downloading is off or fails; it lists the folders and says what to put where.

    >>> load_data(label_mode="medium")
    Traceback (most recent call last):
    ...
    ValueError: `label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode=medium.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    remote = DATASET.files[0]
    members = _read_members(fetch_files(DATASET, path, download)[remote.filename],
                            remote.filename)
    column = 1 if label_mode == "fine" else 0
    out = []
    for name in FILES:
        images, labels = parse_records(members[name], name)
        out.append((images, labels[:, column : column + 1].astype(np.int64)))
    return out[0], out[1]
