"""Keras-style model builders: Keras's ``keras.applications`` and LeNet5, ResNet18/34.

Each builder takes Keras's arguments (``include_top``, ``weights``, ``input_tensor``,
``input_shape``, ``pooling``, ``classes``, ``classifier_activation`` and the family's
own, such as ``alpha``) and returns a functional :class:`~deepgrad.Model` whose layers
are Keras's (names, classes, order and weight shapes), so Keras's weights files load
into it: the ImageNet ``.h5`` files by layer name, Keras 3 ``.weights.h5`` files by path.
``weights="imagenet"`` never downloads: it reads the file Keras publishes (read with h5py:
``pip install 'deepgrad[h5]'``) from ``$DEEPGRAD_DATA/models``,
``~/.cache/deepgrad/models`` or ``~/.keras/models``, and otherwise fails naming the file,
its URL and where to put it (:mod:`~deepgrad.applications.local_files`).
``weights=<path>`` takes such a file or anything ``model.load_weights`` reads. Each
family has its ``preprocess_input`` and ``decode_predictions`` in a module named as in
Keras (``dg.applications.vgg16``, ``resnet50``, ``efficientnet``...).

>>> import deepgrad as dg
>>> base = dg.applications.VGG16(weights=None, include_top=False, input_shape=(180, 180, 3))
>>> base.output.shape
(None, 5, 5, 512)
"""

from deepgrad.applications import (
    builders,
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    lenet,
    local_files,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    nasnet,
    resnet,
    resnet50,
    resnet_v2,
    vgg,
    vgg16,
    vgg19,
    weights,
    xception,
)
from deepgrad.applications.convnext import (
    ConvNeXtBase,
    ConvNeXtLarge,
    ConvNeXtSmall,
    ConvNeXtTiny,
    ConvNeXtXLarge,
)
from deepgrad.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from deepgrad.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from deepgrad.applications.efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from deepgrad.applications.inception_resnet_v2 import InceptionResNetV2
from deepgrad.applications.inception_v3 import InceptionV3
from deepgrad.applications.lenet import LeNet5
from deepgrad.applications.local_files import ClassIndexNotFoundError, WeightsNotFoundError
from deepgrad.applications.mobilenet import MobileNet
from deepgrad.applications.mobilenet_v2 import MobileNetV2
from deepgrad.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from deepgrad.applications.nasnet import NASNetLarge, NASNetMobile
from deepgrad.applications.resnet import ResNet18, ResNet34, ResNet50, ResNet101, ResNet152
from deepgrad.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from deepgrad.applications.vgg import VGG16, VGG19
from deepgrad.applications.xception import Xception

__all__ = [
    "ClassIndexNotFoundError",
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "InceptionResNetV2",
    "InceptionV3",
    "LeNet5",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "NASNetLarge",
    "NASNetMobile",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "ResNet18",
    "ResNet34",
    "ResNet50",
    "ResNet50V2",
    "VGG16",
    "VGG19",
    "WeightsNotFoundError",
    "Xception",
    "builders",
    "convnext",
    "densenet",
    "efficientnet",
    "efficientnet_v2",
    "imagenet_utils",
    "inception_resnet_v2",
    "inception_v3",
    "lenet",
    "local_files",
    "mobilenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "nasnet",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg",
    "vgg16",
    "vgg19",
    "weights",
    "xception",
]
