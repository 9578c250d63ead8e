"""SwapEMAWeights: validation and prediction see the moving average; training does not."""

import numpy as np
import pytest

import deepgrad as dg


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3)


def _model(optimizer=None):
    dg.utils.set_random_seed(1)
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(4, activation="tanh"),
                           dg.layers.Dense(1)])
    model.compile(optimizer or dg.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8), "mse")
    return model


def _averages(model):
    optimizer = model.optimizer
    return {id(v): a.copy() for v, a in optimizer._averages()}


class _Record(dg.callbacks.Callback):
    """Records the weights seen at the end of each epoch (after SwapEMAWeights)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append([w.copy() for w in self.model.get_weights()])


def test_validation_uses_the_average_and_training_weights_come_back():
    x, y = _data()
    with_swap, without = _model(), _model()
    history = with_swap.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False,
                            validation_data=(x, y),
                            callbacks=[dg.callbacks.SwapEMAWeights()])
    without.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
    # Training itself is untouched by the swaps.
    for a, b in zip(with_swap.get_weights(), without.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # The last validation loss is the loss of the averaged weights.
    averages = _averages(without)
    for variable in without.trainable_variables:
        variable.assign(averages[id(variable)])
    expected = without.evaluate(x, y, batch_size=8, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(expected, rel=1e-6)


def test_predict_swaps_in_and_back_out():
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    trained = [w.copy() for w in model.get_weights()]
    averaged = model.predict(x, verbose=0, callbacks=[dg.callbacks.SwapEMAWeights()])
    for a, b in zip(model.get_weights(), trained, strict=True):
        np.testing.assert_array_equal(a, b)  # Keras 3.15 would leave the average in
    model.optimizer.swap_ema_weights()
    np.testing.assert_array_equal(averaged, model.predict(x, verbose=0))


def test_swap_on_epoch_shows_the_average_to_later_callbacks():
    x, y = _data()
    model = _model(dg.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.5))
    record = _Record()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[dg.callbacks.SwapEMAWeights(swap_on_epoch=True), record])
    averages = _averages(model)
    # After the last epoch the model holds the average, and so does the optimizer.
    for variable in model.trainable_variables:
        np.testing.assert_array_equal(variable.numpy(), averages[id(variable)])
    for a, b in zip(record.seen[-1], model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_loss_scale_optimizer_is_looked_through():
    x, y = _data()
    model = _model(dg.optimizers.LossScaleOptimizer(dg.optimizers.SGD(0.05, use_ema=True)))
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, validation_data=(x, y),
              callbacks=[dg.callbacks.SwapEMAWeights()])


def test_needs_use_ema():
    x, y = _data()
    model = _model(dg.optimizers.SGD(0.05))
    with pytest.raises(ValueError, match="`use_ema=True` is set on the optimizer"):
        model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y),
                  callbacks=[dg.callbacks.SwapEMAWeights()])
    with pytest.raises(TypeError, match="`swap_on_epoch` must be a bool"):
        dg.callbacks.SwapEMAWeights(swap_on_epoch="yes")
