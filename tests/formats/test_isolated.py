"""``formats.isolated.run_isolated``: a reader in a forked child, stopped by CPU time.

The limit is the child's CPU time, not the clock, so a loaded machine or a slow container
cannot fail a good read (only a reader that computes too long is stopped).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from deepgrad.formats.errors import FileFormatError
from deepgrad.formats.isolated import CAN_FORK, run_isolated, shared_arrays

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="runs in-process without fork")


def test_a_result_and_shared_data_come_back():
    (out,) = shared_arrays([((3,), np.dtype("f4"))])

    def fill():
        out[:] = [1, 2, 3]
        return {"n": 3}

    assert run_isolated(fill, "file.h5", seconds=10) == {"n": 3}
    np.testing.assert_array_equal(out, [1, 2, 3])


def test_a_reader_that_loops_is_stopped_by_its_cpu_time():
    def spin():
        while True:
            pass

    with pytest.raises(FileFormatError, match=r"file\.h5: .*took over 1 s of CPU time"):
        run_isolated(spin, "file.h5", seconds=1)


def test_errors_and_crashes_become_file_format_errors():
    def damaged():
        raise KeyError("b-tree")

    with pytest.raises(FileFormatError, match=r"file\.h5: the file is damaged \(KeyError"):
        run_isolated(damaged, "file.h5", seconds=10)

    def crash():  # dies without a report, as a library that aborts does
        os._exit(1)

    with pytest.raises(FileFormatError, match="the reader crashed"):
        run_isolated(crash, "file.h5", seconds=10)
