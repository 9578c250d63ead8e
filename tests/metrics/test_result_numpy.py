"""Keras's examples read a metric as ``m.result().numpy()``: every result has ``numpy()``."""

import numpy as np
import pytest

import deepgrad as dg

M = dg.metrics


@pytest.mark.parametrize("metric, y_true, y_pred", [
    (M.Mean(), [1.0, 3.0], None),
    (M.Accuracy(), [1, 2], [1, 1]),
    (M.CategoricalHinge(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]),
    (M.MeanIoU(num_classes=2), [0, 0, 1, 1], [0, 1, 0, 1]),
    (M.RootMeanSquaredError(), [1.0, 2.0], [1.5, 2.5]),
    (M.AUC(), [0, 1, 1], [0.2, 0.7, 0.4]),
    (M.Precision(), [0, 1, 1], [0.2, 0.7, 0.4]),
])
def test_scalar_result_has_keras_numpy(metric, y_true, y_pred):
    metric.update_state(y_true) if y_pred is None else metric.update_state(y_true, y_pred)
    value = metric.result()
    assert isinstance(value, float)
    assert value.numpy().dtype == np.float32
    assert value.numpy() == np.float32(float(value))


def test_per_class_result_gives_an_array():
    metric = M.F1Score(average=None)
    metric.update_state(np.eye(3)[[0, 1, 2]], np.eye(3)[[0, 1, 1]])
    values = metric.result()
    assert values == [float(v) for v in values] and len(values) == 3
    np.testing.assert_allclose(values.numpy(), [1.0, 2 / 3, 0.0], atol=1e-6)
    assert values.numpy().dtype == np.float32


def test_user_metric_returning_a_tensor_is_left_alone():
    class Last(M.Metric):
        def update_state(self, values):
            self.value = dg.ops.convert_to_tensor(values)

        def result(self):
            return self.value

        def reset_state(self):
            pass

    metric = Last()
    metric.update_state([1.0, 2.0])
    assert isinstance(metric.result(), dg.Tensor)
