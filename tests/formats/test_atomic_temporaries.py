"""A save killed mid-write leaves a temp file; the next save of that target removes it
(issue 13, item 10), and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import deepgrad as dg

SRC = Path(__file__).resolve().parents[2] / "src"

_SAVE = textwrap.dedent("""
    import os, sys, time
    import deepgrad as dg
    if sys.argv[2] == "stall":
        def stall(fd):  # the temp file is written: hold here until killed
            print("writing", flush=True)
            time.sleep(120)
        os.fsync = stall
    model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,))])
    model.save(sys.argv[1])
    print("saved", flush=True)
""")


def _save_in_child(path, mode: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, "-c", _SAVE, str(path), mode], env=env,
                            stdout=subprocess.PIPE, text=True)


def _temporaries(folder, target="m.deepgrad"):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{target}."))


def test_kill_9_leaves_a_temp_file_that_the_next_save_removes(tmp_path):
    """Was: 62 of 120 killed saves left a .NAME.XXXX.tmp that nothing ever removed."""
    path = tmp_path / "m.deepgrad"
    child = _save_in_child(path, "stall")
    assert child.stdout.readline().strip() == "writing"
    child.kill()
    child.communicate()
    left = _temporaries(tmp_path)
    assert len(left) == 1 and left[0].endswith(".tmp") and not path.exists()
    again = _save_in_child(path, "plain")  # a later process: the temp is older than it
    assert again.communicate(timeout=120)[0].strip() == "saved"
    assert _temporaries(tmp_path) == [] and path.exists()
    dg.models.load_model(path)


def test_only_stale_files_of_the_same_target_are_removed(tmp_path):
    path = tmp_path / "m.deepgrad"
    keep = [
        ".m.deepgrad.fresh123.tmp",  # written after this process started: maybe in use
        ".m.deepgrad.toolong123.tmp",  # not mkstemp's 8 characters
        ".other.deepgrad.abcd1234.tmp",  # another target
        "m.deepgrad.abcd1234.tmp",  # not hidden
    ]
    for name in keep:
        (tmp_path / name).write_bytes(b"x")
    stale = tmp_path / ".m.deepgrad.abcd1234.tmp"
    stale.write_bytes(b"half a model")
    os.utime(stale, (1, 1))
    for name in keep[1:]:
        os.utime(tmp_path / name, (1, 1))
    folder_link = tmp_path / ".m.deepgrad.link1234.tmp"
    folder_link.symlink_to(tmp_path / "m.deepgrad.abcd1234.tmp")
    os.utime(folder_link, (1, 1), follow_symlinks=False)
    dg.Sequential([dg.layers.Dense(2, input_shape=(3,))]).save(path)
    assert not stale.exists()
    assert all((tmp_path / name).exists() for name in keep) and folder_link.is_symlink()


def test_failed_producer_leaves_nothing(tmp_path):
    from deepgrad.formats.atomic import write_atomic

    def broken():
        raise RuntimeError("no bytes")

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "x.bin", broken, who="test")
    assert list(tmp_path.iterdir()) == []


def test_a_save_in_progress_is_left_alone_even_when_older(tmp_path, monkeypatch):
    """The writer's lock protects its temp file, whatever the clocks say."""
    from deepgrad.formats import atomic

    path = tmp_path / "m.deepgrad"
    child = _save_in_child(path, "stall")
    try:
        assert child.stdout.readline().strip() == "writing"
        monkeypatch.setattr(atomic, "_IMPORTED", float("inf"))  # every file counts as old
        assert atomic.remove_stale_temporaries(str(path)) == []
        assert len(_temporaries(tmp_path)) == 1
    finally:
        child.kill()
        child.communicate()
    assert len(atomic.remove_stale_temporaries(str(path))) == 1  # the writer died: stale now
