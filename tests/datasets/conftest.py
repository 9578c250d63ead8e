"""Shared fixtures: every dataset test runs offline, with an empty home and no $DEEPGRAD_DATA."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from deepgrad.datasets import _files
from deepgrad.datasets._files import DatasetSpec, idx_remote_file
from deepgrad.datasets.idx import write_idx

TOY_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path_factory):
    """No network, an empty ~/.cache, no $DEEPGRAD_DATA: a test sets up what it needs."""

    def no_network(url, destination, **kwargs):
        raise OSError(f"tests never download (asked for {url})")

    monkeypatch.setattr(_files, "download_url", no_network)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("DEEPGRAD_DATA", raising=False)


class Toy:
    """A tiny dataset in MNIST's layout with the right checksums, and helpers to place it."""

    name = "toy-mnist"

    def __init__(self, root: Path):
        rng = np.random.default_rng(0)
        self.x_train = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
        self.y_train = np.array([3, 1, 4, 1, 5], np.uint8)
        self.x_test = rng.integers(0, 256, (2, 4, 3), dtype=np.uint8)
        self.y_test = np.array([9, 2], np.uint8)
        self.source = root / "toy-source"
        self.source.mkdir()
        arrays = (self.x_train, self.y_train, self.x_test, self.y_test)
        remotes = []
        for filename, array in zip(TOY_FILES, arrays, strict=True):
            write_idx(self.source / filename, array)
            packed = (self.source / filename).read_bytes()
            content = gzip.decompress(packed)
            remotes.append(
                idx_remote_file(
                    filename,
                    hashlib.sha256(packed).hexdigest(),
                    hashlib.sha256(content).hexdigest(),
                    ["https://mirror-a.invalid/", "https://mirror-b.invalid/"],
                )
            )
        self.spec = DatasetSpec(
            name=self.name,
            title="Toy-MNIST",
            files=tuple(remotes),
            homepage="https://example.invalid/toy",
            install_hint="sudo apt-get install dataset-toy",
        )

    def bytes_of(self, filename: str) -> bytes:
        return (self.source / filename).read_bytes()

    def put(self, folder: Path, files=TOY_FILES, plain: bool = False) -> Path:
        """Copy files into folder (created), gzip'd as published or decompressed."""
        folder.mkdir(parents=True, exist_ok=True)
        for filename in files:
            data = self.bytes_of(filename)
            if plain:
                (folder / filename.removesuffix(".gz")).write_bytes(gzip.decompress(data))
            else:
                (folder / filename).write_bytes(data)
        return folder


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy dataset, installed as mnist's DATASET; system folders point into tmp_path."""
    from deepgrad.datasets import mnist

    data = Toy(tmp_path)
    monkeypatch.setattr(mnist, "DATASET", data.spec)
    monkeypatch.setattr(_files, "SYSTEM_DIRS", (str(tmp_path / "system"),))
    return data
