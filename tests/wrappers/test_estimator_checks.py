"""scikit-learn's own estimator checks over the three wrappers, with the default network.

The network is kept tiny (8 hidden units, a few epochs) so that the ~150 checks run in
seconds; the checks that cannot pass are in ``dg.wrappers.EXPECTED_FAILED_CHECKS`` with
their reasons.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from deepgrad.wrappers import (
    EXPECTED_FAILED_CHECKS,
    SKLearnClassifier,
    SKLearnRegressor,
    SKLearnTransformer,
)

_FAST = {"model__units": 8, "optimizer__learning_rate": 0.03, "random_state": 0}

ESTIMATORS = [
    SKLearnClassifier(epochs=20, **_FAST),
    SKLearnRegressor(epochs=20, **_FAST),
    SKLearnTransformer(epochs=5, **_FAST),
]


def test_fewer_expected_failures_than_keras():
    """Keras 3 declares 10 failing checks for its three wrappers."""
    assert sum(len(v) for v in EXPECTED_FAILED_CHECKS.values()) < 10


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS[type(est).__name__],
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_every_expected_failure_has_a_reason(estimator):
    for name, reason in EXPECTED_FAILED_CHECKS[type(estimator).__name__].items():
        assert name.startswith("check_") and len(reason) > 20
