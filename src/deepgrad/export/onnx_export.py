"""``model.export(path, format="onnx")``: a model's inference graph as an ONNX file.

The graph has the model's input and output names, a dynamic batch dimension, the model's
channels-last tensors (Transposes only around the ops ONNX defines channels-first), and
deepgrad's version and the model's name in its metadata. The same model gives the same
bytes. Every layer needs an export rule (:mod:`deepgrad.export.registry`); a layer without
one fails before anything is written.

Needs the ``onnx`` package (``pip install deepgrad[onnx]``); run the file with ONNX Runtime.

>>> import os, tempfile
>>> import deepgrad as dg
>>> model = dg.Sequential([dg.Input(shape=(4,)), dg.layers.Dense(3, activation="softmax")],
...                       name="tiny")
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.onnx")
>>> export_onnx(model, path, verbose=False)
>>> import onnx
>>> proto = onnx.load(path)
>>> [i.name for i in proto.graph.input], [n.op_type for n in proto.graph.node]
(['input_layer'], ['Gemm', 'Softmax', 'Identity'])
"""

from __future__ import annotations

import os

import numpy as np

import deepgrad
from deepgrad import tree
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.trace import is_subclassed, traced
from deepgrad.export.walk import check_exportable, export_graph, graph_of
from deepgrad.formats.atomic import write_atomic

__all__ = ["export_onnx", "onnx_model", "DEFAULT_OPSET", "MIN_OPSET"]

# Opset 17 is the oldest with LayerNormalization and what runtimes of the last years
# read; newer opsets can be asked for.
DEFAULT_OPSET = 17
MIN_OPSET = 17


def _import_onnx():
    try:
        import onnx
    except ImportError as error:  # pragma: no cover - the test extra installs onnx
        raise ImportError(
            "export(format='onnx') needs the `onnx` package. To fix: pip install "
            "'deepgrad[onnx]' (or pip install onnx)."
        ) from error
    return onnx


def _opset(onnx, opset_version) -> int:
    if opset_version is None:
        return DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if (isinstance(opset_version, bool) or not isinstance(opset_version, (int, np.integer))
            or not MIN_OPSET <= opset_version <= newest):
        raise ValueError(
            f"export: `opset_version` must be an int from {MIN_OPSET} to {newest} (the newest "
            f"the installed onnx knows). Received: opset_version={opset_version!r}"
        )
    return int(opset_version)


def _signature_shapes(graph, input_signature) -> list[tuple]:
    """The declared shape of each input: the model's, or the signature's where given."""
    model_shapes = [t.shape for t in graph.inputs]
    if input_signature is None:
        return model_shapes
    given = input_signature
    if not isinstance(given, (list, tuple, dict)) or _is_shape(given):
        given = [given]
    given = tree.flatten(given) if isinstance(given, dict) else list(given)
    if len(given) != len(model_shapes):
        raise ValueError(
            f"export: `input_signature` has {len(given)} entries; model '{graph.model_name}' "
            f"has {len(model_shapes)} inputs. Received: input_signature={input_signature!r}"
        )
    shapes = []
    for spec, expected in zip(given, model_shapes):
        shape = tuple(spec) if _is_shape(spec) else tuple(getattr(spec, "shape", ()))
        fits = len(shape) == len(expected) and all(
            e is None or s == e for s, e in zip(shape, expected))
        if not fits:
            raise ValueError(
                f"export: `input_signature` shape {shape} does not fit model "
                f"'{graph.model_name}''s input shape {expected}."
            )
        shapes.append(tuple(None if s is None else int(s) for s in shape))
    return shapes


def _is_shape(value) -> bool:
    return isinstance(value, (list, tuple)) and all(
        v is None or isinstance(v, (int, np.integer)) for v in value)


def _dims(shape) -> list:
    return ["batch" if i == 0 and s is None else s for i, s in enumerate(shape)]


