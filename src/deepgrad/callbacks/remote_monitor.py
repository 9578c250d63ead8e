"""RemoteMonitor: POST each epoch's logs to a server as JSON (Keras's callback, on urllib).

>>> monitor = RemoteMonitor(root="http://127.0.0.1:9000", send_as_json=True)
>>> monitor.payload(0, {"loss": np.float32(0.5)})
{'epoch': 0, 'loss': 0.5}
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from deepgrad.callbacks.base import Callback, should_write

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """Send ``{"epoch": epoch, **logs}`` to ``root + path`` with an HTTP POST after each epoch.

    With ``send_as_json=True`` the body is the JSON itself (``application/json``);
    otherwise it is a form with the JSON under ``field``
    (``application/x-www-form-urlencoded``), as Keras sends it. A server that cannot be
    reached gives a warning, not an error, so training goes on. deepgrad posts with the
    standard library's ``urllib``, so the ``requests`` package Keras needs is not needed.

    Args:
        root: the server's root URL.
        path: the path under ``root`` the events are posted to.
        field: the form field holding the JSON (when ``send_as_json`` is False).
        headers: extra HTTP headers.
        send_as_json: post the JSON as the body.
        timeout: seconds to wait for the server (deepgrad only).
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict | None = None,
        send_as_json: bool = False,
        timeout: float = 10.0,
    ):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = bool(send_as_json)
        self.timeout = float(timeout)

    @staticmethod
    def payload(epoch: int, logs: dict | None) -> dict:
        """The dict posted: the epoch and the logs, NumPy scalars as Python numbers."""
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        return send

    def on_epoch_end(self, epoch, logs=None):
        if not should_write():
            return
        import urllib.error  # here, not at the top: `import deepgrad` stays light
        import urllib.parse
        import urllib.request

        send = self.payload(epoch, logs)
        if self.send_as_json:
            body, kind = json.dumps(send).encode("utf-8"), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("ascii")
            kind = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.root + self.path, data=body, method="POST",
                                         headers={"Content-Type": kind, **(self.headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):
                pass
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
