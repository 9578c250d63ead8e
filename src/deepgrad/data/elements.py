"""What iterating a Dataset gives: NumPy arrays that also answer ``.numpy()``.

tf.data yields eager tensors, and TensorFlow's tutorials read them with ``.numpy()``
(``plt.imshow(images[i].numpy().astype("uint8"))``, ``for element in dataset:
print(element.numpy())``). deepgrad's elements are NumPy arrays; iterating a Dataset gives
each one as an :class:`ElementArray`, a view with that one method more (no copy), and a
NumPy number as a 0-d one. Everything else is NumPy's, printing included. Where deepgrad
differs from tf.data: the elements are arrays, not tensors; a single string stays a
``str`` (``np.str_``, where TensorFlow gives a tensor whose ``.numpy()`` is bytes); and
``as_numpy_iterator()`` and the functions given to ``map`` get plain arrays.

>>> element = as_elements((np.arange(3), {"label": np.int64(1)}))
>>> element[0].numpy(), element[1]["label"].numpy(), element[0]
(array([0, 1, 2]), array(1), array([0, 1, 2]))
"""

from __future__ import annotations

import numpy as np

from deepgrad.data.structure import map_structure

__all__ = ["ElementArray", "as_elements"]


class ElementArray(np.ndarray):
    """A NumPy array from a Dataset's iteration, with ``.numpy()`` as tf.data's tensors.

    >>> values = np.ones(2).view(ElementArray)
    >>> type(values.numpy()).__name__, values * 2
    ('ndarray', array([2., 2.]))
    """

    def numpy(self) -> np.ndarray:
        """The values as a plain NumPy array (a view, no copy)."""
        return self.view(np.ndarray)

    def __hash__(self) -> int:
        # A number from a dataset of numbers keys a dict as the NumPy scalar it was
        # (``counts[label] += 1``); an array of several values stays unhashable.
        if self.ndim:
            raise TypeError(f"unhashable type: '{type(self).__name__}'")
        return hash(self.item())

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))

    def __str__(self) -> str:
        return str(self.view(np.ndarray))


def _element(value):
    if type(value) is np.ndarray:
        return value.view(ElementArray)
    if isinstance(value, (np.number, np.bool_)):
        return np.asarray(value).view(ElementArray)
    return value  # a string stays a str (np.str_): len, split and == work as on text


def as_elements(element):
    """``element`` (a nested structure) with each array and NumPy scalar as an
    :class:`ElementArray`."""
    return map_structure(_element, element)
