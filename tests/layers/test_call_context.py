"""Keras's call context: a layer called without `training` takes its caller's.

The sequences of `training` values below are Keras 3.15's for the same code (checked with
the keras.io guides' patterns: a custom block whose `call` has no `training`, a subclassed
model without it, a `call(x, **kwargs)`).
"""

import numpy as np

import deepgrad as dg


class Recorder(dg.layers.Layer):
    def __init__(self, seen, **kwargs):
        super().__init__(**kwargs)
        self.seen = seen

    def call(self, x, training=None):
        self.seen.append(training)
        return x


class Block(dg.layers.Layer):
    """A block whose call names no `training` (as Keras 3 examples write them)."""

    def __init__(self, seen, **kwargs):
        super().__init__(**kwargs)
        self.inner = Recorder(seen)

    def call(self, x):
        return self.inner(x)


X, Y = np.ones((4, 2), "float32"), np.ones((4, 2), "float32")


def test_a_block_without_training_passes_its_callers_on():
    seen = []
    inputs = dg.Input((2,))
    model = dg.Model(inputs, Block(seen)(inputs))
    model.compile("sgd", "mse")
    seen.clear()  # the calls that wired the model
    model.fit(X, Y, batch_size=4, verbose=0)
    model.predict(X, verbose=0)
    assert seen == [True, False]  # Keras 3.15: [True, False] (before: [None, None])


def test_dropout_in_such_a_block_trains():
    class DropBlock(dg.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.drop = dg.layers.Dropout(0.5, seed=1)

        def call(self, x):
            return self.drop(x)

    block = DropBlock()
    ones = np.ones((8, 100), "float32")
    assert (block(ones, training=True).numpy() == 0).any()
    np.testing.assert_array_equal(block(ones).numpy(), ones)


def test_a_subclassed_model_without_training_as_keras():
    seen = []

    class Plain(dg.Model):
        def __init__(self):
            super().__init__()
            self.inner = Recorder(seen)
            self.out = dg.layers.Dense(2)

        def call(self, x):
            return self.out(self.inner(x))

    model = Plain()
    model.compile("sgd", "mse")
    model.fit(X, Y, batch_size=4, verbose=0)
    model(X[:1], training=True)
    model(X[:1])
    # Keras 3.15: fit does not pass `training` to a call that has none; an explicit
    # model(x, training=True) reaches the layers inside.
    assert seen == [None, True, None]


def test_a_call_with_kwargs_gets_no_training():
    class Shifted(dg.layers.Dense):  # keras.io "Customizing saving": call(x, *args, **kwargs)
        def call(self, inputs, *args, **kwargs):
            return super().call(inputs, *args, **kwargs) + 1.0

    model = dg.Sequential([dg.Input((2,)), Shifted(2)])
    model.compile("sgd", "mse")
    model.fit(X, Y, batch_size=4, verbose=0)  # was: TypeError, 'training' for Dense.call
