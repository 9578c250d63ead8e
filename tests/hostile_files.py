"""Crafting hostile model and weights files: the helpers the hostile-file tests share."""

from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np

import deepgrad as dg


def small_model(width: int = 4, units: int = 3, name: str | None = None) -> dg.Sequential:
    return dg.Sequential([dg.layers.Dense(5, input_shape=(width,)), dg.layers.Dense(units)],
                         name=name)


def save_trained(path, width: int = 4) -> dg.Sequential:
    model = small_model(width)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, width), "float32"), np.ones((4, 3), "float32"), epochs=1, verbose=0)
    model.save(path)
    return model


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as handle:
        return {name: handle.read(name) for name in handle.namelist()}


def rezip(path, files: dict[str, bytes], compress: dict[str, int] | None = None) -> None:
    """Write ``files`` as a zip, each deflated unless ``compress`` says otherwise."""
    with zipfile.ZipFile(path, "w") as handle:
        for name, data in files.items():
            method = (compress or {}).get(name, zipfile.ZIP_DEFLATED)
            handle.writestr(zipfile.ZipInfo(name), data, compress_type=method)


def with_manifest(files: dict[str, bytes]) -> dict[str, bytes]:
    """The members with a manifest recomputed to match them: what a careful attacker does."""
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                         for name, data in files.items() if name != "manifest.json"}
    return {**files, "manifest.json": json.dumps(manifest).encode()}


def edit_config(path, change) -> None:
    """Apply ``change(config)`` to a model file's config.json and fix its manifest."""
    files = members(path)
    config = json.loads(files["config.json"])
    change(config)
    files["config.json"] = json.dumps(config).encode()
    rezip(path, with_manifest(files), {"weights.safetensors": zipfile.ZIP_STORED,
                                       "optimizer.safetensors": zipfile.ZIP_STORED})


def add_zeros_member(path, name: str, size: int, method: int = zipfile.ZIP_DEFLATED) -> None:
    """Append member ``name``: ``size`` zero bytes, deflated (about size / 1000 bytes on disk),
    written in pieces so that making a 256 MiB bomb needs no 256 MiB in memory."""
    chunk = bytes(1 << 20)
    info = zipfile.ZipInfo(name)
    info.compress_type = method
    info._compresslevel = 1  # fastest: zeros compress about 1000:1 at any level
    with zipfile.ZipFile(path, "a") as handle:
        with handle.open(info, "w", force_zip64=size >= 1 << 31) as out:
            left = size
            while left:
                out.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))
