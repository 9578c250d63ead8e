"""Event files TensorBoard reads, written with the ``tensorboard`` package (no TensorFlow).

:class:`EventWriter` appends scalar, histogram and image summaries to one run's event file
through ``tensorboard.summary.writer.event_file_writer.EventFileWriter`` and the protocol
buffers TensorBoard ships. Scalars are written as ``simple_value`` summaries and
histograms as ``HistogramProto`` (30 equal-width buckets between the minimum and the
maximum, as ``tf.summary.histogram``), the forms TensorBoard's ``EventAccumulator`` and
its web UI read. The package is optional: ``pip install 'deepgrad[tensorboard]'``.

>>> import tempfile
>>> writer = EventWriter(tempfile.mkdtemp())
>>> writer.scalar("epoch_loss", 0.5, step=0)
>>> writer.close()
"""

from __future__ import annotations

import io
import time

import numpy as np

__all__ = ["EventWriter", "HISTOGRAM_BUCKETS"]

HISTOGRAM_BUCKETS = 30


def _tensorboard():
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise ImportError(
            "The TensorBoard callback needs the tensorboard package to write event files. "
            "To fix, run: pip install 'deepgrad[tensorboard]' (or: pip install tensorboard)."
        ) from None
    return EventFileWriter, event_pb2, summary_pb2


class EventWriter:
    """Append summaries to an event file in ``logdir`` (created), for TensorBoard.

    Args:
        logdir: the run's folder, e.g. ``logs/train``.

    Raises:
        ImportError: without the tensorboard package; the message says what to install.
    """

    def __init__(self, logdir: str):
        file_writer, self._event_pb2, self._summary_pb2 = _tensorboard()
        self._writer = file_writer(logdir)

    def _write(self, value, step: int) -> None:
        summary = self._summary_pb2.Summary(value=[value])
        self._writer.add_event(
            self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    def scalar(self, tag: str, value: float, step: int) -> None:
        """One scalar point of the curve ``tag``."""
        self._write(self._summary_pb2.Summary.Value(tag=tag, simple_value=float(value)), step)

    def histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        """The distribution of ``values`` (30 equal buckets from the minimum to the maximum)."""
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return
        low, high = float(values.min()), float(values.max())
        if low == high:
            limits, counts = np.array([high]), np.array([values.size])
        else:
            counts, edges = np.histogram(values, bins=HISTOGRAM_BUCKETS, range=(low, high))
            limits = edges[1:]
        proto = self._summary_pb2.HistogramProto(
            min=low, max=high, num=float(values.size), sum=float(values.sum()),
            sum_squares=float(np.dot(values, values)), bucket_limit=limits.tolist(),
            bucket=counts.astype(np.float64).tolist())
        self._write(self._summary_pb2.Summary.Value(tag=tag, histo=proto), step)

    def image(self, tag: str, pixels: np.ndarray, step: int) -> None:
        """A grayscale or RGB image: uint8 ``(height, width)`` or ``(height, width, 3)``."""
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
        height, width = pixels.shape[:2]
        proto = self._summary_pb2.Summary.Image(
            height=height, width=width, colorspace=1 if pixels.ndim == 2 else 3,
            encoded_image_string=buffer.getvalue())
        self._write(self._summary_pb2.Summary.Value(tag=tag, image=proto), step)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        """Write what is pending and close the file."""
        self._writer.close()
