"""Keras-style progress display on top of tqdm, and Keras's interactive-logging switch.

``verbose=1`` shows a live bar (``12/469 ━━━━━━━        0s 7ms/step - accuracy: 0.81 -
loss: 0.55``) refreshed at most ten times a second; ``verbose=2`` prints one line per
epoch; ``'auto'`` picks the bar on a terminal or in a notebook and one line per epoch
when output goes to a file or pipe, so logs never fill with carriage returns.
:func:`disable_interactive_logging` sends what progress bars and ``ProgbarLogger``
would print to the ``logging`` logger ``"deepgrad"`` instead (one line per finished bar).

>>> resolve_verbose(0), resolve_verbose(2)
(0, 2)
"""

from __future__ import annotations

import logging
import sys
import time

from deepgrad import collective
from deepgrad.config import (  # the switch lives with Keras's other settings (keras.config)
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

__all__ = [
    "Progbar", "resolve_verbose", "format_logs", "format_duration", "print_msg",
    "enable_interactive_logging", "disable_interactive_logging",
    "is_interactive_logging_enabled",
]


def print_msg(message: str, file=None) -> None:
    """Print ``message`` (to ``file`` or stdout), or log it when interactive logging is off.

    >>> print_msg("Epoch 1/2")
    Epoch 1/2
    """
    if is_interactive_logging_enabled():
        print(message, file=file or sys.stdout, flush=True)
    else:
        logging.getLogger("deepgrad").info(message)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        return type(shell.get_ipython()).__name__ == "ZMQInteractiveShell"
    except Exception:  # pragma: no cover - IPython internals vary
        return False


def resolve_verbose(verbose) -> int:
    """Turn ``'auto'``, 0, 1 or 2 into 0, 1 or 2 (always 0 on the ranks other than 0 of
    data-parallel training: rank 0 alone shows progress).

    Raises:
        ValueError: for any other value.
    """
    if isinstance(verbose, bool) or verbose not in ("auto", 0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    group = collective.current()
    if group is not None and not group.should_write():
        return 0
    if verbose == "auto":
        stream = sys.stdout
        return 1 if (hasattr(stream, "isatty") and stream.isatty()) or _in_notebook() else 2
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
    """A progress display for one epoch (or one evaluate/predict pass), with Keras's arguments.

    Args:
        target: number of steps, or None when unknown.
        width: the bar's width in characters.
        verbose: 1 for a live bar, 2 for one line at the end, 0 for nothing.
        interval: the least time between two redraws of the live bar, in seconds.
        stateful_metrics: names of values shown as given; the others, when passed as
            ``(name, value)`` pairs, are averaged over the steps seen (Keras's rule).
            Values passed as a dict (deepgrad's logs, already running means) are shown
            as given.
        unit_name: the word after the time per step.
        file: where to print (deepgrad only; default stdout).

    >>> bar = Progbar(2, verbose=2, file=sys.stdout)
    >>> bar.update(1, [("loss", 1.0)]); bar.update(2, [("loss", 0.0)])  # doctest: +ELLIPSIS
    2/2 - 0s - ...s/step - loss: 0.5000
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics=None, unit_name: str = "step",
                 file=None):
        self.target = target
        self.width = int(width)
        self.verbose = verbose
        self.interval = float(interval)
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self.file = file
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._bar = None
        self._drawn = 0
        self._seen = 0
        self._sums: dict[str, list[float]] = {}
        self._shown: dict = {}

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
            bar_format=f"{{n_fmt}}/{{total_fmt}} {{bar:{self.width}}} {{status}}"
            if self.target
            else "{n_fmt} {status}",
            mininterval=0,
            leave=True,
            initial=0,
        )

    def _status(self, current: int, logs: dict) -> str:
        elapsed = time.perf_counter() - self._start
        per = _per_step(elapsed / max(current, 1), self.unit_name)
        if self.target and current < self.target:
            eta = format_duration(elapsed / max(current, 1) * (self.target - current))
        else:
            eta = format_duration(elapsed)
        return f"{eta} {per}{format_logs(logs)}"

    def _values(self, current: int, values) -> dict:
        """The values to show: a dict as given; ``(name, value)`` pairs averaged (Keras)."""
        if isinstance(values, dict):
            self._shown = dict(values)
            return self._shown
        weight = max(current - self._seen, 1)
        for name, value in values or ():
            if name in self.stateful_metrics:
                self._shown[name] = value
                continue
            total = self._sums.setdefault(name, [0.0, 0])
            total[0] += float(value) * weight
            total[1] += weight
            self._shown[name] = total[0] / total[1]
        return self._shown

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Show progress at step ``current`` (1-based).

        Args:
            current: the steps done.
            values: a dict of values to show as given, or Keras's list of ``(name, value)``
                pairs (averaged over steps unless named in ``stateful_metrics``).
            finalize: end the bar; None: when ``current`` reaches ``target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        logs = self._values(current, values)
        self._seen = current
        if self.verbose == 0:
            return
        if self.verbose == 2 or not is_interactive_logging_enabled():
            if finalize:
                elapsed = time.perf_counter() - self._start
                total = self.target or current
                per = _per_step(elapsed / max(current, 1), self.unit_name)
                print_msg(f"{current}/{total} - {format_duration(elapsed)} - {per}"
                          f"{format_logs(logs)}", self.file)
            return
        now = time.perf_counter()
        if not finalize and now - self._last_draw < self.interval:
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

    def add(self, n: int, values=None) -> None:
        """Advance by ``n`` steps (Keras's ``add``).

        >>> bar = Progbar(4, verbose=0); bar.add(3); bar._seen
        3
        """
        self.update(self._seen + n, values)

    def close(self) -> None:
        """Close the live bar if it is still open (e.g. after an exception)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
