"""What a model file holds and what tinyflash can do with it (`tinyflash inspect MODEL`).

    doc = inspect_model("sine.tflite")   # a JSON-able dict: layers, totals, arena, unsupported
    doc = inspect_model("my.keras")      # converted in memory first (tinyflash/inspect_keras.py)

Per operator: its input and output shapes, parameters (elements of its constant inputs:
weights and biases), their int8 bytes (what a full-integer model stores: 1 B per weight, 4 B per
int32 bias) and the bytes the file stores, and multiply-accumulates per inference, counted from
the tensor shapes for FULLY_CONNECTED / MatMul / Gemm (outputs x inputs per output),
CONV_2D / Conv (outputs x kernel height x kernel width x input channels per group) and
DEPTHWISE_CONV_2D (outputs x kernel height x kernel width). Then the activation arena the
generated C would need (firmware_c/plan.py for an int8 .tflite; the float header's own size
for a float one) or why there is none, the flash per Cortex-M core (measured with
arm-none-eabi-gcc, else estimated and said so: tinyflash/inspect_flash.py), and every operator
the Python interpreter or the C generator does not support, named in words with the reason.
Numpy and the standard library only (the .onnx reader needs the onnx package, a .keras file
Keras and TensorFlow).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tinyflash.errors import UserError

__all__ = ["Layer", "TensorRef", "inspect_model", "layer_macs"]


@dataclass(frozen=True)
class TensorRef:
    """One operator input or output: shape as the file declares it (batch included)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    const: bool
    nbytes: int  # bytes of constant data stored in the file (0 for activations)


@dataclass(frozen=True)
class Layer:
    index: int
    op: str
    inputs: tuple[TensorRef, ...]
    outputs: tuple[TensorRef, ...]
    options: dict[str, Any] = field(default_factory=dict)


def _elements(shape: tuple[int, ...]) -> int:
    """Elements per inference: a symbolic (-1) or zero batch dimension counts as 1."""
    return math.prod(max(d, 1) for d in shape)


def layer_macs(layer: Layer) -> int:
    """Multiply-accumulates of one inference, from the tensor shapes (0 for other operators).
    TFLite filters: FULLY_CONNECTED (out, in); CONV_2D (out_ch, kh, kw, in_ch / groups);
    DEPTHWISE_CONV_2D (1, kh, kw, out_ch). ONNX: MatMul (.., K, N), Gemm B (K, N) or (N, K)
    with transB, Conv W (out_ch, in_ch / groups, kh, kw)."""
    out = _elements(layer.outputs[0].shape) if layer.outputs else 0
    ins = [t.shape for t in layer.inputs]
    if layer.op in ("MatMul", "Gemm") and layer.outputs and not layer.outputs[0].shape:
        return math.prod(max(d, 1) for d in ins[1]) if len(ins) > 1 else 0  # one row (unknown)
    if layer.op == "FULLY_CONNECTED" and len(ins) > 1 and len(ins[1]) == 2:
        return out * ins[1][1]
    if layer.op == "CONV_2D" and len(ins) > 1 and len(ins[1]) == 4:
        return out * math.prod(ins[1][1:])
    if layer.op == "DEPTHWISE_CONV_2D" and len(ins) > 1 and len(ins[1]) == 4:
        return out * ins[1][1] * ins[1][2]
    if layer.op == "MatMul" and len(ins) > 1 and len(ins[1]) >= 2:
        return out * ins[1][-2]
    if layer.op == "Gemm" and len(ins) > 1 and len(ins[1]) == 2:
        return out * ins[1][1 if layer.options.get("transB") else 0]
    if layer.op == "Conv" and len(ins) > 1 and len(ins[1]) >= 3:
        return out * math.prod(ins[1][1:])
    return 0


WEIGHTED = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV")
VALUE_TYPES = ("float32", "float16", "int8", "uint8", "int16")


def _params(layer: Layer) -> list[TensorRef]:
    """The constants that are the layer's parameters: a weighted TFLite operator's weights and
    int32 bias; a (de)quantize's input 0 (not its scale and zero point); otherwise constants
    of a value type (not the int32 / int64 shapes and indices of RESHAPE or STRIDED_SLICE)."""
    if layer.op in ("QuantizeLinear", "DequantizeLinear"):
        return [t for t in layer.inputs[:1] if t.const]
    if layer.op in WEIGHTED:
        return [t for t in layer.inputs if t.const]
    return [t for t in layer.inputs if t.const and t.dtype in VALUE_TYPES]


def _int8_bytes(t: TensorRef) -> int:
    """Bytes in a full-integer model: weights int8 (1 B), biases (1-D) int32 (4 B)."""
    n = _elements(t.shape)
    return 4 * n if len(t.shape) <= 1 else n


