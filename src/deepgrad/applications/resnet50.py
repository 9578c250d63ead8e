"""``keras.applications.resnet50``'s names: :func:`ResNet50`, ``preprocess_input`` (caffe
mode) and ``decode_predictions``.

>>> from deepgrad.applications.resnet50 import ResNet50, preprocess_input
>>> preprocess_input(np.zeros((1, 1, 3))).shape
(1, 1, 3)
"""

from deepgrad.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
