"""Keras-style model builders: LeNet5, VGG16, VGG19, ResNet18/34/50, MobileNetV2, Xception.

Each builder takes Keras's arguments (``include_top``, ``weights``, ``input_tensor``,
``input_shape``, ``pooling``, ``classes``, ``classifier_activation``) and returns a
functional :class:`~deepgrad.Model` whose layer names match Keras's, so Keras weights files
load by name. ``weights="imagenet"`` never downloads: it reads the file Keras publishes
(a Keras 2 ``.h5`` file, read with h5py: ``pip install 'deepgrad[h5]'``) from
``$DEEPGRAD_DATA/models``, ``~/.cache/deepgrad/models`` or ``~/.keras/models``, and
otherwise fails naming the file, its URL and where to put it. ``weights=<path>`` takes
such a file or anything ``model.load_weights`` reads. Each family has its
``preprocess_input`` in a module named as in Keras (``dg.applications.vgg16``,
``resnet50``, ``mobilenet_v2``, ``xception``).

>>> import deepgrad as dg
>>> base = dg.applications.VGG16(weights=None, include_top=False, input_shape=(180, 180, 3))
>>> base.output.shape
(None, 5, 5, 512)
"""

from deepgrad.applications import (
    imagenet_utils,
    lenet,
    mobilenet_v2,
    resnet,
    resnet50,
    vgg,
    vgg16,
    vgg19,
    weights,
    xception,
)
from deepgrad.applications.imagenet_utils import WeightsNotFoundError
from deepgrad.applications.lenet import LeNet5
from deepgrad.applications.mobilenet_v2 import MobileNetV2
from deepgrad.applications.resnet import ResNet18, ResNet34, ResNet50
from deepgrad.applications.vgg import VGG16, VGG19
from deepgrad.applications.xception import Xception

__all__ = [
    "LeNet5",
    "MobileNetV2",
    "ResNet18",
    "ResNet34",
    "ResNet50",
    "VGG16",
    "VGG19",
    "WeightsNotFoundError",
    "Xception",
    "imagenet_utils",
    "lenet",
    "mobilenet_v2",
    "resnet",
    "resnet50",
    "vgg",
    "vgg16",
    "vgg19",
    "weights",
    "xception",
]
