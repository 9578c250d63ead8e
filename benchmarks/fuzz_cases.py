"""Seed files and their mutations for ``benchmarks/fuzz_loaders.py``.

Each loader has seed files written by deepgrad (or laid out as Keras writes them) and a
generator of cases: a seed changed the way a damaged disk, a careless tool or an attacker
changes it. Raw mutations flip, set, cut, insert, delete and copy bytes; structured ones
rewrite a part (a zip member, the manifest, ``config.json``, a safetensors header, HDF5
objects, an IDX header) with hostile values and, like a careful attacker, re-sign what the
format checks, so that the loader's deeper checks are reached too. A case is a pure
function of ``(seed, loader, index)``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import deepgrad as dg
from deepgrad.datasets._files import RemoteFile, read_verified
from deepgrad.datasets.idx import parse_idx, read_idx, write_idx
from deepgrad.formats import safetensors_io

LOADERS = ("deepgrad", "safetensors", "h5", "keras", "dataset", "idx")
# Values a hostile file puts where numbers, strings or structures belong.
HOSTILE = [0, -1, 1, 3, 2**31, 2**32 - 1, 2**63, 2**64, 10**30, -(10**30), 50_000, 1.5,
           1e308, -0.0, "", "x", "a" * 2000, None, True, [], {}, [0] * 1000, [-1, 2**40],
           {"class_name": "Dense", "config": {"units": 2**40}}, {"a": {"b": {"c": []}}},
           "../../etc/passwd", "\udcff".encode("utf-8", "surrogatepass").decode("latin-1")]
KERAS_INNER = "model.weights.h5"


@dataclass
class Case:
    """One fuzzed file: where it is, how it was made, whether its maker re-signed it."""

    path: Path
    how: str
    resigned: bool = False


# -- seeds ------------------------------------------------------------------------------
def _models() -> list[dg.Model]:
    dg.utils.set_random_seed(0)
    dense = dg.Sequential([dg.layers.Dense(6, activation="relu", input_shape=(4,)),
                           dg.layers.Dropout(0.2), dg.layers.Dense(3)], name="dense_net")
    inputs = dg.Input((6, 6, 1))
    x = dg.layers.Conv2D(2, 3, activation="relu")(inputs)
    x = dg.layers.BatchNormalization()(x)
    x = dg.layers.Flatten()(x)
    conv = dg.Model(inputs, dg.layers.Dense(2)(x), name="conv_net")
    return [dense, conv]


def _train(model) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, *model.inputs[0].shape[1:])).astype("float32")
    y = rng.normal(size=(8, model.outputs[0].shape[-1])).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)


class Seeds:
    """The seed files of one loader, written into ``folder``, and what loading must give."""

    def __init__(self, loader: str, folder: Path) -> None:
        self.loader, self.folder = loader, folder
        self.models = _models()
        self.blobs: list[bytes] = []
        self.paths: list[Path] = []
        self.expected: list = []
        if loader in ("deepgrad", "safetensors", "h5", "keras"):
            for i, model in enumerate(self.models):
                _train(model)
                path = folder / f"seed{i}.{_suffix(loader)}"
                if loader == "deepgrad":
                    model.save(path)
                elif loader == "keras":
                    _keras_file(model, path)
                else:
                    model.save_weights(path)
                self.blobs.append(path.read_bytes())
                self.paths.append(path)
                self.expected.append([w.copy() for w in model.get_weights()])
            self.targets = _models()  # the same architectures, to load weights into
            if loader == "deepgrad":
                self.expected = [fingerprint(dg.models.load_model(folder / f"seed{i}.deepgrad"))
                                 for i in range(len(self.models))]
        else:
            rng = np.random.default_rng(0)
            arrays = [rng.integers(0, 256, (5, 4, 3), dtype=np.uint8),
                      np.array([3, 1, 4, 1, 5], np.uint8)]
            for i, array in enumerate(arrays):
                path = folder / f"seed{i}-idx{array.ndim}-ubyte.gz"
                write_idx(path, array)
                self.blobs.append(path.read_bytes())
                self.paths.append(path)
                self.expected.append(array)
            self.remotes = [RemoteFile(f"seed{i}.gz", hashlib.sha256(blob).hexdigest(), (),
                                       hashlib.sha256(gzip.decompress(blob)).hexdigest(),
                                       max_size=len(gzip.decompress(blob)) + 4096)
                            for i, blob in enumerate(self.blobs)]
        self.bombs = _bombs(self) if loader in ("deepgrad", "keras") else []


def _suffix(loader: str) -> str:
    return {"deepgrad": "deepgrad", "safetensors": "weights.safetensors", "h5": "weights.h5",
            "keras": "keras"}[loader]


def _keras_file(model, path: Path) -> None:
    """A .keras zip as Keras 3 lays it out; its weights file, like Keras's, has no checksum."""
    import h5py

    inner = path.parent / f"{path.stem}.inner.weights.h5"
    model.save_weights(inner)
    with h5py.File(inner, "a") as handle:
        del handle.attrs["deepgrad_weights_sha256"]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps({"class_name": "Sequential"}),
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(KERAS_INNER, inner.read_bytes())
    inner.unlink()


