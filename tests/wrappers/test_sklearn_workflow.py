"""The wrappers inside scikit-learn's tools: search, cross-validation, pipelines, ensembles,
calibration, and pickling (the model travels as the bytes of its file)."""

import pickle
import pickletools

import joblib
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_iris
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
    learning_curve,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import deepgrad as dg
from deepgrad.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

FAST = {"model__units": 8, "optimizer__learning_rate": 0.03, "random_state": 0}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def _net(epochs=15):
    return SKLearnClassifier(epochs=epochs, **FAST)


def _pickled_globals(blob: bytes) -> set[str]:
    found = set()
    strings = []
    for op, arg, _ in pickletools.genops(blob):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            found.add(".".join(strings[-2:]))
        elif op.name == "GLOBAL":
            found.add(arg.replace(" ", "."))
    return found


def test_pickle_holds_the_model_file_bytes_not_model_objects(iris):
    X, y = iris
    clf = _net(3).fit(X, y)
    blob = pickle.dumps(clf)
    globals_used = _pickled_globals(blob)
    assert not any(name.startswith(("deepgrad.models", "deepgrad.layers", "deepgrad.tensor",
                                    "deepgrad.optimizers")) for name in globals_used)
    assert "deepgrad.wrappers.base._SavedModel" in globals_used
    restored = pickle.loads(blob)
    assert isinstance(restored.model_, dg.Model)
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
    restored.partial_fit(X, y)  # optimizer state came back too
    assert restored.epoch_ == 4


def test_pickle_a_model_parameter_and_joblib(tmp_path, iris):
    X, y = iris
    model = dg.Sequential([dg.layers.Input((4,)), dg.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    clf = SKLearnClassifier(model, epochs=2, random_state=0).fit(X, y)
    path = tmp_path / "clf.joblib"
    joblib.dump(clf, path)
    restored = joblib.load(path)
    assert isinstance(restored.model, dg.Model) and restored.model is not model
    assert np.array_equal(restored.predict(X), clf.predict(X))


def test_grid_search_over_routed_parameters_in_two_processes(iris):
    X, y = iris
    grid = {"model__units": [4, 8], "optimizer__learning_rate": [0.03]}
    search = GridSearchCV(_net(5), grid, cv=2, n_jobs=2).fit(X, y)
    assert set(search.best_params_) == set(grid)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    serial = GridSearchCV(_net(5), grid, cv=2, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])


def test_pipeline_cross_val_score_and_cross_validate(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("net", _net())])
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and scores.mean() > 0.8
    results = cross_validate(pipe, X, y, cv=3, return_estimator=True, return_train_score=True,
                             params={"net__sample_weight": np.ones(len(y))})
    assert len(results["estimator"]) == 3 and results["train_score"].mean() > 0.8
    pipe.set_params(net__model__units=4)
    assert pipe.get_params()["net__model__units"] == 4


def test_learning_curve(iris):
    X, y = iris
    sizes, train, test = learning_curve(_net(5), X, y, cv=3, train_sizes=[0.5, 1.0],
                                        shuffle=True, random_state=0)
    assert sizes.tolist() == [50, 100] and train.shape == test.shape == (2, 3)


def test_calibration_voting_and_stacking(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    calibrated = CalibratedClassifierCV(_net(), cv=3).fit(X, y)
    np.testing.assert_allclose(calibrated.predict_proba(X).sum(1), 1.0, rtol=1e-6)
    voting = VotingClassifier([("net", _net()), ("lr", LogisticRegression())],
                              voting="soft").fit(X, y)
    assert voting.score(X, y) > 0.8
    stacking = StackingClassifier([("net", _net()), ("lr", LogisticRegression())],
                                  final_estimator=LogisticRegression(), cv=3).fit(X, y)
    assert stacking.score(X, y) > 0.8


def test_regressor_and_transformer_in_pipelines(iris):
    X, y = iris
    reg = Pipeline([("scale", StandardScaler()), ("net", SKLearnRegressor(epochs=10, **FAST))])
    folds = KFold(3, shuffle=True, random_state=0)
    assert cross_val_score(reg, X[:, :3], X[:, 3], cv=folds).mean() > 0.5
    features = Pipeline([("scale", StandardScaler()),
                         ("embed", SKLearnTransformer(epochs=5, **FAST)),
                         ("lr", LogisticRegression())])
    assert features.fit(X, y).score(X, y) > 0.8
