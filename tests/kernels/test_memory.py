"""The memory policy: glibc keeps freed memory for the next step, decided once, opt-out."""

from __future__ import annotations

import platform

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.kernels import memory, parallel


class _FakeLibc:
    def __init__(self) -> None:
        self.calls = []

        def mallopt(param, value):
            self.calls.append((param, value))
            return 1

        self.mallopt = mallopt


@pytest.fixture
def fresh(monkeypatch):
    """The policy undecided, with a stand-in C library that records mallopt's calls."""
    libc = _FakeLibc()
    monkeypatch.setattr(memory, "_decided", None)
    monkeypatch.setattr(memory.ctypes, "CDLL", lambda name: libc)
    monkeypatch.setattr(memory.platform, "system", lambda: "Linux")
    monkeypatch.setattr(memory.platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.delenv(memory.ENV_VAR, raising=False)
    return libc


def test_sets_both_thresholds_once(fresh):
    assert memory.keep_freed_memory() is True
    assert memory.keep_freed_memory() is True
    assert fresh.calls == [(-3, memory.MMAP_THRESHOLD), (-1, 2**31 - 1)]


@pytest.mark.parametrize("value", ["0", "false", "off", " No "])
def test_environment_variable_opts_out(fresh, monkeypatch, value):
    monkeypatch.setenv(memory.ENV_VAR, value)
    assert memory.keep_freed_memory() is False
    assert fresh.calls == []


def test_other_c_libraries_are_left_alone(fresh, monkeypatch):
    monkeypatch.setattr(memory.platform, "libc_ver", lambda: ("", ""))
    assert memory.keep_freed_memory() is False
    assert fresh.calls == []


def test_a_refused_setting_reports_false(fresh):
    fresh.mallopt = lambda param, value: 0
    assert memory.keep_freed_memory() is False


def test_a_model_loop_decides_it(fresh):
    model = dg.Sequential([dg.layers.Input((3,)), dg.layers.Dense(2)])
    model.predict_on_batch(np.ones((1, 3), np.float32))
    assert memory._decided is True and len(fresh.calls) == 2
    with parallel.own_threads():
        pass
    assert len(fresh.calls) == 2


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the policy applies to glibc only")
def test_real_glibc_accepts_the_settings(monkeypatch):
    monkeypatch.setattr(memory, "_decided", None)
    monkeypatch.delenv(memory.ENV_VAR, raising=False)
    assert memory.keep_freed_memory() is True
