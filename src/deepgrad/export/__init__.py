"""Export a model for deployment: ``model.export(path, format="onnx")``.

:func:`export_onnx` writes the model's inference pass as an ONNX file for ONNX Runtime
(a server, a phone, a browser); :func:`onnx_model` gives the ``onnx.ModelProto``. Each
layer is written by an export rule; a custom layer gets one with
:func:`register_export_rule`. Needs ``pip install deepgrad[onnx]``.

>>> import deepgrad as dg
>>> callable(dg.export.export_onnx)
True
"""

from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.onnx_export import export_onnx, onnx_model
from deepgrad.export.registry import ExportError, find_rule, register_export_rule

__all__ = ["export_onnx", "onnx_model", "register_export_rule", "find_rule", "ExportError",
           "GraphBuilder", "Value"]
