"""``keras.applications.vgg19``'s names: :func:`VGG19`, ``preprocess_input`` (caffe mode)
and ``decode_predictions``.

>>> from deepgrad.applications.vgg19 import VGG19, preprocess_input
>>> preprocess_input(np.zeros((1, 1, 3))).shape
(1, 1, 3)
"""

from deepgrad.applications.vgg import VGG19, decode_predictions, preprocess_input

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]
