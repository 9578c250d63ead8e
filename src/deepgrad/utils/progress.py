"""Keras-style progress display on top of tqdm.

``verbose=1`` shows a live bar (``12/469 ━━━━━━━        0s 7ms/step - accuracy: 0.81 -
loss: 0.55``) refreshed at most ten times a second; ``verbose=2`` prints one line per
epoch; ``'auto'`` picks the bar on a terminal or in a notebook and one line per epoch
when output goes to a file or pipe, so logs never fill with carriage returns.

>>> resolve_verbose(0), resolve_verbose(2)
(0, 2)
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progbar", "resolve_verbose", "format_logs", "format_duration"]


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        return type(shell.get_ipython()).__name__ == "ZMQInteractiveShell"
    except Exception:  # pragma: no cover - IPython internals vary
        return False


def resolve_verbose(verbose) -> int:
    """Turn ``'auto'``, 0, 1 or 2 into 0, 1 or 2.

    Raises:
        ValueError: for any other value.
    """
    if verbose == "auto":
        stream = sys.stdout
        return 1 if (hasattr(stream, "isatty") and stream.isatty()) or _in_notebook() else 2
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return int(verbose)


def format_duration(seconds: float) -> str:
    """Keras's compact time: ``'3s'``, ``'1m 05s'``.

    >>> format_duration(65.2)
    '1m 05s'
    """
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m {int(seconds % 60):02d}s"
    return f"{int(seconds)}s"


def _per_step(seconds: float, unit: str) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def format_logs(logs: dict) -> str:
    """Format metrics as Keras does: `` - accuracy: 0.9123 - loss: 0.2500``.

    >>> format_logs({"loss": 0.25, "accuracy": 0.9})
    ' - accuracy: 0.9000 - loss: 0.2500'
    """
    parts = []
    for key in sorted(logs):
        value = logs[key]
        if isinstance(value, (int, float)):
            text = f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4e}"
            parts.append(f" - {key}: {text}")
    return "".join(parts)


class Progbar:
    """A progress display for one epoch (or one evaluate/predict pass).

    Args:
        target: number of steps, or None when unknown.
        verbose: 1 for a live bar, 2 for one line at the end, 0 for nothing.
        unit_name: the word after the time per step.

    >>> bar = Progbar(2, verbose=2, file=sys.stdout)
    >>> bar.update(1); bar.update(2, {"loss": 0.5}, finalize=True)  # doctest: +ELLIPSIS
    2/2 - 0s - ...s/step - loss: 0.5000
    """

    def __init__(self, target: int | None, verbose: int = 1, unit_name: str = "step", file=None):
        self.target = target
        self.verbose = verbose
        self.unit_name = unit_name
        self.file = file
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._bar = None
        self._drawn = 0

    def _open_bar(self):
        if _in_notebook():
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

        class KerasBar(tqdm):
            # tqdm puts ", " before {postfix}; a field of our own prints the status as is.
            status = ""

            @property
            def format_dict(self):
                return {**super().format_dict, "status": self.status}

        return KerasBar(
            total=self.target,
            file=self.file or sys.stdout,
            ascii=" ━",
            dynamic_ncols=False,
            bar_format="{n_fmt}/{total_fmt} {bar:20} {status}"
            if self.target
            else "{n_fmt} {status}",
            mininterval=0,
            leave=True,
            initial=0,
        )

    def _status(self, current: int, logs: dict | None) -> str:
        elapsed = time.perf_counter() - self._start
        per = _per_step(elapsed / max(current, 1), self.unit_name)
        if self.target and current < self.target:
            eta = format_duration(elapsed / max(current, 1) * (self.target - current))
        else:
            eta = format_duration(elapsed)
        return f"{eta} {per}{format_logs(logs or {})}"

    def update(self, current: int, logs: dict | None = None, finalize: bool = False) -> None:
        """Show progress at step ``current`` (1-based); ``finalize`` ends the line."""
        if self.verbose == 0:
            return
        if self.verbose == 2:
            if finalize:
                elapsed = time.perf_counter() - self._start
                total = self.target or current
                per = _per_step(elapsed / max(current, 1), self.unit_name)
                print(
                    f"{current}/{total} - {format_duration(elapsed)} - {per}"
                    f"{format_logs(logs or {})}",
                    file=self.file or sys.stdout,
                    flush=True,
                )
            return
        now = time.perf_counter()
        if not finalize and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        if self._bar is None:
            self._bar = self._open_bar()
        self._bar.status = self._status(current, logs)
        self._bar.update(current - self._drawn)
        self._drawn = current
        if finalize:
            if self.target is None:
                self._bar.total = current
            self._bar.close()
            self._bar = None

    def close(self) -> None:
        """Close the live bar if it is still open (e.g. after an exception)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