def _ref(graph: Any, i: int, traced: dict[str, tuple[int, ...]]) -> TensorRef:
    t = graph.tensors[i]
    nbytes = 0 if t.data is None else int(t.data.nbytes)
    shape = tuple(t.shape)
    if t.data is None and t.name in traced and (not shape or -1 in shape[1:]):
        shape = traced[t.name]  # ONNX: a shape inference could not know (after a Reshape)
    return TensorRef(t.name, shape, t.dtype, t.data is not None, nbytes)


def _layers_from_graph(graph: Any, traced: dict[str, tuple[int, ...]]) -> list[Layer]:
    return [
        Layer(k, op.op, tuple(_ref(graph, i, traced) for i in op.inputs if i != -1),
              tuple(_ref(graph, i, traced) for i in op.outputs), dict(op.options))
        for k, op in enumerate(graph.operators)
    ]  # fmt: skip


def _traced_shapes(model: Any) -> dict[str, tuple[int, ...]]:
    """Every activation's shape for one row of zeros (the runtime computes them all)."""
    import numpy as np

    values = model.trace(np.zeros((1, *model.input.shape), model.input.dtype))
    return {name: tuple(v.shape) for name, v in values.items()}


def _layers_from_flatbuffer(data: bytes) -> list[Layer]:
    """Operators and tensor shapes of a .tflite whose operators the validated reader refuses
    (schema.fbs: Model.operator_codes 1, subgraphs 2, buffers 4; SubGraph.tensors 0,
    operators 3; Tensor shape 0, type 1, buffer 2, name 3; Operator opcode_index 0, inputs 1,
    outputs 2). Reads are bounds-checked by the runtime's FlatBuffers reader."""
    from tinyflash.runtime.flatbuffer import Buffer
    from tinyflash.runtime.tflite_schema import BUILTIN_OPERATORS, TENSOR_TYPE_NAMES

    model = Buffer(data).root("model")
    names = []
    for t in model.tables(1, "operator_codes"):
        code = max(t.scalar(3, "i32", 0, "builtin_code"), t.scalar(0, "i8", 0, "deprecated"))
        names.append(BUILTIN_OPERATORS.get(code, f"builtin operator code {code}"))
    sizes = []
    for b in model.tables(4, "buffers"):
        arr = b.array(0, "data", "u8")
        sizes.append(0 if arr is None else len(arr))
    sub = model.tables(2, "subgraphs")[0]
    tensors = []
    for k, t in enumerate(sub.tables(0, "tensors")):
        dims = t.array(0, "shape", "i32")
        shape = () if dims is None else tuple(int(d) for d in dims)
        kind = TENSOR_TYPE_NAMES.get(t.scalar(1, "i8", 0, "type"), "?").lower()
        nbytes = sizes[b] if (b := t.scalar(2, "u32", 0, "buffer")) < len(sizes) else 0
        tensors.append(TensorRef(t.string(3, "name") or f"tensor{k}", shape, kind, nbytes > 0,
                                 nbytes))  # fmt: skip
    layers = []
    for k, op in enumerate(sub.tables(3, "operators")):
        index = op.scalar(0, "u32", 0, "opcode_index")
        ins, outs = (op.array(f, n, "i32") for f, n in ((1, "inputs"), (2, "outputs")))
        pick = [tensors[i] for i in (() if ins is None else ins) if 0 <= i < len(tensors)]
        made = [tensors[i] for i in (() if outs is None else outs) if 0 <= i < len(tensors)]
        name = names[index] if index < len(names) else f"opcode {index}"
        layers.append(Layer(k, name, tuple(pick), tuple(made)))
    return layers


def _support(model: Any, path: Path, data: bytes, fmt: str) -> tuple[dict, list[dict]]:
    """(arena, C unsupported entries) for a model the runtime loaded."""
    from tinyflash.firmware_c.plan import SUPPORTED, plan_int8

    if fmt != "tflite":
        reason = "the C generator reads .tflite files only (convert the model to TFLite first)"
        return {"bytes": None, "reason": reason}, []
    if model.input.dtype != "float32":
        missing = _c_missing(model, SUPPORTED, "int8")
        try:
            plan = plan_int8(model)
        except UserError as exc:
            return {"bytes": None, "reason": str(exc)}, missing or [_entry(None, "c", str(exc))]
        return {"bytes": plan.arena_bytes, "by": "firmware_c/plan.py (int8 header)"}, []
    from tinyflash.firmware_c.generate import generate_float_header
    from tinyflash.firmware_c.plan import supported

    missing = _c_missing(model, supported("float32"), "float32")
    try:
        text = generate_float_header(path, "inspect")
    except UserError as exc:
        return {"bytes": None, "reason": str(exc)}, missing or [_entry(None, "c", str(exc))]
    found = re.search(r"#define INSPECT_ARENA_SIZE (\d+)", text)
    arena = int(found.group(1)) if found else None
    return {"bytes": arena, "by": "firmware_c/generate.py (float32 header)"}, []


