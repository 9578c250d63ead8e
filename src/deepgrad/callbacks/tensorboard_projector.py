"""The embedding projector files of the TensorBoard callback (``embeddings_freq``).

TensorBoard's projector reads ``projector_config.pbtxt`` in a run's folder. Keras points it
at a TensorFlow checkpoint; deepgrad writes each ``Embedding`` layer's table as a
tab-separated file next to the config (the projector's ``tensor_path`` form), replaced
atomically every ``embeddings_freq`` epochs, so no TensorFlow is needed.

>>> import tempfile
>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Embedding(5, 2, input_shape=(3,))])
>>> folder = tempfile.mkdtemp()
>>> write_projector(folder, model, None)
['embedding']
>>> sorted(os.listdir(folder))
['embedding.tsv', 'projector_config.pbtxt']
"""

from __future__ import annotations

import io
import os

import numpy as np

from deepgrad.formats.atomic import write_atomic
from deepgrad.layers.embedding import Embedding

__all__ = ["write_projector", "embedding_layers", "check_metadata"]

CONFIG = "projector_config.pbtxt"


def embedding_layers(model) -> list:
    """The model's ``Embedding`` layers, nested models included."""
    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, Embedding):
            found.append(layer)
        elif isinstance(getattr(layer, "layers", None), list):
            found.extend(embedding_layers(layer))
    return found


def check_metadata(model, metadata) -> None:
    """Keras's check: a dict of metadata files may name only the model's embedding layers."""
    if isinstance(metadata, dict):
        names = {layer.name for layer in embedding_layers(model)}
        unknown = sorted(set(metadata) - names)
        if unknown:
            raise ValueError(
                "Unrecognized `Embedding` layer names passed to `keras.callbacks.TensorBoard` "
                f"`embeddings_metadata` argument: {unknown}"
            )


def write_projector(folder: str, model, metadata) -> list[str]:
    """Write every embedding table and the projector's config into ``folder``.

    Args:
        folder: the run's folder (``<log_dir>/train``).
        model: the model.
        metadata: None, one metadata file for every layer, or ``{layer name: file}``.

    Returns:
        The names of the layers written.
    """
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2

    os.makedirs(folder, exist_ok=True)
    config = projector_config_pb2.ProjectorConfig()
    written = []
    for layer in embedding_layers(model):
        table = np.asarray(layer.embeddings.numpy(), dtype=np.float32)
        text = io.StringIO()
        np.savetxt(text, table, fmt="%.9g", delimiter="\t")  # 9 digits: float32 exactly
        write_atomic(os.path.join(folder, f"{layer.name}.tsv"), text.getvalue().encode(),
                     who="TensorBoard")
        entry = config.embeddings.add()
        entry.tensor_name = layer.name
        entry.tensor_path = f"{layer.name}.tsv"
        entry.tensor_shape.extend(table.shape)
        path = metadata.get(layer.name) if isinstance(metadata, dict) else metadata
        if path:
            entry.metadata_path = os.fspath(path)
        written.append(layer.name)
    write_atomic(os.path.join(folder, CONFIG), text_format.MessageToString(config).encode(),
                 who="TensorBoard")
    return written
