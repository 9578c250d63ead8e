"""The side table of notes kept beside tensors (ops/notes.py)."""

from __future__ import annotations

import gc

import numpy as np

from deepgrad.ops.notes import Notes
from deepgrad.tensor import Tensor


def test_set_get_replace_and_discard():
    notes, x, y = Notes(), Tensor([1.0]), Tensor([1.0])
    notes.set(x, 1)
    notes.set(x, 2)
    assert notes.get(x) == 2 and notes.get(y) is None and len(notes) == 1
    notes.discard(y)  # nothing noted: nothing happens
    notes.discard(x)
    assert notes.get(x) is None and len(notes) == 0


def test_notes_leave_with_their_tensors_even_in_cycles():
    notes = Notes()
    kept = [Tensor(np.ones(2)) for _ in range(3)]
    for t in kept:
        notes.set(t, "kept")
    for _ in range(10):
        cyclic = Tensor(np.ones(2))
        cyclic.name = [cyclic]  # a reference cycle: freed by the collector, not refcounting
        notes.set(cyclic, "cyclic")
    del cyclic
    gc.collect()
    assert len(notes) == 3 and all(notes.get(t) == "kept" for t in kept)


def test_a_new_tensor_at_a_dead_ones_address_has_no_note():
    notes = Notes()
    for _ in range(50):
        notes.set(Tensor(np.ones(3)), "old")  # dies at once; its address is soon reused
        assert notes.get(Tensor(np.ones(3))) is None
    assert len(notes) == 0
