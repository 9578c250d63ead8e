"""ReduceLROnPlateau, LearningRateScheduler and learning-rate schedules, through fit."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.optimizers import schedules


def fit(model, data, callbacks, epochs=4, batch_size=8, **kwargs):
    x, y, xv, yv = data
    return model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0,
                     validation_data=(xv, yv), callbacks=callbacks, **kwargs)


def lr_per_step():
    """A callback recording ``(iterations, learning_rate)`` before every training step."""
    cb = dg.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: cb.seen.append(
            (cb.model.optimizer.iterations, cb.model.optimizer.learning_rate)
        )
    )
    cb.seen = []
    return cb


# -- ReduceLROnPlateau ---------------------------------------------------------------------
def test_reduces_the_optimizer_learning_rate_after_patience(make_model, data, scripted):
    model = make_model(optimizer=dg.optimizers.Adam(0.01))
    reduce = dg.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
    values = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8]
    history = fit(model, data, [scripted("val_loss", values), reduce], epochs=7)
    # Logged before the reduction of that epoch, as Keras does.
    assert history.history["learning_rate"] == pytest.approx(
        [0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.0025]
    )
    assert model.optimizer.learning_rate == pytest.approx(0.0025)


def test_the_reduced_rate_is_used_by_the_steps(make_model, data, scripted):
    model = make_model(optimizer=dg.optimizers.SGD(0.1))
    record = lr_per_step()
    reduce = dg.callbacks.ReduceLROnPlateau("score", factor=0.1, patience=1, mode="min")
    fit(model, data, [record, scripted("score", [1.0, 1.0, 1.0]), reduce], epochs=3)
    rates = [lr for _, lr in record.seen]
    assert rates[:8] == [0.1] * 8 and rates[8:] == pytest.approx([0.01] * 4)


def test_min_delta_cooldown_and_min_lr(make_model, data, scripted):
    model = make_model(optimizer=dg.optimizers.SGD(1.0))
    reduce = dg.callbacks.ReduceLROnPlateau("score", factor=0.5, patience=1, min_delta=0.1,
                                            cooldown=2, min_lr=0.2, mode="min")
    # Each value improves by only 0.05 (< min_delta): no improvement after the first.
    values = [1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6]
    history = fit(model, data, [scripted("score", values), reduce], epochs=9)
    assert history.history["learning_rate"] == pytest.approx(
        [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]
    )
    assert model.optimizer.learning_rate == pytest.approx(0.2)


def test_max_mode_for_accuracy_names(make_model, data, scripted):
    model = make_model(optimizer=dg.optimizers.SGD(0.1))
    reduce = dg.callbacks.ReduceLROnPlateau("val_accuracy", patience=1)
    fit(model, data, [scripted("val_accuracy", [0.5, 0.6, 0.7]), reduce], epochs=3)
    assert model.optimizer.learning_rate == 0.1 and reduce.mode_used == "max"


def test_verbose_message(make_model, data, scripted, capsys):
    model = make_model(optimizer=dg.optimizers.SGD(0.1))
    reduce = dg.callbacks.ReduceLROnPlateau("score", patience=1, verbose=1, mode="min")
    fit(model, data, [scripted("score", [1.0, 1.0]), reduce], epochs=2)
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01" in capsys.readouterr().out


def test_missing_monitor_warns(make_model, data):
    x, y, _, _ = data
    model = make_model()
    with pytest.warns(UserWarning, match="`val_loss` which is not available.*learning_rate"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[dg.callbacks.ReduceLROnPlateau()])


def test_reduce_bad_arguments():
    with pytest.raises(ValueError, match="factor >= 1.0.*Received factor=1.5"):
        dg.callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.raises(ValueError, match="`cooldown` must be an int >= 0"):
        dg.callbacks.ReduceLROnPlateau(cooldown=-1)
    with pytest.raises(ValueError, match="`min_lr` must be >= 0"):
        dg.callbacks.ReduceLROnPlateau(min_lr=-0.1)


# -- LearningRateScheduler -------------------------------------------------------------------
def test_scheduler_with_epoch_and_lr(make_model, data):
    model = make_model(optimizer=dg.optimizers.SGD(0.1))
    record = lr_per_step()
    sched = dg.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    history = fit(model, data, [record, sched], epochs=4)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    rates = [lr for _, lr in record.seen]
    assert rates == pytest.approx([0.1] * 8 + [0.05] * 4 + [0.025] * 4)


def test_scheduler_with_epoch_only(make_model, data, capsys):
    model = make_model(optimizer=dg.optimizers.Adam())
    sched = dg.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)
    history = fit(model, data, [sched], epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05." in (
        capsys.readouterr().out
    )


def test_scheduler_accepts_numpy_scalars_and_a_builtin(make_model, data):
    model = make_model(optimizer=dg.optimizers.SGD(0.1))
    history = fit(model, data, [dg.callbacks.LearningRateScheduler(
        lambda epoch: np.float32(0.25))], epochs=1)
    assert history.history["learning_rate"] == [0.25]
    fit(model, data, [dg.callbacks.LearningRateScheduler(abs)], epochs=2, initial_epoch=1)
    assert model.optimizer.learning_rate == 1.0


def test_scheduler_errors(make_model, data):
    with pytest.raises(TypeError, match="`schedule` must be a function"):
        dg.callbacks.LearningRateScheduler(0.1)
    model = make_model()
    with pytest.raises(ValueError, match="should be a float. Got: 'fast'"):
        fit(model, data, [dg.callbacks.LearningRateScheduler(lambda e: "fast")], epochs=1)
    with pytest.raises(ValueError, match="learning_rate"):
        fit(model, data, [dg.callbacks.LearningRateScheduler(lambda e: -1.0)], epochs=1)
    scheduled = make_model(optimizer=dg.optimizers.SGD(schedules.ExponentialDecay(0.1, 1, 0.5)))
    with pytest.raises(TypeError, match="not settable"):
        fit(scheduled, data, [dg.callbacks.LearningRateScheduler(lambda e: 0.1)], epochs=1)


# -- schedules, per step ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "schedule",
    [
        schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5),
        schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5, staircase=True),
        schedules.PiecewiseConstantDecay([4, 9], [0.1, 0.05, 0.01]),
        schedules.CosineDecay(0.1, decay_steps=10, alpha=0.1),
        schedules.CosineDecay(0.0, decay_steps=8, warmup_target=0.1, warmup_steps=4),
    ],
    ids=["exponential", "staircase", "piecewise", "cosine", "cosine-warmup"],
)
def test_optimizer_follows_a_schedule_per_step(make_model, data, schedule):
    model = make_model(optimizer=dg.optimizers.SGD(schedule))
    record = lr_per_step()
    fit(model, data, [record], epochs=4)  # 4 steps per epoch: 16 steps
    assert [step for step, _ in record.seen] == list(range(16))
    assert [lr for _, lr in record.seen] == pytest.approx([schedule(s) for s in range(16)])
    assert model.optimizer.iterations == 16


def test_the_schedule_drives_the_update(make_model, data):
    # With the rate at 0 after step 5, the weights stop changing after the 6th step.
    model = make_model(optimizer=dg.optimizers.SGD(
        schedules.PiecewiseConstantDecay([5], [0.05, 0.0])))
    weights = []
    keep = dg.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: weights.append(model.get_weights()[0].copy())
    )
    fit(model, data, [keep], epochs=3)
    assert not np.array_equal(weights[4], weights[5])
    for later in weights[6:]:
        np.testing.assert_array_equal(later, weights[5])
