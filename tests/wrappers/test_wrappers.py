"""The wrappers' estimator contract: parameters, targets, weights, reproducibility, errors."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.exceptions import NotFittedError

import deepgrad as dg
from deepgrad.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

FAST = {"model__units": 8, "optimizer__learning_rate": 0.03, "random_state": 0}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def keras_dynamic_model(X, y, loss, layers=(10,)):
    """Keras 3's documented build function, with only the imports changed."""
    inp = dg.layers.Input(shape=(X.shape[1],))
    hidden = inp
    for size in layers:
        hidden = dg.layers.Dense(size, activation="relu")(hidden)
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    out = dg.layers.Dense(n_outputs, activation="softmax")(hidden)
    model = dg.Model(inp, out)
    model.compile(loss=loss, optimizer="rmsprop")
    return model


# -- parameters ------------------------------------------------------------------------
def test_routed_parameters_are_estimator_parameters():
    clf = SKLearnClassifier(epochs=3, model__units=16)
    assert clf.get_params()["model__units"] == 16
    clf.set_params(model__units=32, optimizer__learning_rate=0.1, fit__batch_size=8)
    params = clf.get_params()
    assert (params["model__units"], params["optimizer__learning_rate"]) == (32, 0.1)
    copy = clone(clf)
    assert copy.get_params() == params and not hasattr(copy, "model_")
    assert "model__units=32" in repr(clf)


def test_routed_parameters_reach_model_optimizer_loss_and_fit(iris):
    X, y = iris
    clf = SKLearnClassifier(model__units=5, optimizer="sgd", optimizer__learning_rate=0.2,
                            loss__from_logits=False, fit__epochs=3, random_state=0).fit(X, y)
    assert clf.model_.layers[0].units == 5
    assert clf.model_.optimizer.__class__.__name__ == "SGD"
    assert clf.model_.optimizer.learning_rate == pytest.approx(0.2)
    assert clf.epoch_ == 3 and len(clf.history_["loss"]) == 3


def test_precedence_plain_then_fit_kwargs_then_routed_then_call(iris):
    X, y = iris
    clf = SKLearnClassifier(epochs=1, fit_kwargs={"epochs": 2}, **FAST)
    assert clf.fit(X, y).epoch_ == 2
    assert clf.set_params(fit__epochs=3).fit(X, y).epoch_ == 3
    assert clf.fit(X, y, epochs=4).epoch_ == 4


def test_keras_style_build_function_runs_unchanged(iris):
    X, y = iris
    clf = SKLearnClassifier(model=keras_dynamic_model,
                            model_kwargs={"loss": "categorical_crossentropy", "layers": [8]},
                            fit_kwargs={"epochs": 3}, random_state=0)
    clf.fit(X, y)
    assert tuple(clf.model_.outputs[0].shape) == (None, 3)  # y reached it one-hot, as in Keras
    assert clf.predict_proba(X).shape == (150, 3)
    assert set(clf.predict(X)) <= {0, 1, 2}


@pytest.mark.parametrize("activation", ["softmax", "linear"])
def test_keras_decision_function_test_with_scikit_learn_shapes(activation):
    """Keras's own test (two output units, binary cross-entropy, one epoch), except that
    decision_function has scikit-learn's shape for two classes: one score per sample."""
    from sklearn.datasets import make_classification

    def model(X, y, loss, out_activation_function="softmax"):
        inp = dg.layers.Input(shape=(X.shape[1],))
        hidden = dg.layers.Dense(10, activation="relu")(inp)
        out = dg.layers.Dense(y.shape[1], activation=out_activation_function)(hidden)
        built = dg.Model(inp, out)
        built.compile(loss=loss, optimizer="rmsprop")
        return built

    X, y = make_classification(n_samples=10, n_features=10, n_informative=4, n_classes=2,
                               random_state=42)
    est = SKLearnClassifier(model, model_kwargs={"out_activation_function": activation,
                                                 "loss": "binary_crossentropy"},
                            fit_kwargs={"epochs": 1}, random_state=0).fit(X, y)
    decision = est.decision_function(X)
    assert decision.shape == (10,)
    assert np.array_equal(est.classes_[(decision > 0).astype(int)], est.predict(X))
    assert est.predict_proba(X).shape == (10, 2)


