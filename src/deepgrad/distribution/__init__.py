"""Data-parallel training over MPI, with Keras 3's ``keras.distribution`` names.

>>> import deepgrad as dg
>>> dg.distribution.list_devices()
['cpu:0']
"""

from deepgrad.distribution.communicator import DistributedError
from deepgrad.distribution.data_parallel import (
    DataParallel,
    distribution,
    get_device_count,
    list_devices,
    set_distribution,
)

__all__ = ["DataParallel", "DistributedError", "distribution", "get_device_count",
           "list_devices", "set_distribution"]
