"""scikit-learn estimators around deepgrad models (Keras 3's ``keras.wrappers``).

``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` take Keras 3's
arguments (``model``, ``warm_start``, ``model_kwargs``, ``fit_kwargs``) and scikeras's
routed parameters (``model__units``, ``optimizer__learning_rate``, ``fit__epochs``,
``epochs``, ``batch_size``, ...), so they work in ``Pipeline``, ``cross_val_score`` and
``GridSearchCV``. They pass scikit-learn's own estimator checks except those listed,
with the reason, in :data:`EXPECTED_FAILED_CHECKS`.

>>> import numpy as np
>>> import deepgrad as dg
>>> from sklearn.model_selection import GridSearchCV
>>> X = np.random.default_rng(0).normal(size=(60, 4)); y = (X[:, 0] > 0).astype(int)
>>> search = GridSearchCV(dg.wrappers.SKLearnClassifier(epochs=5, random_state=0),
...                       {"model__units": [4, 8]}, cv=2).fit(X, y)
>>> sorted(search.best_params_)
['model__units']
"""

from deepgrad.wrappers.checks import EXPECTED_FAILED_CHECKS
from deepgrad.wrappers.estimators import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer",
           "EXPECTED_FAILED_CHECKS"]