def test_scikeras_style_build_function_gets_meta_and_compile_kwargs(iris):
    X, y = iris
    seen = {}

    def build(meta, compile_kwargs, width=4):
        seen.update(meta)
        model = dg.Sequential([dg.layers.Input((meta["n_features_in_"],)),
                               dg.layers.Dense(width, activation="relu"),
                               dg.layers.Dense(meta["n_classes_"], activation="softmax")])
        model.compile(**compile_kwargs)
        return model

    clf = SKLearnClassifier(build, model__width=6, optimizer__learning_rate=0.05, **{
        k: v for k, v in FAST.items() if k == "random_state"}).fit(X, y)
    assert seen["n_classes_"] == 3 and seen["target_type_"] == "multiclass"
    assert clf.model_.optimizer.learning_rate == pytest.approx(0.05)


def test_model_instance_is_cloned_with_fresh_weights_unless_warm_start(iris):
    X, y = iris
    model = dg.Sequential([dg.layers.Input((4,)), dg.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    clf = SKLearnClassifier(model, epochs=2, random_state=0).fit(X, y)
    assert clf.model_ is not model
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    warm = SKLearnClassifier(model, warm_start=True, epochs=2).fit(X, y)
    assert warm.model_ is model
    assert not np.array_equal(before[0], model.get_weights()[0])


def test_warm_start_continues_training(iris):
    X, y = iris
    clf = SKLearnClassifier(warm_start=True, epochs=2, **FAST).fit(X, y)
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is model and clf.epoch_ == 4


# -- targets -----------------------------------------------------------------------------
def test_string_labels_binary_and_multiclass(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SKLearnClassifier(epochs=20, **FAST).fit(X, names)
    assert clf.classes_.tolist() == names[[0, 50, 100]].tolist()
    assert clf.predict(X).dtype == names.dtype and clf.score(X, names) > 0.8
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (clf.classes_[clf.decision_function(X).argmax(1)] == clf.predict(X)).all()

    binary = np.where(y == 0, "yes", "no")
    clf = SKLearnClassifier(epochs=10, **FAST).fit(X, binary)
    assert tuple(clf.model_.outputs[0].shape) == (None, 1)
    assert clf.predict_proba(X).shape == (150, 2)
    decision = clf.decision_function(X)
    assert decision.shape == (150,)
    assert (clf.classes_[(decision > 0).astype(int)] == clf.predict(X)).all()
    assert clf.score(X, binary) > 0.95


def test_one_hot_targets_predict_one_hot_rows(iris):
    X, y = iris
    one_hot = np.eye(3, dtype=int)[y]
    clf = SKLearnClassifier(epochs=20, **FAST).fit(X, one_hot)
    assert clf.classes_.tolist() == [0, 1, 2]
    pred = clf.predict(X)
    assert pred.shape == (150, 3) and (pred.sum(axis=1) == 1).all()
    assert clf.score(X, one_hot) > 0.8


def test_multilabel_targets_one_sigmoid_per_label():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    clf = SKLearnClassifier(epochs=20, **FAST).fit(X, Y)
    assert clf.n_outputs_ == 4 and tuple(clf.model_.outputs[0].shape) == (None, 4, 1)
    pred, proba = clf.predict(X), clf.predict_proba(X)
    assert pred.shape == proba.shape == (120, 4) and pred.dtype.kind == "i"
    assert (np.round(proba) == pred).all()
    assert ((clf.decision_function(X) > 0) == pred).all()


def test_regressor_one_and_several_outputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    reg = SKLearnRegressor(epochs=40, **FAST).fit(X, y)
    assert reg.predict(X).shape == (200,) and reg.predict(X).dtype == np.float64
    assert reg.score(X, y) > 0.9
    Y = np.column_stack([y, -y])
    reg = SKLearnRegressor(epochs=40, **FAST).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (200, 2)


def test_transformer_with_and_without_y():
    X = np.random.default_rng(0).normal(size=(64, 5))
    auto = SKLearnTransformer(epochs=2, **FAST).fit(X)
    assert auto.transform(X).shape == (64, 5) and auto.transform(X).dtype == np.float32
    assert auto.get_feature_names_out().tolist()[:2] == ["sklearntransformer0",
                                                          "sklearntransformer1"]
    supervised = SKLearnTransformer(epochs=2, **FAST).fit(X, X[:, :2].sum(1))
    assert supervised.transform(X).shape == (64, 1)


def test_feature_names_in_from_a_dataframe(iris):
    pd = pytest.importorskip("pandas", reason="pandas is in the test extra")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = SKLearnClassifier(epochs=2, **FAST).fit(frame, y)
    assert clf.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    assert clf.n_features_in_ == 4


# -- training ----------------------------------------------------------------------------
def test_partial_fit_needs_classes_once_and_continues(iris):
    X, y = iris
    clf = SKLearnClassifier(**FAST)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    model = clf.model_
    clf.partial_fit(X, y)
    assert clf.model_ is model and clf.epoch_ == 2 and clf.classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match=r"labels not seen in fit: \[7\]"):
        clf.partial_fit(X[:2], [0, 7])


def test_random_state_makes_fit_bit_identical_and_keeps_the_global_generator(iris):
    X, y = iris
    state = dg.random.get_state()
    a = SKLearnClassifier(epochs=3, **FAST).fit(X, y)
    assert dg.random.get_state() == state
    b = SKLearnClassifier(epochs=3, **FAST).fit(X, y)
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        assert np.array_equal(wa, wb)
    c = SKLearnClassifier(epochs=3, **{**FAST, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.model_.get_weights()[0], c.model_.get_weights()[0])


def test_class_weight_moves_predictions_towards_the_heavy_class(iris):
    X, y = iris
    plain = SKLearnClassifier(epochs=5, **FAST).fit(X, y)
    heavy = SKLearnClassifier(epochs=5, class_weight={2: 50.0}, **FAST).fit(X, y)
    assert (heavy.predict(X) == 2).sum() > (plain.predict(X) == 2).sum()
    balanced = SKLearnClassifier(epochs=1, class_weight="balanced", **FAST)
    balanced.fit(X[:120], y[:120])  # 50/50/20: must train without error
    keras_style = SKLearnClassifier(epochs=5, **FAST).fit(X, y, class_weight={2: 50.0})
    assert np.array_equal(keras_style.predict(X), heavy.predict(X))


def test_sample_weight_of_ones_is_no_weight_and_zero_removes_influence(iris):
    X, y = iris
    plain = SKLearnClassifier(epochs=2, **FAST).fit(X, y)
    ones = SKLearnClassifier(epochs=2, **FAST).fit(X, y, sample_weight=np.ones(150))
    assert np.array_equal(plain.predict_proba(X), ones.predict_proba(X))
    with pytest.raises(ValueError, match="only one class has a non-zero weight"):
        SKLearnClassifier(**FAST).fit(X, y, sample_weight=(y == 1).astype(float))


def test_per_output_weights_leave_a_zero_weight_output_out():
    """With weight 0 on label 1, label 1's targets reach no gradient: flipping them
    changes nothing, bit for bit."""
    X, Y = make_multilabel_classification(n_samples=100, n_classes=3, random_state=1)
    weights = np.ones(Y.shape)
    weights[:, 1] = 0.0
    flipped = Y.copy()
    flipped[:, 1] = 1 - flipped[:, 1]
    a = SKLearnClassifier(epochs=3, **FAST).fit(X, Y, sample_weight=weights)
    b = SKLearnClassifier(epochs=3, **FAST).fit(X, flipped, sample_weight=weights)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    c = SKLearnClassifier(epochs=3, **FAST).fit(X, flipped)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    per_label = [{0: 1.0, 1: 1.0}, {0: 0.0, 1: 0.0}, {0: 1.0, 1: 1.0}]
    d = SKLearnClassifier(epochs=3, class_weight=per_label, **FAST).fit(X, flipped)
    assert np.array_equal(a.predict_proba(X), d.predict_proba(X))


def test_per_output_regression_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    Y = np.column_stack([X.sum(1), rng.normal(size=80)])
    weights = np.column_stack([np.ones(80), np.zeros(80)])
    a = SKLearnRegressor(epochs=3, **FAST).fit(X, Y, sample_weight=weights)
    b = SKLearnRegressor(epochs=3, **FAST).fit(X, Y * [1, -5], sample_weight=weights)
    assert np.array_equal(a.predict(X), b.predict(X))


# -- bad input ---------------------------------------------------------------------------
def test_predict_before_fit_is_not_fitted_error(iris):
    X, _ = iris
    for est, method in ((SKLearnClassifier(), "predict"), (SKLearnClassifier(), "predict_proba"),
                        (SKLearnRegressor(), "predict"), (SKLearnTransformer(), "transform")):
        with pytest.raises(NotFittedError, match=f"This {type(est).__name__} instance is not "
                                                  "fitted yet"):
            getattr(est, method)(X)


def test_build_function_returning_something_else(iris):
    X, y = iris

    def not_a_model(X, y):
        return 3

    with pytest.raises(TypeError, match=r"SKLearnClassifier: the build function 'not_a_model' "
                                        r"must return a deepgrad Model .* Received: 3 of type int"):
        SKLearnClassifier(not_a_model).fit(X, y)
    with pytest.raises(TypeError, match=r"SKLearnRegressor: `model` must be a deepgrad Model, a "
                                        r"function .* Received: model='mlp' of type str"):
        SKLearnRegressor("mlp").fit(X, y)


def build(X, units=4):
    return 3


def test_errors_name_the_wrapper_expected_and_received(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"SKLearnClassifier: the build function build takes no "
                                         r"argument 'unitz'. It takes: X, units. Received: "
                                         r"model__unitz=3"):
        SKLearnClassifier(build, model__unitz=3).fit(X, y)
    with pytest.raises(ValueError, match=r"SKLearnRegressor: unknown parameter 'epoch'. Expected "
                                         r".* Received: epoch=3"):
        SKLearnRegressor().set_params(epoch=3).fit(X, y)
    with pytest.raises(ValueError, match=r"SKLearnClassifier: Unknown label type: 'continuous'. "
                                         r"Expected class labels .* Received: y with values"):
        SKLearnClassifier().fit(X, X[:, 0])
    clf = SKLearnClassifier(epochs=1, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but SKLearnClassifier is expecting "
                                         "4 features as input"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match=r"SKLearnClassifier: `sample_weight` must have shape "
                                         r"\(150,\) .* Received: sample_weight.shape=\(3,\)"):
        SKLearnClassifier(**FAST).fit(X, y, sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match="SKLearnClassifier: `class_weight` names the class 5"):
        SKLearnClassifier(class_weight={5: 2.0}, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="SKLearnClassifier: the model is already compiled, so "
                                         "optimizer__learning_rate would be ignored"):
        SKLearnClassifier(keras_dynamic_model, model_kwargs={"loss": "mse"},
                          optimizer__learning_rate=0.1).fit(X, y)
    with pytest.raises(ValueError, match=r"SKLearnClassifier: the model's output does not fit the "
                                         r"3 classes .* Received: output shape \(None, 2\)"):
        SKLearnClassifier(lambda X: dg.Sequential([dg.layers.Input((4,)),
                                                   dg.layers.Dense(2)])).fit(X, y)