def fingerprint(model) -> tuple:
    """What a loaded model file must reproduce: weights, config, optimizer state, epoch."""
    from deepgrad.saving.serialization import serialize_model

    state = model.optimizer.get_state() if getattr(model, "optimizer", None) else {}
    return ([w.copy() for w in model.get_weights()],
            json.dumps(serialize_model(model), sort_keys=True),
            {k: np.asarray(v).copy() for k, v in state.items()}, getattr(model, "_epoch", None))


def same(a, b) -> bool:
    """Exact equality of nested weights, configs and states (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def _zip_members(blob: bytes) -> list[tuple[str, bytes, int]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return [(i.filename, archive.read(i), i.compress_type) for i in archive.infolist()]


def _write_zip(members: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info._compresslevel = 1
            archive.writestr(info, data)
    return buffer.getvalue()


def _resign(members: list[tuple[str, bytes, int]]) -> list[tuple[str, bytes, int]]:
    """Recompute a deepgrad manifest so that it vouches for the members as they are."""
    out = [m for m in members if m[0] != "manifest.json"]
    manifest = {"format": "deepgrad.model", "format_version": 1, "deepgrad_version": "0.1.0",
                "files": {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                          for name, data, _ in out}}
    return out + [("manifest.json", json.dumps(manifest).encode(), zipfile.ZIP_DEFLATED)]


def _bombs(seeds: Seeds) -> list[tuple[str, bytes]]:
    """Zip bombs built once per worker: members expanding to 64 MiB from about 64 KB."""
    zeros = bytes(64 << 20)
    out = []
    for i, blob in enumerate(seeds.blobs):
        members = _zip_members(blob)
        extra = members + [("extra.bin", zeros, zipfile.ZIP_DEFLATED)]
        out.append((f"seed{i}: unlisted 64 MiB member", _write_zip(extra)))
        target = "config.json" if seeds.loader == "deepgrad" else KERAS_INNER
        swapped = [(n, zeros if n == target else d, zipfile.ZIP_DEFLATED if n == target else m)
                   for n, d, m in members]
        if seeds.loader == "deepgrad":
            out.append((f"seed{i}: 64 MiB {target}, re-signed", _write_zip(_resign(swapped))))
            swapped = [(n, zeros if n == "manifest.json" else d, m) for n, d, m in members]
            out.append((f"seed{i}: 64 MiB manifest", _write_zip(swapped)))
        else:
            out.append((f"seed{i}: 64 MiB {target}", _write_zip(swapped)))
    return out


# -- raw mutations ------------------------------------------------------------------------
_INTERESTING_BYTES = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x20, 0x22, 0x7B, 0x5B]
_INTERESTING_INTS = [0, 1, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**63, 2**64 - 1, 2**40]


def raw_mutation(blob: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """One to three byte-level changes anywhere in ``blob``."""
    data = bytearray(blob)
    done = []
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(9))
        at = int(rng.integers(0, max(len(data), 1)))
        if kind == 0:
            data[at:at + 1] = bytes([data[at] ^ (1 << int(rng.integers(8)))]) if data else b""
            done.append(f"bit flip @{at}")
        elif kind == 1 and data:
            data[at] = int(rng.choice(_INTERESTING_BYTES))
            done.append(f"byte set @{at}")
        elif kind == 2:
            del data[at:]
            done.append(f"truncate @{at}")
        elif kind == 3:
            size = int(rng.integers(1, 64))
            data[at:at] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
            done.append(f"insert {size} @{at}")
        elif kind == 4:
            size = int(rng.integers(1, 64))
            del data[at:at + size]
            done.append(f"delete {size} @{at}")
        elif kind == 5 and len(data) > 8:
            source, size = int(rng.integers(len(data))), int(rng.integers(1, 32))
            data[at:at + size] = data[source:source + size]
            done.append(f"copy {size} from {source} @{at}")
        elif kind == 6 and len(data) > at + 8:
            width = int(rng.choice([2, 4, 8]))
            value = int(rng.choice(_INTERESTING_INTS)) % (1 << (8 * width))
            data[at:at + width] = value.to_bytes(width, "little")
            done.append(f"int{8 * width} {value} @{at}")
        elif kind == 7:
            size = int(rng.integers(1, 4096))
            data.extend(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
            done.append(f"append {size}")
        else:
            data[at:at + 1] = bytes([int(rng.integers(256))]) if data else b""
            done.append(f"random byte @{at}")
    return bytes(data), ", ".join(done)


# -- structured mutations -------------------------------------------------------------------
def _paths(node, prefix=()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else ()
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def json_mutation(document, rng: np.random.Generator):
    """Replace, delete or deepen one value of a parsed JSON document; return it and how."""
    paths = [p for p in _paths(document) if p]
    if not paths:
        return rng.choice(np.array(HOSTILE, dtype=object)), "whole document replaced"
    path = paths[int(rng.integers(len(paths)))]
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    kind = int(rng.integers(5))
    if kind == 0 and isinstance(parent, dict):
        del parent[path[-1]]
        return document, f"deleted {path}"
    if kind == 1:
        depth = int(rng.choice([50, 101, 3000]))
        parent[path[-1]] = f"__deep_{depth}__"  # written out by dumps (json's own recurses)
        return document, f"nested {depth} deep at {path}"
    if kind == 2:
        parent[path[-1]] = [0] * int(rng.choice([10, 10_000, 200_000]))
        return document, f"long list at {path}"
    value = HOSTILE[int(rng.integers(len(HOSTILE)))]
    parent[path[-1]] = value
    return document, f"{path} = {str(value)[:40]!r}"


def dumps(document) -> bytes:
    """``json.dumps``, writing the deep nesting json_mutation asked for."""
    text = json.dumps(document)
    while '"__deep_' in text:
        start = text.index('"__deep_')
        end = text.index('__"', start + 8) + 3
        depth = int(text[start + 8:end - 3])
        text = text[:start] + "[" * depth + "]" * depth + text[end:]
    return text.encode()


def _safetensors_mutation(blob: bytes, rng, resign: bool) -> tuple[bytes, str]:
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    data = blob[8 + size:]
    header, how = json_mutation(header, rng)
    if resign and isinstance(header, dict) and isinstance(header.get("__metadata__"), dict):
        header["__metadata__"].pop(safetensors_io.CHECKSUM_KEY, None)
        how += ", checksum removed"
    text = dumps(header)
    return struct.pack("<Q", len(text)) + text + data, how


def zip_mutation(seeds: Seeds, blob: bytes, rng) -> tuple[bytes, str, bool]:
    """Change a zip's members (content, names, methods, the manifest), maybe re-signed."""
    members = _zip_members(blob)
    kind = int(rng.integers(7))
    index = int(rng.integers(len(members)))
    name, data, method = members[index]
    resign = seeds.loader == "deepgrad" and bool(rng.integers(2))
    if kind == 0:
        members[index] = (name, raw_mutation(data, rng)[0], method)
        how = f"raw change in {name}"
    elif kind == 1 and name.endswith(".json"):
        document, how = json_mutation(json.loads(data), rng)
        members[index] = (name, dumps(document), method)
        how = f"{name}: {how}"
    elif kind == 2 and name.endswith(".safetensors"):
        new, how = _safetensors_mutation(data, rng, resign)
        members[index] = (name, new, method)
        how = f"{name}: {how}"
    elif kind == 3:
        members.append((str(rng.choice(["x.bin", name, "../evil", "a" * 300, "é.json"])),
                        rng.bytes(int(rng.integers(0, 500))), zipfile.ZIP_DEFLATED))
        how = f"extra member {members[-1][0][:20]!r}"
    elif kind == 4:
        del members[index]
        how = f"removed {name}"
    elif kind == 5:
        members[index] = (name, data, zipfile.ZIP_STORED if method else zipfile.ZIP_DEFLATED)
        how = f"{name} recompressed"
        resign = False
    else:
        new = str(rng.choice(["config.json", "weights.safetensors", "manifest.json", name + "x"]))
        members[index] = (new, data, method)
        how = f"renamed {name} to {new}"
    if resign:
        members = _resign(members)
        how += ", re-signed"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: wanted here
        return _write_zip(members), how, resign


