"""``shuffle``: tf.data's buffer algorithm, element by element or vectorised over indices.

The buffer holds ``buffer_size`` elements. While input remains, each output is a
uniformly chosen buffer slot, which the next input element then refills; when the input
ends, the buffer is emitted in a random order. A buffer at least as large as the data
therefore gives a uniform permutation, and a small buffer only mixes locally, exactly as
in tf.data.

Both implementations draw the same random numbers in the same order (slot choices in
fixed chunks, then one permutation for the drain), so a pipeline gives the same order
whether or not it takes the vectorised path.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> order = np.concatenate(list(shuffle_indices(iter([np.arange(10)]), 4, rng)))
>>> sorted(order.tolist()) == list(range(10))
True
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from deepgrad.data.pipeline import (
    ForwardingNode,
    Node,
    Plan,
    close_iterator,
    pass_key,
    plan_elements,
)
from deepgrad.random import make_generator

_DRAW_CHUNK = 1024


class SlotDraws:
    """Uniform slot choices in ``[0, buffer_size)``, drawn from ``rng`` in fixed chunks so that
    taking them one at a time or many at a time consumes the generator identically."""

    def __init__(self, rng: np.random.Generator, buffer_size: int) -> None:
        self.rng = rng
        self.high = buffer_size
        self.chunk = np.empty(0, dtype=np.intp)
        self.values: list[int] | None = None
        self.pos = 0

    def _refill(self) -> None:
        self.chunk = self.rng.integers(0, self.high, size=_DRAW_CHUNK).astype(np.intp)
        self.values = None
        self.pos = 0

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` draws as an array."""
        parts = []
        while count:
            if self.pos == len(self.chunk):
                self._refill()
            n = min(count, len(self.chunk) - self.pos)
            parts.append(self.chunk[self.pos : self.pos + n])
            self.pos += n
            count -= n
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)

    def one(self) -> int:
        """The next draw as an int."""
        if self.pos == len(self.chunk):
            self._refill()
        if self.values is None:
            self.values = self.chunk.tolist()
        value = self.values[self.pos]
        self.pos += 1
        return value


def shuffle_block(buffer: np.ndarray, incoming: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Run ``len(incoming)`` buffer steps at once; return the outputs and update ``buffer``.

    Step ``t`` outputs the occupant of ``slots[t]`` and puts ``incoming[t]`` there. That
    occupant is the value put in the same slot at the latest earlier step of this block,
    or the buffer's value from before the block: a stable sort by slot lines each slot's
    steps up in time order, so each step's occupant is its predecessor's incoming value.
    """
    order = np.argsort(slots, kind="stable")
    sorted_slots = slots[order]
    repeat = np.empty(len(slots), dtype=bool)
    repeat[0] = False
    np.equal(sorted_slots[1:], sorted_slots[:-1], out=repeat[1:])
    previous = np.empty_like(order)
    previous[1:] = order[:-1]
    previous[0] = 0
    occupants = np.where(repeat, incoming[previous], buffer[sorted_slots])
    out = np.empty_like(incoming)
    out[order] = occupants
    last = np.empty(len(slots), dtype=bool)
    last[-1] = True
    np.not_equal(sorted_slots[1:], sorted_slots[:-1], out=last[:-1])
    buffer[sorted_slots[last]] = incoming[order[last]]
    return out


def shuffle_indices(
    chunks: Iterator[np.ndarray], buffer_size: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Shuffle an index stream with a buffer, yielding index arrays."""
    chunks = iter(chunks)
    draws = SlotDraws(rng, buffer_size)
    try:
        parts, have, rest = [], 0, None
        for chunk in chunks:
            need = buffer_size - have
            parts.append(chunk[:need])
            have += min(need, len(chunk))
            if have == buffer_size:
                rest = chunk[need:]
                break
        buffer = np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)
        if have == buffer_size:
            for chunk in itertools.chain([rest], chunks):
                if len(chunk):
                    yield shuffle_block(buffer, chunk, draws.take(len(chunk)))
        if len(buffer):
            yield buffer[rng.permutation(len(buffer))]
    finally:
        close_iterator(chunks)


def shuffle_elements(iterator: Iterator, buffer_size: int, rng: np.random.Generator) -> Iterator:
    """Shuffle any element stream with a buffer (the path when there is no index plan).

    It reads the next element before emitting one, since what it emits depends on
    whether the input has ended.
    """
    draws = SlotDraws(rng, buffer_size)
    buffer: list = []
    try:
        for element in iterator:
            if len(buffer) < buffer_size:
                buffer.append(element)
                continue
            slot = draws.one()
            out = buffer[slot]
            buffer[slot] = element
            yield out
        for index in rng.permutation(len(buffer)).tolist():
            yield buffer[index]
    finally:
        close_iterator(iterator)


class ShuffleNode(ForwardingNode):
    """The input shuffled through a buffer of ``buffer_size`` (``shuffle``).

    Randomness: a base seed is fixed when the dataset is built (``seed``, or a draw from
    deepgrad's global generator, so ``set_random_seed`` makes runs reproducible). Pass
    ``k`` uses ``default_rng([base_seed, k])``, or pass 0 every time when
    ``reshuffle_each_iteration`` is False. Within ``fit``, a pass is keyed by the epoch
    instead (``[base_seed, epoch, pass within the epoch]``, see
    :class:`~deepgrad.data.pipeline.epoch_scope`), so that a run resumed at
    ``initial_epoch`` shuffles as the uninterrupted one did.
    """

    def __init__(
        self, input_node: Node, buffer_size: int, seed: int | None, reshuffle: bool
    ) -> None:
        self.input = input_node
        self.buffer_size = buffer_size
        self.base_seed = int(make_generator(seed).integers(2**63 - 1)) if seed is None else seed
        self.reshuffle = reshuffle
        self.passes = itertools.count()

    def _pass_generator(self) -> np.random.Generator:
        key = pass_key(self, self.passes) if self.reshuffle else (0,)
        return np.random.default_rng([self.base_seed, *key])

    def plan(self) -> Plan | None:
        plan = self.input.plan()
        if plan is None:
            return None
        rng = self._pass_generator()
        return Plan(plan.columns, shuffle_indices(plan.chunks, self.buffer_size, rng))

    def iterate(self) -> Iterator:
        plan = self.plan()
        if plan is not None:
            yield from plan_elements(plan)
            return
        rng = self._pass_generator()
        yield from shuffle_elements(self.input.iterate(), self.buffer_size, rng)

    def cardinality(self) -> int:
        return self.input.cardinality()