def onnx_model(model, input_signature=None, opset_version: int | None = None):
    """The ONNX ``ModelProto`` of ``model``'s inference pass, built in memory.

    Args:
        model: a built Sequential, functional or subclassed model (a subclassed model's
            ``call`` is traced on symbolic inputs: see :mod:`deepgrad.export.trace`).
        input_signature: optional shapes for the inputs (KerasTensors, arrays or shape
            tuples), e.g. to fix the batch size; by default the model's (batch dynamic).
        opset_version: the ONNX opset (default 17, at least 17).

    Returns:
        ``onnx.ModelProto``.

    Raises:
        ExportError: for a layer without an export rule (naming the layer and its class),
            or a subclassed model whose ``call`` does work outside layers.
        ValueError: for a model that is not built, or a bad signature or opset.

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.Input(shape=(2,)), dg.layers.Dense(1)], name="m")
    >>> proto = onnx_model(model)
    >>> proto.opset_import[0].version, {p.key: p.value for p in proto.metadata_props}["model_name"]
    (17, 'm')
    """
    onnx = _import_onnx()
    opset = _opset(onnx, opset_version)
    if is_subclassed(model):
        with traced(model, input_signature) as graph:
            check_exportable(graph)
            return _proto(model, graph, input_signature, opset)
    graph = graph_of(model)
    check_exportable(graph)
    return _proto(model, graph, input_signature, opset)


def _proto(model, graph, input_signature, opset: int):
    from onnx import helper

    shapes = _signature_shapes(graph, input_signature)
    b = GraphBuilder(opset)
    input_names = [t.history[0].layer.name for t in graph.inputs]
    output_names = list(dict.fromkeys(graph.output_names))
    if len(output_names) != len(graph.outputs):  # one layer gives several outputs
        output_names = [f"output_{i}" for i in range(len(graph.outputs))]
    for name in input_names + output_names:
        b.reserve(name)
    inputs = [Value({False: n}, shape, t.dtype)
              for n, shape, t in zip(input_names, shapes, graph.inputs)]
    outputs = tree.flatten(export_graph(b, graph, inputs))
    for value, name in zip(outputs, output_names):
        b.scope = "outputs"
        b.nodes.append(helper.make_node("Identity", [b.last(value)], [name],
                                        name=b.unique(f"outputs/{name}")))
    graph_proto = helper.make_graph(
        b.nodes, model.name,
        [helper.make_tensor_value_info(n, b.onnx_type(_numpy_dtype(t.dtype)), _dims(s))
         for n, s, t in zip(input_names, shapes, graph.inputs)],
        [helper.make_tensor_value_info(n, b.onnx_type(_numpy_dtype(t.dtype)), _dims(t.shape))
         for n, t in zip(output_names, graph.outputs)],
        initializer=b.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph_proto, opset_imports=opsets, producer_name="deepgrad",
                              producer_version=deepgrad.__version__,
                              ir_version=helper.find_min_ir_version_for(opsets))
    helper.set_model_props(proto, {"deepgrad_version": deepgrad.__version__,
                                   "model_name": model.name})
    return proto


def _numpy_dtype(name: str):
    return np.dtype("int64") if name == "string" else np.dtype(name)


def export_onnx(model, filepath, verbose: bool | None = None, input_signature=None,
                opset_version: int | None = None, **kwargs) -> None:
    """Write ``model``'s inference pass to ``filepath`` as ONNX (Keras 3's
    ``export_onnx``; ``model.export(filepath, format="onnx")`` calls it).

    Args:
        model: a built Sequential or functional model whose layers all have export rules.
        filepath: where to write (written atomically; nothing is written on failure).
        verbose: print where the file went (default True, as Keras).
        input_signature: see :func:`onnx_model`.
        opset_version: see :func:`onnx_model`.

    Raises:
        TypeError: for keyword arguments export does not know.
        ExportError, ValueError: as :func:`onnx_model`.
    """
    if kwargs:
        raise TypeError(
            f"export: unknown keyword arguments {sorted(kwargs)} for format='onnx' (it takes "
            "verbose, input_signature and opset_version)."
        )
    proto = onnx_model(model, input_signature=input_signature, opset_version=opset_version)
    filepath = os.fspath(filepath)
    write_atomic(filepath, proto.SerializeToString(deterministic=True), who="export")
    if verbose is None or verbose:
        print(f"Saved artifact at '{filepath}'.")
