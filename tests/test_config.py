"""dg.config: Keras's ``keras.config`` settings and switches, and what follows them.

The expected values are Keras 3.15's (run on Keras with the TensorFlow backend): its
cross-entropies clip to ``[epsilon, 1 - epsilon]``, its layers take ``data_format=None``
from ``image_data_format()``, and ``set_max_epochs``/``set_max_steps_per_epoch`` cap
``fit``/``evaluate``/``predict`` with a warning.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import config


@pytest.fixture(autouse=True)
def _restore_settings():
    saved = (config.epsilon(), config.image_data_format(), dict(config._SWITCHES))
    yield
    config.set_epsilon(saved[0])
    config.set_image_data_format(saved[1])
    config._SWITCHES.update(saved[2])


def test_epsilon_defaults_and_round_trip():
    assert config.epsilon() == 1e-7
    config.set_epsilon(1e-5)
    assert config.epsilon() == 1e-5


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), "1e-7", None, True])
def test_set_epsilon_rejects_what_is_not_a_finite_non_negative_number(value):
    with pytest.raises(ValueError, match=r"set_epsilon: `value` must be a finite number >= 0"):
        config.set_epsilon(value)


def test_cross_entropies_clip_with_the_current_epsilon():
    """Keras 3.15: bce([1], [0]) is -log(1e-7) = 16.118, and -log(1e-3) after
    set_epsilon(1e-3); the categorical ones too."""
    bce = dg.losses.binary_crossentropy(np.array([1.0]), dg.Tensor([0.0]))
    assert float(bce.data) == pytest.approx(16.1181, abs=1e-3)
    config.set_epsilon(1e-3)
    bce = dg.losses.binary_crossentropy(np.array([1.0]), dg.Tensor([0.0]))
    scce = dg.losses.sparse_categorical_crossentropy(np.array([0]), dg.Tensor([[0.0, 1.0]]))
    cce = dg.losses.categorical_crossentropy(np.array([[1.0, 0.0]]), dg.Tensor([[0.0, 1.0]]))
    for loss in (bce, scce, cce):
        assert float(np.ravel(loss.data)[0]) == pytest.approx(-math.log(1e-3), rel=1e-5)


def test_gradient_is_zero_where_the_current_epsilon_clips():
    config.set_epsilon(0.2)
    p = dg.Tensor([[0.1, 0.9]], requires_grad=True)
    dg.ops.sum(dg.ops.binary_crossentropy(np.array([[1.0, 1.0]]), p)).backward()
    assert p.grad[0, 0] == 0 and p.grad[0, 1] == 0  # both outside [0.2, 0.8]


def test_metrics_and_constraints_read_epsilon():
    config.set_epsilon(1.0)
    unit = dg.constraints.UnitNorm(axis=0)(dg.Tensor(np.array([[3.0], [4.0]])))
    np.testing.assert_allclose(np.asarray(unit.data).ravel(), [3 / 6, 4 / 6])
    mape = dg.losses.mean_absolute_percentage_error(np.array([[0.5]]), dg.Tensor([[0.0]]))
    assert float(np.ravel(mape.data)[0]) == pytest.approx(50.0)  # max(|0.5|, 1.0) = 1.0


def test_image_data_format_is_followed_by_layers_made_after_it():
    """Keras 3.15 prints channels_first for all five, and keeps an explicit argument."""
    config.set_image_data_format("channels_first")
    made = [dg.layers.Conv2D(2, 3), dg.layers.MaxPooling2D(), dg.layers.UpSampling2D(),
            dg.layers.Flatten(), dg.layers.GlobalAveragePooling2D()]
    assert [layer.data_format for layer in made] == ["channels_first"] * 5
    assert dg.layers.Conv2D(2, 3, data_format="channels_last").data_format == "channels_last"
    config.set_image_data_format("channels_last")
    assert dg.layers.Conv2D(2, 3).data_format == "channels_last"


def test_a_channels_first_model_built_under_the_setting():
    config.set_image_data_format("channels_first")
    model = dg.Sequential([dg.Input((3, 8, 8)), dg.layers.Conv2D(4, 3),
                           dg.layers.MaxPooling2D(), dg.layers.GlobalAveragePooling2D()])
    assert model.output_shape == (None, 4)
    assert model.layers[0].output.shape == (None, 4, 6, 6)


def test_ops_follow_image_data_format():
    """Keras 3.15: rgb_to_grayscale of a (1, 3, 2, 2) batch under channels_first is
    (1, 1, 2, 2)."""
    config.set_image_data_format("channels_first")
    gray = dg.ops.image.rgb_to_grayscale(np.ones((1, 3, 2, 2), "float32"))
    assert gray.shape == (1, 1, 2, 2)
    pooled = dg.ops.max_pool(np.zeros((1, 3, 4, 4), "float32"), 2)
    assert pooled.shape == (1, 3, 2, 2)


def test_set_image_data_format_lower_cases_and_rejects_others():
    config.set_image_data_format("CHANNELS_FIRST")
    assert config.image_data_format() == "channels_first"
    with pytest.raises(ValueError, match=r"set_image_data_format: `data_format` must be "
                                         r"'channels_last' or 'channels_first'\. "
                                         r"Received: data_format='nchw'"):
        config.set_image_data_format("nchw")
    with pytest.raises(ValueError, match="Received: data_format=None"):
        config.set_image_data_format(None)
    with pytest.raises(ValueError, match="Conv2D"):
        dg.layers.Conv2D(2, 3, data_format="nhwc")


def test_applications_refuse_channels_first_clearly():
    config.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match=r"only data_format='channels_last'.*"
                                         r"set_image_data_format\('channels_last'\)"):
        dg.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), include_top=False)


def test_backend_is_numpy_and_set_backend_only_accepts_it():
    assert config.backend() == "numpy"
    config.set_backend("numpy")
    with pytest.raises(ValueError, match=r"set_backend: deepgrad has one backend, 'numpy'.*"
                                         r"Received: backend='tensorflow'"):
        config.set_backend("tensorflow")


def test_unsafe_deserialization_switch_and_lambdas_still_refused():
    assert config.in_safe_mode()
    config.enable_unsafe_deserialization()
    assert not config.in_safe_mode()
    layer_config = {"name": "l", "function": {"class_name": "__lambda__",
                                              "config": {"code": "AAAA"}}}
    with pytest.raises(ValueError, match="enable_unsafe_deserialization"):
        dg.layers.Lambda.from_config(layer_config)


def test_interactive_logging_is_one_switch_for_config_and_utils():
    assert dg.config.disable_interactive_logging is dg.utils.disable_interactive_logging
    dg.config.disable_interactive_logging()
    assert not dg.utils.is_interactive_logging_enabled()
    dg.utils.enable_interactive_logging()
    assert dg.config.is_interactive_logging_enabled()


def test_switches_read_back_as_in_keras():
    """Keras 3.15's defaults: filtering True, flash attention None, NNX False."""
    assert config.is_traceback_filtering_enabled() is True
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    assert config.is_flash_attention_enabled() is None
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is None
    assert config.is_nnx_enabled() is False


