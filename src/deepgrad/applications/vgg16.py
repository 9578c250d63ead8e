"""``keras.applications.vgg16``'s names: :func:`VGG16`, ``preprocess_input`` (caffe mode)
and ``decode_predictions``.

>>> from deepgrad.applications.vgg16 import VGG16, preprocess_input
>>> preprocess_input(np.zeros((1, 1, 3))).shape
(1, 1, 3)
"""

from deepgrad.applications.vgg import VGG16, decode_predictions, preprocess_input

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]
