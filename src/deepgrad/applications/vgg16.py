"""``keras.applications.vgg16``'s names: :func:`VGG16` and its ``preprocess_input``.

>>> from deepgrad.applications.vgg16 import VGG16, preprocess_input
>>> preprocess_input(np.zeros((1, 1, 3))).shape
(1, 1, 3)
"""

from deepgrad.applications.vgg import VGG16, preprocess_input

__all__ = ["VGG16", "preprocess_input"]
