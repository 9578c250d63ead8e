"""File formats, the bottom tier of saving: bytes in, arrays and dicts out.

Nothing here knows about layers or models (no deepgrad imports above :mod:`deepgrad.tensor`);
the model-file tier, :mod:`deepgrad.saving`, builds on these modules. Each kind of untrusted
input is read in one place, so checks on it live in one place too:

- :mod:`~deepgrad.formats.archive`: the zip container; every zip is opened by
  :func:`~deepgrad.formats.archive.read_zip` and every file read by
  :func:`~deepgrad.formats.archive.read_file`.
- :mod:`~deepgrad.formats.jsonio`: every JSON document read from a file goes through
  :func:`~deepgrad.formats.jsonio.loads`.
- :mod:`~deepgrad.formats.safetensors_io`: tensors (``.safetensors``).
- :mod:`~deepgrad.formats.h5_weights`: Keras 3's ``.weights.h5`` (HDF5, through h5py).
- :mod:`~deepgrad.formats.atomic`: every file is written by
  :func:`~deepgrad.formats.atomic.write_atomic`.

>>> ".deepgrad" in MODEL_SUFFIXES, ".weights.h5" in WEIGHTS_SUFFIXES
(True, True)
"""

from __future__ import annotations

__all__ = ["MODEL_SUFFIXES", "WEIGHTS_SUFFIXES"]

# What a whole-model file's name ends with (".keras" as Keras users write it), and a
# weights-only file's.
MODEL_SUFFIXES: tuple[str, ...] = (".deepgrad", ".keras")
WEIGHTS_SUFFIXES: tuple[str, ...] = (".weights.safetensors", ".weights.h5")
