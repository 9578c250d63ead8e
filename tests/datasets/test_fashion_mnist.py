"""The real Fashion-MNIST, from Debian's dataset-fashion-mnist (CI installs it)."""

from __future__ import annotations

import numpy as np

from deepgrad.datasets import fashion_mnist

from offline_data import needs_fashion_mnist


@needs_fashion_mnist
def test_loads_from_the_system_folder_exactly_like_keras():
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(download=False)
    assert (x_train.shape, y_train.shape) == ((60000, 28, 28), (60000,))
    assert (x_test.shape, y_test.shape) == ((10000, 28, 28), (10000,))
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
        assert array.flags.writeable and array.flags.c_contiguous
    assert x_train.min() == 0 and x_train.max() == 255
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    # The first training and test images are both ankle boots, as in Keras's copy.
    assert y_train[0] == 9 and y_test[0] == 9
    assert fashion_mnist.CLASS_NAMES[y_train[0]] == "Ankle boot"
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]


def test_class_names():
    assert len(fashion_mnist.CLASS_NAMES) == 10
    assert fashion_mnist.CLASS_NAMES[0] == "T-shirt/top"
