"""``FeatureSpace``: Keras 3's one-stop preprocessing of structured (tabular) data.

Each named column gets a preprocessing layer (normalization, rescaling, discretization,
a lookup or hashing), chosen columns are crossed (hashed together), categorical results
are one-hot encoded, and everything is concatenated into one float vector per row (or
returned as a dict). ``adapt`` learns the statistics and vocabularies from the data.

>>> import numpy as np
>>> import deepgrad as dg
>>> data = {"age": np.array([20.0, 40.0, 60.0]), "city": np.array(["Oslo", "Lima", "Oslo"]),
...         "rooms": np.array([1, 2, 3])}
>>> space = dg.utils.FeatureSpace(
...     features={"age": "float_normalized", "city": "string_categorical",
...               "rooms": "integer_categorical"},
...     crosses=[("city", "rooms")], crossing_dim=8)
>>> space.adapt(data)
>>> space(data).shape    # age 1 + city 3 (with OOV) + rooms 4 + the cross 8
(3, 16)
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers
from deepgrad.layers.base import Layer, unique_name
from deepgrad.layers.nested import deserialize_sublayer, serialize_sublayer
from deepgrad.tensor import Tensor

__all__ = ["FeatureSpace", "Feature", "Cross"]

_DTYPES = ("float32", "int32", "string")


class Cross:
    """A feature cross: ``feature_names`` hashed together into ``crossing_dim`` bins.

    >>> Cross(("city", "rooms"), crossing_dim=16).name
    'city_X_rooms'
    """

    def __init__(self, feature_names, crossing_dim: int, output_mode: str = "one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError("FeatureSpace.cross: `output_mode` must be one of 'int', "
                             f"'one_hot'. Received: output_mode={output_mode!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = int(crossing_dim)
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict:
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config: dict) -> Cross:
        return cls(**config)


class Feature:
    """One column's input dtype, preprocessing layer and encoding (``'int'``,
    ``'one_hot'`` or ``'float'``).

    >>> Feature("float32", dg.layers.Rescaling(0.5), "float").output_mode
    'float'
    """

    def __init__(self, dtype: str, preprocessor, output_mode: str):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError("FeatureSpace.feature: `output_mode` must be one of 'int', "
                             f"'one_hot', 'float'. Received: output_mode={output_mode!r}")
        if dtype not in _DTYPES:
            raise ValueError(f"FeatureSpace.feature: `dtype` must be one of {_DTYPES}. "
                             f"Received: dtype={dtype!r}")
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_sublayer(preprocessor)
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "preprocessor": serialize_sublayer(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config: dict) -> Feature:
        return cls(**config)


def _adaptable(layer) -> bool:
    """Keras's rule: a layer with ``adapt`` learns from the data unless it was given what
    it would learn (a Normalization's mean, a lookup's or TextVectorization's vocabulary,
    a Discretization's boundaries)."""
    if not hasattr(layer, "adapt"):
        return False
    config = layer.get_config()
    return all(config.get(key) is None for key in ("mean", "vocabulary", "bin_boundaries"))


def _array(value) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def _cardinality(layer) -> int | None:
    if isinstance(layer, (layers.StringLookup, layers.IntegerLookup)):
        return layer.vocabulary_size()
    if isinstance(layer, layers.CategoryEncoding):
        return layer.num_tokens
    if isinstance(layer, layers.Discretization) and layer.num_bins is None:
        return len(layer.get_config()["bin_boundaries"]) + 1
    if isinstance(layer, (layers.Discretization, layers.Hashing, layers.HashedCrossing)):
        return layer.num_bins
    return None


class FeatureSpace(Layer):
    """Preprocess and encode a dict of columns, as Keras 3's ``keras.utils.FeatureSpace``.

    Args:
        features: ``{name: type}``, a type being one of ``'float'``, ``'float_normalized'``,
            ``'float_rescaled'``, ``'float_discretized'``, ``'integer_categorical'``,
            ``'string_categorical'``, ``'integer_hashed'``, ``'string_hashed'``, or a
            ``FeatureSpace.<type>(...)`` / ``FeatureSpace.feature(...)`` object.
        output_mode: ``'concat'`` (one float matrix) or ``'dict'`` (one entry per feature
            and cross).
        crosses: pairs (or tuples) of feature names, or ``FeatureSpace.cross(...)``.
        crossing_dim, hashing_dim, num_discretization_bins: the defaults of crosses,
            hashed features and ``'float_discretized'`` (32 each).

    The encoded columns come in Keras's order: features sorted by name, then crosses
    sorted by name. Crosses hash the features' preprocessed values, as Keras's do.

    deepgrad differs from Keras here: called on data, it returns NumPy arrays (ready for
    ``fit`` and ``Dataset.map``); and it has no ``save``: keep the fitted preprocessing by
    saving the model built on :meth:`get_inputs` and :meth:`get_encoded_features`
    (``dg.Model(space.get_inputs(), outputs).save(...)``), whose layers carry the learned
    vocabularies and statistics.
    """

    # -- feature types, Keras's class methods -------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim: int, output_mode: str = "one_hot") -> Cross:
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor, output_mode: str) -> Feature:
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None) -> Feature:
        name = name or unique_name("float")
        return Feature("float32", layers.Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None) -> Feature:
        name = name or unique_name("float_rescaled")
        return Feature("float32", layers.Rescaling(scale, offset, name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_normalized(cls, name=None) -> Feature:
        name = name or unique_name("float_normalized")
        return Feature("float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot",
                          name=None) -> Feature:
        name = name or unique_name("float_discretized")
        # Keras passes both and its layer then refuses them; given boundaries win here.
        layer = layers.Discretization(num_bins=None if bin_boundaries else num_bins,
                                      bin_boundaries=bin_boundaries,
                                      name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None) -> Feature:
        name = name or unique_name("integer_categorical")
        layer = layers.IntegerLookup(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                                     name=f"{name}_preprocessor")
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None) -> Feature:
        name = name or unique_name("string_categorical")
        layer = layers.StringLookup(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                                    name=f"{name}_preprocessor")
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None) -> Feature:
        name = name or unique_name("string_hashed")
        return Feature("string", layers.Hashing(num_bins, name=f"{name}_preprocessor"),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None) -> Feature:
        name = name or unique_name("integer_hashed")
        return Feature("int32", layers.Hashing(num_bins, name=f"{name}_preprocessor"),
                       output_mode)

    # -- construction ------------------------------------------------------------------
    def __init__(self, features: dict, output_mode: str = "concat", crosses=None,
                 crossing_dim: int = 32, hashing_dim: int = 32,
                 num_discretization_bins: int = 32, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features:
            raise ValueError("FeatureSpace: `features` must be a non-empty dict. "
                             f"Received: features={features!r}")
        if output_mode not in ("dict", "concat"):
            raise ValueError("FeatureSpace: `output_mode` must be one of 'dict', 'concat'. "
                             f"Received: output_mode={output_mode!r}")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {n: self._standardize_feature(n, f) for n, f in features.items()}
        self.crosses = [self._standardize_cross(c) for c in crosses or []]
        self.crosses_by_name = {c.name: c for c in self.crosses}
        self.preprocessors = {n: f.preprocessor for n, f in self.features.items()}
        self.crossers = {c.name: layers.HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.inputs = {n: layers.Input(shape=(1,), dtype=f.dtype, name=n)
                       for n, f in self.features.items()}
        self.one_hot_encoders: dict = {}
        self.encoded_features = None
        self._is_adapted = not any(_adaptable(p) for p in self.preprocessors.values())

    def _standardize_feature(self, name: str, feature) -> Feature:
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature.get("config", feature))
        simple = {"float": self.float, "float_normalized": self.float_normalized,
                  "float_rescaled": self.float_rescaled,
                  "integer_categorical": self.integer_categorical,
                  "string_categorical": self.string_categorical}
        if feature in simple:
            return simple[feature](name=name)
        if feature == "float_discretized":
            return self.float_discretized(self.num_discretization_bins, name=name)
        if feature in ("integer_hashed", "string_hashed"):
            make = self.integer_hashed if feature == "integer_hashed" else self.string_hashed
            return make(self.hashing_dim, name=name)
        raise ValueError(
            f"FeatureSpace: feature {name!r} has an unknown type {feature!r}. Expected one of "
            "'float', 'float_normalized', 'float_rescaled', 'float_discretized', "
            "'integer_categorical', 'string_categorical', 'integer_hashed', "
            "'string_hashed', or a FeatureSpace.feature(...).")

    def _standardize_cross(self, cross) -> Cross:
        if isinstance(cross, dict):
            cross = Cross.from_config(cross.get("config", cross))
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError("FeatureSpace: `crosses` need a `crossing_dim`. "
                                 f"Received: crossing_dim={self.crossing_dim!r}")
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [n for n in cross.feature_names if n not in self.features]
        if unknown:
            raise ValueError(f"FeatureSpace: the cross {cross.feature_names} names features "
                             f"that are not in `features`: {unknown}. Known: "
                             f"{sorted(self.features)}")
        return cross

    # -- adapt -------------------------------------------------------------------------
    def adapt(self, dataset, verbose: int = 0) -> None:
        """Learn every adaptable preprocessor's state from ``dataset``: a dict of columns
        (arrays or lists), or a ``dg.data.Dataset`` of such dicts (batched or not)."""
        columns = self._columns(dataset)
        for name, preprocessor in self.preprocessors.items():
            if _adaptable(preprocessor):
                preprocessor.adapt(columns[name])
        self._is_adapted = True
        self.encoded_features = None
        self.one_hot_encoders = {}

    def _columns(self, dataset) -> dict:
        if isinstance(dataset, dict):
            parts = [dataset]
        elif hasattr(dataset, "as_numpy_iterator") or hasattr(dataset, "__iter__"):
            parts = list(dataset)
            if parts and isinstance(parts[0], tuple):  # (features, labels) elements
                parts = [p[0] for p in parts]
        else:
            parts = []
        if not parts or not all(isinstance(p, dict) for p in parts):
            raise ValueError(
                "FeatureSpace.adapt: expected a dict of columns or a Dataset of dicts. "
                f"Received: {type(dataset).__name__}")
        self._check_columns("FeatureSpace.adapt", parts[0])
        return {n: np.concatenate([np.asarray(p[n]).reshape(-1, 1) for p in parts])
                for n in self.features}

    def _check_columns(self, where: str, data: dict) -> None:
        missing = [n for n in self.features if n not in data]
        if missing:
            raise ValueError(f"{where}: the data has no column(s) {missing}. "
                             f"Received columns: {sorted(data)}")

    # -- encoding ----------------------------------------------------------------------
    def get_inputs(self) -> dict:
        """Keras Inputs, one ``(None, 1)`` per feature, for a functional model."""
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of :meth:`get_inputs` (a KerasTensor, or a dict of them)."""
        self._check_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._encode(self.inputs)
        return self.encoded_features

    def _check_adapted(self) -> None:
        if not self._is_adapted:
            raise ValueError("FeatureSpace: call `.adapt(data)` before encoding: the "
                             f"preprocessors of {sorted(self._unadapted())} learn from data.")

    def _unadapted(self) -> list:
        return [n for n, p in self.preprocessors.items() if _adaptable(p)]

    def _encoder(self, name: str, spec, preprocessor):
        if spec.output_mode != "one_hot":
            return None
        if name not in self.one_hot_encoders:
            tokens = _cardinality(preprocessor)
            if tokens is None:
                raise ValueError(
                    f"FeatureSpace: feature {name!r} has output_mode='one_hot', but its "
                    f"preprocessor {type(preprocessor).__name__} has no known number of "
                    "values to one-hot encode. Use output_mode='int'.")
            self.one_hot_encoders[name] = layers.CategoryEncoding(tokens, "multi_hot")
        return self.one_hot_encoders[name]

    def _encode(self, data: dict):
        processed = {n: self.preprocessors[n](data[n]) for n in sorted(self.features)}
        crossed = {c.name: self.crossers[c.name]([processed[n] for n in c.feature_names])
                   for c in sorted(self.crosses, key=lambda c: c.name)}
        encoded = {}
        for name, value in [*processed.items(), *crossed.items()]:
            spec = self.features.get(name) or self.crosses_by_name[name]
            layer = self.preprocessors.get(name) or self.crossers[name]
            encoder = self._encoder(name, spec, layer)
            encoded[name] = value if encoder is None else encoder(value)
        if self.output_mode == "dict":
            return encoded
        for name, value in encoded.items():
            if not np.issubdtype(np.dtype(value.dtype), np.floating):
                raise ValueError(
                    f"FeatureSpace: cannot concatenate feature {name!r}, which is not "
                    f"encoded (dtype {value.dtype}). Use output_mode='dict', or one_hot.")
        values = list(encoded.values())
        return values[0] if len(values) == 1 else layers.concatenate(values, axis=-1)

    def __call__(self, data):
        """Encode a dict of columns: one row per sample (a single sample of scalars gives
        one unbatched vector)."""
        self._check_adapted()
        if not isinstance(data, dict):
            raise ValueError("FeatureSpace: call it on a dict of columns. Received: "
                             f"{type(data).__name__}")
        self._check_columns("FeatureSpace", data)
        arrays = {n: np.asarray(data[n]) for n in self.features}
        single = all(a.ndim == 0 for a in arrays.values())
        arrays = {n: a.reshape(-1, 1) if a.ndim <= 1 else a for n, a in arrays.items()}
        out = self._encode(arrays)
        if self.output_mode == "dict":
            out = {n: _array(v) for n, v in out.items()}
            return {n: v[0] for n, v in out.items()} if single else out
        out = _array(out)
        return out[0] if single else out

    def get_config(self) -> dict:
        return {**super().get_config(),
                "features": {n: f.get_config() for n, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [c.get_config() for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}
