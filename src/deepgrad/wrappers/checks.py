"""The scikit-learn estimator checks the wrappers do not pass, each with its reason.

Given to ``parametrize_with_checks(..., expected_failed_checks=...)`` by the test suite
(``tests/wrappers/test_estimator_checks.py``).

>>> sorted(EXPECTED_FAILED_CHECKS)
['SKLearnClassifier', 'SKLearnRegressor', 'SKLearnTransformer']
"""

from __future__ import annotations

__all__ = ["EXPECTED_FAILED_CHECKS"]

_SAMPLE_WEIGHT = (
    "minibatch training: a sample of weight 2 counts twice in its batch, while a repeated "
    "sample lands in another batch and changes the number of steps; Keras's loss also "
    "divides by the batch size, not by the sum of the weights. Weighting equals "
    "repeating only for full-batch training, and then only to float rounding."
)

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    name: {"check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT}
    for name in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer")
}
