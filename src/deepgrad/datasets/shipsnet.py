"""Ships in satellite imagery (the course's ship finder): 80x80 tiles of San Francisco Bay.

The dataset ("Ships in Satellite Imagery", Planet imagery, published on Kaggle by
rhammell) is ``shipsnet.json``, holding 4,000 tiles of 80x80x3 labelled 1 (a ship) or 0
(no ship) with each tile's location and scene id, and a folder ``scenes/`` of large
scene PNGs to search for ships. It sits behind a Kaggle login, so deepgrad cannot
download it: :func:`load_data` reads it offline only, from the ``path`` you give,
``$DEEPGRAD_DATA/shipsnet``, ``~/.cache/deepgrad/datasets/shipsnet`` or a system folder
(``/usr/share/datasets/shipsnet``), and says where to put it when it is missing.

``shipsnet.json`` stores each tile as 19,200 integers: the 6,400 red values, then the
green, then the blue, each plane row by row. :func:`parse` turns that into
``(n, 80, 80, 3)`` uint8 images. Nothing is unpickled; the JSON is checked as it is read.

>>> record = {"data": [[0] * 6400 + [1] * 6400 + [2] * 6400], "labels": [1],
...           "locations": [[-122.3, 37.7]], "scene_ids": ["20170101_abc"]}
>>> tiles = parse(record)
>>> tiles.images.shape, tiles.images[0, 0, 0].tolist(), tiles.labels.tolist()
((1, 80, 80, 3), [0, 1, 2], [1])
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepgrad.formats.errors import FileFormatError

from ._files import DatasetNotFoundError, search_dirs

__all__ = ["CLASS_NAMES", "ShipsNet", "load_data", "load_scene", "parse"]

CLASS_NAMES = ("no ship", "ship")
TILE_SHAPE = (80, 80, 3)
JSON_FILE = "shipsnet.json"
SCENES_DIR = "scenes"
MAX_JSON_BYTES = 2_000_000_000  # the published file is about 300 MB; refuse anything absurd
WHERE = ("Download 'Ships in Satellite Imagery' from Kaggle "
         "(https://www.kaggle.com/datasets/rhammell/ships-in-satellite-imagery; it needs a "
         "login, so deepgrad cannot fetch it) and put shipsnet.json and the scenes/ folder in "
         "one of the folders above, e.g. ~/.cache/deepgrad/datasets/shipsnet/.")


@dataclass
class ShipsNet:
    """The tiles, their labels, locations and scene ids, and the scene files found.

    Attributes:
        images: uint8 ``(n, 80, 80, 3)``.
        labels: uint8 ``(n,)``, 1 for a ship.
        locations: float64 ``(n, 2)``, longitude and latitude of each tile.
        scene_ids: the scene each tile was cut from, ``n`` strings.
        scenes: scene name to PNG path (``scenes/*.png`` beside the JSON; empty if none);
            read one with :func:`load_scene`.
    """

    images: np.ndarray
    labels: np.ndarray
    locations: np.ndarray
    scene_ids: list[str]
    scenes: dict[str, Path] = field(default_factory=dict)


def parse(record: dict, source: str = "<json>") -> ShipsNet:
    """Check and convert the decoded JSON of ``shipsnet.json``.

    Raises:
        FileFormatError: a missing key, lists of different lengths, a tile that is not
            19,200 values, or a value outside 0..255.
    """
    def bad(part: str, detail: str) -> FileFormatError:
        return FileFormatError(source, part, detail)

    if not isinstance(record, dict):
        raise bad("", f"expected a JSON object. Received: {type(record).__name__}")
    missing = [k for k in ("data", "labels", "locations", "scene_ids") if k not in record]
    if missing:
        raise bad("", f"has no {missing}; expected the keys data, labels, locations, "
                      f"scene_ids")
    count = len(record["data"])
    for key in ("labels", "locations", "scene_ids"):
        if len(record[key]) != count:
            raise bad(key, f"{count} tiles but {len(record[key])} {key}")
    size = int(np.prod(TILE_SHAPE))
    lengths = {len(row) if isinstance(row, list) else -1 for row in record["data"]}
    if lengths - {size}:
        raise bad("data", f"each tile must be {size} values (80x80x3). Received lengths: "
                          f"{sorted(lengths - {size})[:5]}")
    try:
        raw = np.asarray(record["data"], dtype=np.int64).reshape(count, size)
        labels = np.asarray(record["labels"], dtype=np.int64).reshape(count)
        locations = np.asarray(record["locations"], dtype=np.float64).reshape(count, 2)
    except (ValueError, TypeError) as error:
        raise bad("", f"holds values that are not numbers of the expected shape: "
                      f"{error}") from None
    if raw.size and (raw.min() < 0 or raw.max() > 255):
        raise bad("data", f"pixel values must be in 0..255. Received: {raw.min()}..{raw.max()}")
    if labels.size and not np.isin(labels, (0, 1)).all():
        raise bad("labels", "labels must be 0 (no ship) or 1 (ship)")
    images = raw.astype(np.uint8).reshape(count, 3, 80, 80).transpose(0, 2, 3, 1)
    return ShipsNet(np.ascontiguousarray(images), labels.astype(np.uint8), locations,
                    [str(s) for s in record["scene_ids"]])


def load_data(path: str | os.PathLike | None = None) -> ShipsNet:
    """Load the ship tiles and find the scenes, offline.

    Args:
        path: a folder holding ``shipsnet.json`` (and optionally ``scenes/``); if None,
            the usual dataset folders are searched.

    Returns:
        A :class:`ShipsNet`.

    Raises:
        DatasetNotFoundError: no ``shipsnet.json`` in any searched folder; the message
            lists them and says where to get the file.
        FileFormatError: the file is not the dataset's format.
    """
    searched = []
    for folder, origin in search_dirs("shipsnet", path):
        if folder is None:
            searched.append(f"{origin} (not set)")
            continue
        candidate = folder / JSON_FILE
        searched.append(f"{candidate} ({origin})")
        if candidate.is_file():
            break
    else:
        raise DatasetNotFoundError("shipsnet: no shipsnet.json found. Looked in:\n  "
                                   + "\n  ".join(searched) + "\n" + WHERE)
    if candidate.stat().st_size > MAX_JSON_BYTES:
        raise FileFormatError(str(candidate), "", f"{candidate.stat().st_size:,} bytes; the "
                              f"dataset's file is about 300 MB")
    try:
        record = json.loads(candidate.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FileFormatError(str(candidate), "", f"not valid JSON: {error}") from None
    tiles = parse(record, str(candidate))
    scenes = candidate.parent / SCENES_DIR
    if scenes.is_dir():
        tiles.scenes = {p.stem: p for p in sorted(scenes.glob("*.png"))}
    return tiles


def load_scene(path: str | os.PathLike) -> np.ndarray:
    """A scene PNG as uint8 ``(height, width, 3)`` (an alpha channel is dropped)."""
    from PIL import Image

    with Image.open(path) as picture:
        return np.asarray(picture.convert("RGB"))