def _entry(
    layer: Layer | None, stage: str, reason: str, supported: list[str] | None = None
) -> dict:
    """One unsupported thing: where (operator index and name), which stage (runtime or c),
    why in words, and what that stage supports."""
    where = {} if layer is None else {"index": layer.index, "op": layer.op}
    return {**where, "stage": stage, "reason": reason, "supported": supported or []}


def _c_missing(model: Any, supported: tuple[str, ...], kind: str) -> list[dict]:
    from tinyflash.firmware_c.plan import SHAPE_OPS  # dropped when they only shape a RESHAPE

    skip = (*SHAPE_OPS, "QUANTIZE", "DEQUANTIZE") if kind == "int8" else SHAPE_OPS
    layers = _layers_from_graph(model.graph, {})
    return [
        _entry(x, "c", f"no {kind} C kernel", list(supported))
        for x in layers
        if x.op not in supported and x.op not in skip
    ]


def inspect_model(path: str | Path, flash: bool = False) -> dict[str, Any]:
    """The inspect document of a .tflite, .onnx or .keras file (see the module docstring).
    flash: add "flash", the generated C's flash per Cortex-M core (tinyflash/inspect_flash.py;
    it builds the C for each core: `tinyflash inspect` does, report.py does not)."""
    import tinyflash.runtime as rt
    from tinyflash.runtime.interpreter import kernels_for

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such model file")
    if path.suffix.lower() == ".keras":
        from tinyflash.inspect_keras import inspect_keras

        return inspect_keras(path, flash)
    fmt = {".tflite": "tflite", ".onnx": "onnx"}.get(path.suffix.lower())
    if fmt is None:
        raise UserError(f"{path}: supported model files are .tflite, .onnx and .keras")
    data = path.read_bytes()
    unsupported: list[dict] = []
    model, graph = None, None
    try:
        model = rt.load(path)
        graph = model.graph
    except rt.UnsupportedOperatorError as exc:
        unsupported.append(_entry(None, "runtime", str(exc)))
        if fmt == "onnx":
            from tinyflash.runtime.onnx import read_onnx

            graph = read_onnx(data)
    if graph is not None:
        layers = _layers_from_graph(graph, {} if model is None else _traced_shapes(model))
        kernels = sorted(kernels_for(graph))
        unsupported = [
            _entry(x, "runtime", "it has no kernel", kernels) for x in layers if x.op not in kernels
        ] or unsupported
    else:
        from tinyflash.runtime.tflite import supported_operators

        layers = _layers_from_flatbuffer(data)
        known = supported_operators()
        unsupported = [
            _entry(x, "runtime", "the .tflite reader and the interpreter do not know it", known)
            for x in layers
            if x.op not in known
        ] or unsupported  # fmt: skip
    if model is not None:
        arena, c_missing = _support(model, path, data, fmt)
    else:
        arena, c_missing = (
            {"bytes": None, "reason": "the model does not load (see unsupported)"},
            [],
        )
    rows: list[dict[str, Any]] = []
    for x in layers:
        params = _params(x)
        rows.append({
            "index": x.index, "op": x.op,
            "inputs": [{**asdict(t), "shape": list(t.shape)} for t in x.inputs],
            "outputs": [{**asdict(t), "shape": list(t.shape)} for t in x.outputs],
            "params": sum(_elements(t.shape) for t in params),
            "int8_bytes": sum(_int8_bytes(t) for t in params),
            "stored_bytes": sum(t.nbytes for t in params),
            "macs": layer_macs(x),
        })  # fmt: skip
    io = {}
    if model is not None:
        io = {"input": asdict(model.input), "output": asdict(model.output)}
    total = {k: sum(r[k] for r in rows) for k in ("params", "int8_bytes", "stored_bytes", "macs")}
    doc = {
        "file": str(path),
        "format": fmt,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        **io,
        "layers": rows,
        "total": total,
        "arena": arena,
        "unsupported": unsupported + c_missing,
    }
    if flash:
        from tinyflash.inspect_flash import flash_per_core

        kept = total["stored_bytes"] if fmt == "tflite" else total["int8_bytes"]
        doc["flash"] = flash_per_core(path, kept)
    return doc