def h5_mutation(seeds: Seeds, index: int, folder: Path, rng) -> tuple[bytes, str, bool]:
    """Rewrite the seed's HDF5 file with HDF5 features a weights file should not have."""
    import h5py

    source = io.BytesIO(seeds.blobs[index])
    target = io.BytesIO()
    kinds = ["external", "dev_zero", "virtual", "soft", "ext_link", "unwritten", "chunks",
             "gzip", "strings", "compound", "vlen", "scalar", "null", "bigendian", "shape",
             "dtype", "attr", "bf16", "legacy", "deep", "cycle", "many", "enum", "float16"]
    kind = str(rng.choice(kinds))
    secret = folder / "secret.txt"
    secret.write_bytes(b"secret" * 100)
    with h5py.File(source, "r") as old, h5py.File(target, "w") as new:
        keys = []
        old.visititems(lambda k, v: keys.append(k) if isinstance(v, h5py.Dataset) else None)
        victim = keys[int(rng.integers(len(keys)))]
        for key in keys:
            value = old[key][()]
            if key != victim:
                new.create_dataset(key, data=value)
                continue
            shape = value.shape
            if kind == "external":
                new.create_dataset(key, shape=shape, dtype=value.dtype,
                                   external=[(str(secret), 0, max(value.nbytes, 1))])
            elif kind == "dev_zero":
                new.create_dataset(key, shape=(2**28,), dtype="f4",
                                   external=[("/dev/zero", 0, 2**30)])
            elif kind == "virtual":
                other = folder / "other.h5"
                with h5py.File(other, "w") as handle:
                    handle.create_dataset("d", data=value)
                layout = h5py.VirtualLayout(shape=shape, dtype=value.dtype)
                layout[...] = h5py.VirtualSource(str(other), "d", shape=shape)
                new.create_virtual_dataset(key, layout)
            elif kind in ("soft", "ext_link"):
                new.create_dataset("elsewhere", data=value)
                new[key] = (h5py.SoftLink("/elsewhere") if kind == "soft"
                            else h5py.ExternalLink(str(folder / "other.h5"), "/d"))
            elif kind == "unwritten":
                new.create_dataset(key, shape=(2**15, 2**14), dtype="f4", chunks=(512, 512))
            elif kind == "chunks":
                new.create_dataset(key, shape=shape or (1,), maxshape=(None,) * max(len(shape), 1),
                                   dtype="f4", chunks=(2**12,) * max(len(shape), 1))
            elif kind == "gzip":
                new.create_dataset(key, data=value, compression="gzip", chunks=True,
                                   fillvalue=7)
            elif kind == "strings":
                new.create_dataset(key, data=np.full(shape, b"abc"))
            elif kind == "compound":
                new.create_dataset(key, shape=shape, dtype=[("a", "f4"), ("b", "i2")])
            elif kind == "vlen":
                new.create_dataset(key, shape=shape, dtype=h5py.vlen_dtype("f4"))
            elif kind == "scalar":
                new.create_dataset(key, data=np.float32(1.5))
            elif kind == "null":
                new.create_dataset(key, shape=None, dtype="f4")
            elif kind == "bigendian":
                new.create_dataset(key, data=value.astype(value.dtype.newbyteorder(">")))
            elif kind == "shape":
                new.create_dataset(key, data=np.resize(value, tuple(s + 1 for s in shape)))
            elif kind == "dtype":
                new.create_dataset(key, data=value.astype(str(rng.choice(["f8", "i4", "u1",
                                                                            "?"]))))
            elif kind == "attr":
                new.create_dataset(key, data=value)
                new.attrs["deepgrad_weights_sha256"] = rng.choice(
                    np.array(["0" * 64, "zz", 5, b"\xff" * 64], dtype=object))
            elif kind == "bf16":
                new.create_dataset(key, data=value).attrs["dtype"] = "bfloat16"
            elif kind == "legacy":
                new.create_dataset(key, data=value)
                new.attrs["layer_names"] = [b"dense"]
            elif kind == "deep":
                new.create_dataset(key, data=value)
                new.create_group("/".join(["g"] * 200))
            elif kind == "cycle":
                new.create_dataset(key, data=value)
                new["layers/loop"] = new["layers"]
            elif kind == "many":
                new.create_dataset(key, data=value)
                for i in range(2000):
                    new.create_group(f"layers/extra/vars/{i}")
            elif kind == "enum":
                new.create_dataset(key, shape=shape, dtype=h5py.enum_dtype({"a": 0, "b": 1}))
            else:
                new.create_dataset(key, data=value.astype("f2"))
        if kind not in ("attr", "legacy") and "deepgrad_weights_sha256" in old.attrs:
            new.attrs["deepgrad_weights_sha256"] = old.attrs["deepgrad_weights_sha256"]
    return target.getvalue(), f"h5 {kind} at {victim}", kind in ("bigendian", "float16",
                                                                  "gzip")