def _small_model():
    model = dg.Sequential([dg.Input((1,)), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_max_epochs_and_steps_cap_fit_with_keras_warnings():
    """Keras 3.15: 2 epochs and the warnings 'Limiting epochs to 2', 'Limiting
    steps_per_epoch to 2' (once per fit)."""
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(2)
    model = _small_model()
    seen = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(np.ones((10, 1)), np.ones((10, 1)), batch_size=2, epochs=5,
                            verbose=0, callbacks=[dg.callbacks.LambdaCallback(
                                on_train_batch_end=lambda batch, logs: seen.append(batch))])
    assert len(history.history["loss"]) == 2
    assert seen == [0, 1, 0, 1]
    assert [str(w.message) for w in caught] == ["Limiting epochs to 2",
                                                "Limiting steps_per_epoch to 2"]


def test_max_steps_per_epoch_caps_predict_rows():
    config.set_max_steps_per_epoch(2)
    model = _small_model()
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        assert model.predict(np.ones((10, 1)), batch_size=2, verbose=0).shape == (4, 1)
    config.set_max_steps_per_epoch(None)
    assert model.predict(np.ones((10, 1)), batch_size=2, verbose=0).shape == (10, 1)


def test_caps_that_do_not_cut_do_not_warn():
    config.set_max_epochs(10)
    config.set_max_steps_per_epoch(10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = _small_model().fit(np.ones((4, 1)), np.ones((4, 1)), batch_size=2, epochs=3,
                                     verbose=0)
    assert len(history.history["loss"]) == 3


@pytest.mark.parametrize("setter", [config.set_max_epochs, config.set_max_steps_per_epoch])
@pytest.mark.parametrize("value", [0, -1, 2.0, True])
def test_caps_reject_what_is_not_a_positive_int(setter, value):
    with pytest.raises(ValueError, match=rf"{setter.__name__}: .* must be a positive int or "
                                         rf"None"):
        setter(value)
