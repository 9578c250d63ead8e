"""California Housing as Keras ships it: 20,640 census block groups, 8 features, a price.

The features are, in order, ``MedInc`` (median income), ``HouseAge``, ``AveRooms``,
``AveBedrms``, ``Population``, ``AveOccup``, ``Latitude`` and ``Longitude``; the target
is the median house value in dollars. ``version="small"`` keeps the file's first 600
samples, Keras's stand-in for the withdrawn Boston Housing.

``load_data`` reads Keras's own ``california_housing.npz`` (plain numeric arrays, read
with ``allow_pickle=False``), offline first (see :mod:`deepgrad.datasets._files`): a
folder or file you name, ``$DEEPGRAD_DATA/california_housing``,
``~/.cache/deepgrad/datasets/california_housing``, a system folder, then a download from
Keras's address, checked against Keras's SHA-256. (scikit-learn's
``fetch_california_housing`` is the same census data with the target in units of
$100,000 and in another order.)

>>> FEATURE_NAMES[0], len(FEATURE_NAMES)
('MedInc', 8)
"""

from __future__ import annotations

import os

from ._files import DatasetSpec, RemoteFile
from .boston_housing import ORIGIN, check_test_split, read_xy, shuffle_split

__all__ = ["load_data", "FEATURE_NAMES"]

FEATURE_NAMES = (
    "MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude",
    "Longitude",
)
SMALL_SIZE = 600

DATASET = DatasetSpec(
    name="california_housing",
    title="California Housing (Keras's california_housing.npz)",
    files=(
        RemoteFile(
            "california_housing.npz",
            "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f",
            (ORIGIN + "california_housing.npz",),
            max_size=4_000_000,  # 20640 x 9 values as published
        ),
    ),
    homepage=f"{ORIGIN} (Keras's copy of StatLib's "
    "https://www.dcc.fc.up.pt/~ltorgo/Regression/cal_housing.html)",
    layout_hint="The file as Keras publishes it: arrays `x` (20640, 8) and `y` (20640,).",
)


def load_data(
    version: str = "large",
    path: str | os.PathLike = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
    *,
    download: bool = True,
):
    """Load California Housing as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Args:
        version: ``"large"`` (all 20,640 samples) or ``"small"`` (the first 600).
        path: a folder holding ``california_housing.npz``, the file itself, or (Keras's
            form) a file name looked up in the usual folders.
        test_split: the fraction of the (shuffled) samples kept for testing, in [0, 1).
        seed: the seed of the shuffle (``np.random.RandomState``, as Keras).
        download: whether to download the file when no folder holds it (deepgrad only).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: arrays of the file's dtype, of shapes
        ``(16512, 8)``, ``(16512,)``, ``(4128, 8)`` and ``(4128,)`` for ``"large"`` with
        the defaults (``(480, 8)`` and ``(120, 8)`` rows for ``"small"``).

    Raises:
        ValueError: for another ``version``, ``test_split`` outside [0, 1), or a file
            without Keras's arrays.
        DatasetNotFoundError: (a ``FileNotFoundError``) no good copy and no download.

    >>> load_data(version="medium")
    Traceback (most recent call last):
    ...
    ValueError: Argument `version` must be one of 'small', 'large'. Received: version=medium
    """
    if version not in ("small", "large"):
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    test_split = check_test_split(test_split)
    x, y = read_xy(DATASET, path, download)
    if version == "small":
        x, y = x[:SMALL_SIZE], y[:SMALL_SIZE]
    return shuffle_split(x, y, test_split, seed)
