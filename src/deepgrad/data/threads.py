"""Background work: ``prefetch`` (a producer thread) and parallel ``map`` (a thread pool).

Both shut down cleanly when their iterator is exhausted, raises, or is abandoned: the
consuming generator's ``finally`` stops the workers and joins them, and CPython runs it
as soon as the last reference to the iterator goes (``break`` out of a ``for`` loop).

>>> from deepgrad.data.sources import RangeNode
>>> [int(v) for v in PrefetchNode(RangeNode(0, 3, 1, "int64"), 2).iterate()]
[0, 1, 2]
"""

from __future__ import annotations

import collections
import contextvars
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from deepgrad.data.constants import AUTOTUNE
from deepgrad.data.pipeline import ForwardingNode, Node, close_iterator

# AUTOTUNE picks fixed sizes: NumPy releases the GIL in its kernels, so a few threads
# help; more only add switching on a small machine.
_AUTOTUNE_BUFFER = 2
_POLL_SECONDS = 0.05
_CHUNK_SECONDS = 1e-3
_MAX_CHUNK = 256


def autotune_workers(num_parallel_calls: int) -> int:
    """The thread count for ``map(num_parallel_calls=...)``."""
    if num_parallel_calls == AUTOTUNE:
        return max(1, min(os.cpu_count() or 1, 8))
    return num_parallel_calls


def _run_chunk(call: Callable[[Any], Any], elements: list) -> tuple[list, float, Any]:
    """Map a chunk; return the results, the seconds per element, and an error that stopped it."""
    start = time.perf_counter()
    results: list = []
    try:
        for element in elements:
            results.append(call(element))
    except Exception as error:  # re-raised by the consumer, after the results before it
        return results, 0.0, error
    return results, (time.perf_counter() - start) / len(elements), None


def parallel_map(iterator: Iterator, call: Callable[[Any], Any], workers: int) -> Iterator:
    """Yield ``call(element)`` for each element, computed by ``workers`` threads, in order.

    Work goes out in chunks sized from the measured cost per element (about a millisecond
    of work each), so cheap functions are not swamped by one future per element.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deepgrad-map")
    pending: collections.deque = collections.deque()
    chunk = 1
    try:
        while True:
            elements = list(itertools.islice(iterator, chunk))
            if elements:
                pending.append(pool.submit(_run_chunk, call, elements))
            if pending and (not elements or len(pending) >= 2 * workers):
                results, seconds, error = pending.popleft().result()
                yield from results
                if error is not None:
                    raise error
                if seconds:
                    chunk = max(1, min(_MAX_CHUNK, int(_CHUNK_SECONDS / seconds)))
            elif not elements:
                return
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        close_iterator(iterator)


_ITEM, _END, _ERROR = 0, 1, 2


class PrefetchNode(ForwardingNode):
    """Produce up to ``buffer_size`` elements ahead in a background thread (``prefetch``)."""

    def __init__(self, input_node: Node, buffer_size: int) -> None:
        self.input = input_node
        self.buffer_size = _AUTOTUNE_BUFFER if buffer_size == AUTOTUNE else buffer_size

    def iterate(self) -> Iterator:
        if self.buffer_size == 0:
            yield from self.input.iterate()
            return
        buffer: queue.Queue = queue.Queue(maxsize=self.buffer_size)
        stop = threading.Event()

        def put(item: tuple) -> bool:
            while not stop.is_set():
                try:
                    buffer.put(item, timeout=_POLL_SECONDS)
                    return True
                except queue.Full:
                    pass
            return False

        def produce() -> None:
            upstream = None
            try:
                upstream = self.input.iterate()
                for element in upstream:
                    if not put((_ITEM, element)):
                        return
                put((_END, None))
            except BaseException as error:  # handed to the consumer, re-raised there
                put((_ERROR, error))
            finally:
                close_iterator(upstream)

        # The producer sees this thread's context: fit's epoch (data.pipeline.epoch_scope).
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(produce,), name="deepgrad-prefetch",
                                  daemon=True)
        thread.start()
        try:
            while True:
                kind, value = buffer.get()
                if kind == _END:
                    return
                if kind == _ERROR:
                    raise value
                yield value
        finally:
            stop.set()
            while thread.is_alive():
                try:
                    buffer.get_nowait()  # unblock a producer waiting on a full buffer
                except queue.Empty:
                    thread.join(_POLL_SECONDS)

    def cardinality(self) -> int:
        return self.input.cardinality()
