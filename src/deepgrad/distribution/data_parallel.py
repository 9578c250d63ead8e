"""Keras 3's ``keras.distribution`` names for data-parallel training over MPI.

A script started with ``mpirun -n N python train.py`` that calls
``set_distribution(DataParallel())`` before ``fit`` trains on ``N`` processes: each
takes its slice of every global batch, the gradients are averaged over all of them, and
every process keeps the same weights. The same script started without ``mpirun`` trains
on one process, exactly as it would without these lines (MPI is not even imported).

Keras distributes over the devices of one program (JAX); deepgrad's devices are the
processes of one MPI job, one CPU "device" each: ``list_devices()`` is
``['cpu:0', ..., 'cpu:N-1']``.

>>> import deepgrad as dg
>>> dg.distribution.list_devices()
['cpu:0']
>>> dg.distribution.set_distribution(dg.distribution.DataParallel())
>>> dg.distribution.distribution().num_processes
1
>>> dg.distribution.set_distribution(None)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from deepgrad import collective
from deepgrad.distribution.communicator import Communicator, find_world_size

__all__ = ["DataParallel", "distribution", "set_distribution", "list_devices",
           "get_device_count"]

_DISTRIBUTION = None
_COMMUNICATOR: Communicator | None = None


def _communicator(timeout: float) -> Communicator | None:
    """The job's one communicator (None on one process), made on first use."""
    global _COMMUNICATOR
    if find_world_size() == 1:
        return None
    if _COMMUNICATOR is None:
        _COMMUNICATOR = Communicator(timeout)
    _COMMUNICATOR.timeout = timeout
    return _COMMUNICATOR


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of this job: one ``'cpu:i'`` per MPI process (``['cpu:0']`` alone).

    Args:
        device_type: None or ``'cpu'`` (deepgrad runs on CPUs only).

    Raises:
        ValueError: for another device type.

    >>> list_devices("cpu")
    ['cpu:0']
    """
    if device_type is not None and str(device_type).lower() != "cpu":
        raise ValueError(
            f"list_devices: deepgrad runs on CPUs; `device_type` must be None or 'cpu'. "
            f"Received: device_type={device_type!r}"
        )
    return [f"cpu:{i}" for i in range(find_world_size())]


def get_device_count(device_type: str | None = None) -> int:
    """The number of devices :func:`list_devices` returns.

    >>> get_device_count()
    1
    """
    return len(list_devices(device_type))


class DataParallel:
    """Data parallelism: every process holds the whole model and trains on its slice.

    Args:
        device_mesh: not supported (deepgrad has no device meshes); leave it None.
        devices: None, or the whole of :func:`list_devices` (every process takes part).
        auto_shard_dataset: True (Keras's default): each process takes its slice of every
            global batch of the data given to ``fit``. False: the data each process is
            given is its own already (for instance ``dataset.shard(num_processes,
            process_id)``), and its batches are local batches.
        timeout: deepgrad's addition: seconds a process waits for the others at one
            collective (the gradient all-reduce of a step, a broadcast) before it fails
            with an error. A process that raises tells the others at once.

    Raises:
        ValueError: for a ``device_mesh``, or ``devices`` that are not every process.

    >>> DataParallel().num_model_replicas
    1
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset: bool = True, *,
                 timeout: float = 600.0):
        if device_mesh is not None:
            raise ValueError(
                "DataParallel: `device_mesh` is not supported by deepgrad; every MPI process "
                f"is one device. Received: device_mesh={device_mesh!r}"
            )
        everything = list_devices()
        if devices is not None and [str(d).lower() for d in devices] != everything:
            raise ValueError(
                f"DataParallel: `devices` must be None or every process's device, "
                f"{everything}. Received: devices={list(devices)!r}. To train on fewer "
                "processes, start fewer (`mpirun -n ...`)."
            )
        self._devices = everything
        self._auto_shard_dataset = bool(auto_shard_dataset)
        self._timeout = _check_timeout(timeout)
        communicator = _communicator(self._timeout)
        self._group = None
        if communicator is not None:
            from deepgrad.distribution.group import ProcessGroup

            self._group = ProcessGroup(communicator, self._auto_shard_dataset)

    @property
    def timeout(self) -> float:
        """Seconds a process waits for the others at one collective (may be changed)."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = _check_timeout(value)
        if self._group is not None:
            self._group.comm.timeout = self._timeout

    @property
    def num_processes(self) -> int:
        """The number of processes of the job."""
        return len(self._devices)

    @property
    def process_id(self) -> int:
        """This process's rank."""
        return 0 if self._group is None else self._group.rank

    @property
    def num_model_replicas(self) -> int:
        return self.num_processes

    @property
    def num_data_shards(self) -> int:
        return self.num_processes

    @property
    def data_shard_id(self) -> int:
        return self.process_id

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @property
    def batch_dim_name(self) -> str:
        return "batch"

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Make this distribution current inside the block (Keras's ``scope``)."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def __repr__(self) -> str:
        return f"<DataParallel devices={self._devices}>"


def _check_timeout(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(
            f"DataParallel: `timeout` must be a positive number of seconds. "
            f"Received: timeout={value!r}"
        )
    return float(value)


def distribution() -> DataParallel | None:
    """The current distribution (None unless :func:`set_distribution` set one).

    >>> distribution() is None
    True
    """
    return _DISTRIBUTION


def set_distribution(value: DataParallel | None) -> None:
    """Make ``value`` the distribution ``fit``, ``evaluate`` and ``predict`` use.

    Args:
        value: a :class:`DataParallel`, or None for none.

    Raises:
        TypeError: for anything else.

    >>> set_distribution(None)
    """
    global _DISTRIBUTION
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            f"set_distribution: expected a DataParallel or None. Received: {value!r}"
        )
    _DISTRIBUTION = value
    collective.install(None if value is None else value._group)
