"""The custom-object registry, re-exported where Keras keeps it (``keras.saving``).

It lives in :mod:`deepgrad.registry`, a leaf module with no imports from deepgrad, so that
activations, initializers and regularizers below the layers can look names up in it.
"""

from deepgrad.registry import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    is_registered,
    register_keras_serializable,
    resolve,
)