def idx_mutation(blob: bytes, rng) -> tuple[bytes, str]:
    """Rewrite a gzip'd IDX file's header or body, or build a bomb with its header."""
    content = bytearray(gzip.decompress(blob))
    kind = int(rng.integers(5))
    if kind == 0:
        at = 4 + 4 * int(rng.integers(max(content[3], 1)))
        content[at:at + 4] = int(rng.choice(_INTERESTING_INTS) % 2**32).to_bytes(4, "big")
        how = "dimension changed"
    elif kind == 1:
        content[2], content[3] = int(rng.integers(256)), int(rng.integers(256))
        how = "type or rank changed"
    elif kind == 2:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
        body = compressor.compress(bytes(content[:4 + 4 * content[3]]))
        body += b"".join(compressor.compress(bytes(1 << 20)) for _ in range(64))
        return body + compressor.flush(), "64 MiB of zeros after the header"
    elif kind == 3:
        return blob + gzip.compress(rng.bytes(int(rng.integers(1, 100)))), "second gzip member"
    else:
        content = bytearray(raw_mutation(bytes(content), rng)[0])
        how = "content changed"
    return gzip.compress(bytes(content), mtime=0), how


def make_case(seeds: Seeds, index: int, rng: np.random.Generator, folder: Path) -> Case:
    """The ``index``-th case of this loader: a mutated copy of a seed, written to disk."""
    which = int(rng.integers(len(seeds.blobs)))
    blob = seeds.blobs[which]
    loader = seeds.loader
    resigned = False
    choice = rng.random()
    if loader in ("deepgrad", "keras") and choice < 0.03 and seeds.bombs:
        how, blob = seeds.bombs[int(rng.integers(len(seeds.bombs)))]
    elif choice < 0.5:
        blob, how = raw_mutation(blob, rng)
    elif loader in ("deepgrad", "keras"):
        blob, how, resigned = zip_mutation(seeds, blob, rng)
    elif loader == "safetensors":
        resigned = bool(rng.integers(2))
        blob, how = _safetensors_mutation(blob, rng, resigned)
    elif loader == "h5":
        blob, how, resigned = h5_mutation(seeds, which, folder, rng)
    else:
        blob, how = idx_mutation(blob, rng)
    suffix = _suffix(loader) if loader not in ("dataset", "idx") else "gz"
    path = folder / f"case{index}.{suffix}"
    path.write_bytes(blob)
    return Case(path, f"seed{which}: {how}", resigned)


