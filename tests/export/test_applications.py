"""The course CNN and the applications with random weights: valid ONNX whose outputs in
ONNX Runtime equal ``predict`` (logits, not softmax, so that small differences show) for
batches of 1 and 7. Inputs are the smallest each architecture allows, to keep this fast."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers
A = dg.applications


def realistic(model, seed: int = 0):
    """Kernels keep their initializers (activations stay in range through 50 layers); biases
    and batch-norm statistics become random, so that every weight matters."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        shape = tuple(weight.shape)
        if "variance" in weight.name or "gamma" in weight.name:
            weight.assign(rng.uniform(0.5, 1.5, shape).astype(weight.dtype))
        elif "kernel" not in weight.name:
            weight.assign(rng.normal(0.0, 0.1, shape).astype(weight.dtype))
    return model


def course_cnn():
    return dg.Sequential([
        L.Input((28, 28, 1)),
        L.Conv2D(32, 5, padding="same", activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(64, 5, padding="same", activation="relu"),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dense(1024, activation="relu"),
        L.Dropout(0.5),
        L.Dense(10),
    ], name="course_cnn")


MODELS = {
    "course_cnn": course_cnn,
    "lenet5": lambda: A.LeNet5(classifier_activation=None),
    "vgg16": lambda: A.VGG16(weights=None, input_shape=(32, 32, 3), classes=10,
                             classifier_activation=None),
    "resnet50": lambda: A.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10,
                                   classifier_activation=None),
    "mobilenet_v2": lambda: A.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10,
                                          classifier_activation=None),
    "xception": lambda: A.Xception(weights=None, input_shape=(71, 71, 3), classes=10,
                                   classifier_activation=None),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_application_exports(name, onnx_check):
    dg.utils.set_random_seed(0)
    model = realistic(MODELS[name]())
    proto = onnx_check(model)
    transposes = [n for n in proto.graph.node if n.op_type == "Transpose"]
    # Channels-last in, channels-first through the convolutions, back once before the head.
    assert len(transposes) <= 2, [n.name for n in transposes]
