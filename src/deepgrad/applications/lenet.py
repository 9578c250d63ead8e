"""LeNet-5 (LeCun et al., 1998), the classic small convolutional network for digits.

The variant built here is the one most courses teach for 28x28 MNIST images:

- ``conv1``: 6 filters 5x5, ``padding="same"``, so a 28x28 image gives the paper's
  28x28 maps (the paper padded the digits to 32x32 and used 'valid' convolutions);
- ``pool1``: 2x2 max pooling (the paper used trainable average "subsampling");
- ``conv2``: 16 filters 5x5, 'valid', giving 10x10 maps; ``pool2``: 2x2 max pooling, 5x5;
- ``flatten``, ``fc1`` 120 units, ``fc2`` 84 units, ``predictions`` with ``classes`` units.

Hidden layers use ReLU (the paper used scaled tanh, and a full connection from S2 to C3
instead of its partial table; its RBF output layer is a plain Dense here). For 28x28x1
and 10 classes it has 61,706 parameters.

>>> model = LeNet5()
>>> model.output.shape, model.count_params()
((None, 10), 61706)
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications.builders import image_input
from deepgrad.models.model import Model

__all__ = ["LeNet5"]


def LeNet5(
    input_shape=(28, 28, 1),
    classes: int = 10,
    classifier_activation="softmax",
    activation="relu",
    input_tensor=None,
    name: str = "lenet5",
) -> Model:
    """Build LeNet-5 for small grayscale (or color) images; weights start random.

    Args:
        input_shape: ``(rows, cols, channels)``; rows and cols at least 12 (the default
            28x28x1 is MNIST's shape).
        classes: number of output classes.
        classifier_activation: activation of the ``predictions`` layer (``None`` for logits).
        activation: activation of the hidden layers (``"tanh"`` for the paper's choice).
        input_tensor: optional KerasTensor to use as the input instead of a new ``dg.Input``.
        name: the model's name.

    Returns:
        A functional :class:`~deepgrad.Model`.

    Raises:
        ValueError: for an input smaller than 12x12 or a bad ``classes``.

    >>> [layer.name for layer in LeNet5().layers][1:4]
    ['conv1', 'pool1', 'conv2']
    """
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise ValueError(f"LeNet5: `classes` must be a positive int. Received: classes={classes!r}")
    if input_tensor is not None:
        input_shape = input_tensor.shape[1:]
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(
            "LeNet5: `input_shape` must be a tuple of three integers (rows, cols, channels). "
            f"Received: input_shape={input_shape}"
        )
    if any(s is None or s < 12 for s in shape[:2]):
        raise ValueError(
            "LeNet5: input size must be at least 12x12 (conv2's 5x5 window needs 5x5 maps "
            f"after pool1); Received: input_shape={input_shape}"
        )
    img_input, inputs = image_input("LeNet5", input_tensor, shape)
    x = layers.Conv2D(6, 5, padding="same", activation=activation, name="conv1")(img_input)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(16, 5, activation=activation, name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation=activation, name="fc1")(x)
    x = layers.Dense(84, activation=activation, name="fc2")(x)
    x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return Model(inputs, x, name=name)