def load(seeds: Seeds, case: Case):
    """Load the case as a user would; return what must then equal the seed's values."""
    which = int(case.how[4])
    if seeds.loader == "deepgrad":
        return fingerprint(dg.models.load_model(case.path))
    if seeds.loader in ("safetensors", "h5", "keras"):
        target = seeds.targets[which]
        for variable in target.weights:
            variable.assign(np.zeros(variable.shape, variable.data.dtype))
        try:
            target.load_weights(case.path)
        except Exception:
            assert all(not np.any(w) for w in target.get_weights()), "a failed load changed it"
            raise
        return [w.copy() for w in target.get_weights()]
    if seeds.loader == "dataset":
        content = read_verified(case.path, seeds.remotes[which])
        return parse_idx(content, str(case.path))
    return read_idx(case.path)


def has_checksum(seeds: Seeds, case: Case) -> bool:
    """Whether the case's file still carries a checksum its loader checks."""
    if seeds.loader in ("deepgrad", "dataset"):
        return True
    if seeds.loader in ("keras", "idx"):
        return False
    blob = case.path.read_bytes()
    if seeds.loader == "safetensors":
        return safetensors_io.CHECKSUM_KEY.encode() in blob
    return b"deepgrad_weights_sha256" in blob


def expected(seeds: Seeds, case: Case):
    return seeds.expected[int(case.how[4])]


