"""What manifest.json says about each artifact, read back from the artifact's own bytes.

Tensor descriptions (both formats):
    {"name": str, "shape": [-1, F] (-1 = resizable batch), "dtype": "float32" | "int8" | ...,
     "quantization": null | {"scale": [float32 ...], "zero_point": [int ...], "axis": int | null}}
`axis` is the per-channel dimension (null for per-tensor). For ONNX it is the DequantizeLinear
axis of the ONNX tensor (weights are (in, units) there, so axis 1; TFLite keeps (units, in),
axis 0). Scales are float32 values written as the shortest decimal that reads back exactly.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from typing import Any

import numpy as np

__all__ = [
    "SCHEMA_VERSION",
    "artifact_record",
    "onnx_description",
    "sha256",
    "tflite_description",
    "versions",
]

SCHEMA_VERSION = 1

_DISTRIBUTIONS = (
    "tinyflash",
    "tensorflow-cpu",
    "keras",
    "numpy",
    "ai-edge-litert",
    "tflite-micro",
    "onnx",
    "onnxruntime",
    "tf2onnx",
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def versions() -> dict[str, str | None]:
    """Installed versions of every package that shaped or checked the artifacts."""
    found: dict[str, str | None] = {}
    for name in _DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _quant(scales: Any, zero_points: Any, axis: int | None) -> dict[str, Any] | None:
    scales = np.asarray(scales, dtype=np.float32).reshape(-1)
    if scales.size == 0:
        return None
    return {
        "scale": [float(s) for s in scales],
        "zero_point": [int(z) for z in np.asarray(zero_points).reshape(-1)],
        "axis": axis if scales.size > 1 else None,
    }


def _tflite_tensor(detail: dict[str, Any]) -> dict[str, Any]:
    q = detail["quantization_parameters"]
    return {
        "name": detail["name"],
        "shape": [int(d) for d in detail.get("shape_signature", detail["shape"])],
        "dtype": np.dtype(detail["dtype"]).name,
        "quantization": _quant(q["scales"], q["zero_points"], int(q["quantized_dimension"])),
    }


def tflite_description(data: bytes) -> dict[str, Any]:
    """Operators, input/output tensors and every quantized tensor of a .tflite file."""
    from ai_edge_litert import interpreter as litert

    from tinyflash.export.tflite import tflite_ops

    interpreter = litert.Interpreter(model_content=data)
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    tensors = [_tflite_tensor(d) for d in interpreter.get_tensor_details()]
    return {
        "format": "tflite",
        "operators": tflite_ops(data),
        "input": _tflite_tensor(inp),
        "output": _tflite_tensor(out),
        "quantized_tensors": sorted(
            (t for t in tensors if t["quantization"]), key=lambda t: t["name"]
        ),
    }


def _onnx_value(value: Any) -> dict[str, Any]:
    from onnx import helper

    tensor_type = value.type.tensor_type
    return {
        "name": value.name,
        "shape": [d.dim_value if d.HasField("dim_value") else -1 for d in tensor_type.shape.dim],
        "dtype": np.dtype(helper.tensor_dtype_to_np_dtype(tensor_type.elem_type)).name,
        "quantization": None,
    }


def onnx_description(data: bytes) -> dict[str, Any]:
    """Operators, input/output and every Quantize/DequantizeLinear-ed tensor of an .onnx file."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.load_from_string(data)
    graph = proto.graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    quantized: dict[str, dict[str, Any]] = {}
    for node in graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            continue
        tensor = node.output[0] if node.op_type == "QuantizeLinear" else node.input[0]
        scale, zero_point = consts[node.input[1]], consts[node.input[2]]
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        record = {
            "name": tensor,
            "dtype": zero_point.dtype.name,
            "shape": list(consts[tensor].shape) if tensor in consts else None,
            "quantization": _quant(scale, zero_point, int(axis)),
        }
        quantized.setdefault(tensor, record)
    (inp,), (out,) = graph.input, graph.output
    described = {"input": _onnx_value(inp), "output": _onnx_value(out)}
    for key, value in described.items():
        if value["name"] in quantized:
            described[key]["quantization"] = quantized[value["name"]]["quantization"]
    return {
        "format": "onnx",
        "opset": max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        "operators": [node.op_type for node in graph.node],
        **described,
        "quantized_tensors": sorted(quantized.values(), key=lambda t: t["name"]),
    }


def artifact_record(file: str, data: bytes, description: dict[str, Any]) -> dict[str, Any]:
    """The manifest entry for one artifact (evaluation is added by the pipeline)."""
    return {"file": file, "sha256": sha256(data), "bytes": len(data), **description}
