"""Read a .tflite file into a validated `Graph`.

Reader: our own bounds-checked FlatBuffers reader (`flatbuffer.py`), not the `flatbuffers`
package with generated accessors: the runtime depends on numpy only, and generated accessors do
no bounds checking, so a truncated or hostile file would surface as IndexError / struct.error or
garbage. Here every offset, vector length, index, dtype, shape and quantization array is checked
while the file is walked, and anything wrong raises `ModelFormatError` naming the tensor or
operator. Schema: tensorflow/compiler/mlir/lite/schema/schema.fbs (field numbers below);
operator names in tflite_schema.py, options decoded per table type in tflite_options.py.

Scope: one subgraph; builtin operators only (custom ops raise UnsupportedOperatorError);
dense tensors of float32/int8/uint8/int16/int32/int64; constant data inside the file.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from tinyflash.runtime.errors import ModelFormatError, UnsupportedOperatorError
from tinyflash.runtime.flatbuffer import Buffer, Table
from tinyflash.runtime.graph import Graph, Operator, Quantization, Tensor
from tinyflash.runtime.tflite_options import decode_options
from tinyflash.runtime.tflite_schema import BUILTIN_OPERATORS, TENSOR_TYPE_NAMES

__all__ = ["BUILTIN_OPERATORS", "TENSOR_TYPES", "read_tflite", "supported_operators"]

# schema.fbs enum TensorType -> numpy dtype name (the subset we execute).
TENSOR_TYPES = {0: "float32", 2: "int32", 3: "uint8", 4: "int64", 7: "int16", 9: "int8"}


def supported_operators() -> list[str]:
    """The builtin operators this runtime executes: the keys of the kernel registry."""
    from tinyflash.runtime.ops import TFLITE_KERNELS

    return sorted(TFLITE_KERNELS)


def read_tflite(data: bytes) -> Graph:
    """.tflite bytes -> validated Graph (format "tflite"). Raises ModelFormatError."""
    if len(data) < 8:
        raise ModelFormatError(f"not a .tflite file: {len(data)} bytes is shorter than a header")
    if data[4:8] != b"TFL3":
        raise ModelFormatError(
            "not a .tflite file: expected file identifier b'TFL3' at bytes 4..8, "
            f"found {data[4:8]!r}"
        )
    buf = Buffer(data)
    model = buf.root("model")
    version = model.scalar(0, "u32", 0, "version")
    if version != 3:
        raise ModelFormatError(f"model.version: expected schema version 3, found {version}")
    opcodes = [_opcode(t) for t in model.tables(1, "operator_codes")]
    subgraphs = model.tables(2, "subgraphs")
    if len(subgraphs) != 1:
        raise ModelFormatError(f"model: expected exactly 1 subgraph, found {len(subgraphs)}")
    buffers = [_buffer(buf, t) for t in model.tables(4, "buffers")]
    sub = subgraphs[0]
    tensors = tuple(_tensor(t, i, buffers) for i, t in enumerate(sub.tables(0, "tensors")))
    n = len(tensors)
    inputs = _indices(sub.array(1, "inputs", "i32"), n, "subgraph 0 inputs", allow_absent=False)
    outputs = _indices(sub.array(2, "outputs", "i32"), n, "subgraph 0 outputs", allow_absent=False)
    operators = tuple(
        _operator(t, i, opcodes, tensors) for i, t in enumerate(sub.tables(3, "operators"))
    )
    _check_dataflow(tensors, operators, inputs, outputs)
    description = model.string(3, "description") or ""
    return Graph(
        format="tflite",
        sha256=hashlib.sha256(data).hexdigest(),
        tensors=tensors,
        operators=operators,
        inputs=inputs,
        outputs=outputs,
        metadata={"description": description, "subgraph": sub.string(4, "name") or ""},
    )


def _opcode(t: Table) -> str:
    """OperatorCode -> builtin name in words ("CONV_2D"), "CUSTOM:<name>" for custom ops."""
    deprecated = t.scalar(0, "i8", 0, "deprecated_builtin_code")
    code = max(t.scalar(3, "i32", 0, "builtin_code"), deprecated)
    if code == 32:  # CUSTOM
        return f"CUSTOM:{t.string(1, 'custom_code') or '?'}"
    return BUILTIN_OPERATORS.get(code, f"unknown builtin operator code {code}")


def _buffer(buf: Buffer, t: Table) -> bytes:
    data = t.array(0, "data", "u8")
    offset = t.scalar(1, "u64", 0, "offset")
    size = t.scalar(2, "u64", 0, "size")
    if offset > 1:  # data stored after the flatbuffer (models over 2 GB)
        buf.check(offset, size, t.where)
        return buf.data[offset : offset + size]
    return b"" if data is None else data.tobytes()


def _indices(arr, n: int, where: str, allow_absent: bool) -> tuple[int, ...]:
    if arr is None:
        return ()
    out = tuple(int(i) for i in arr)
    for i in out:
        if not (0 <= i < n or (allow_absent and i == -1)):
            raise ModelFormatError(f"{where}: tensor index {i} out of range [0, {n})")
    return out


def _tensor(t: Table, index: int, buffers: list[bytes]) -> Tensor:
    name = t.string(3, "name") or f"tensor{index}"
    where = f"tensor {index} ({name})"
    t.where = where
    type_code = t.scalar(1, "i8", 0, "type")
    if type_code not in TENSOR_TYPES:
        raise ModelFormatError(
            f"{where}: tensor type {TENSOR_TYPE_NAMES.get(type_code, type_code)} is not "
            f"supported; supported: {sorted(TENSOR_TYPES.values())}"
        )
    dtype = TENSOR_TYPES[type_code]
    shape_arr = t.array(0, "shape", "i32")
    shape = () if shape_arr is None else tuple(int(d) for d in shape_arr)
    if any(d < 0 for d in shape):
        raise ModelFormatError(f"{where}: negative dimension in shape {shape}")
    if t.has(6):
        raise ModelFormatError(f"{where}: sparse tensors are not supported")
    buffer_index = t.scalar(2, "u32", 0, "buffer")
    if buffer_index >= len(buffers):
        raise ModelFormatError(
            f"{where}: buffer index {buffer_index} out of range [0, {len(buffers)})"
        )
    raw = buffers[buffer_index]
    data = None
    if raw:
        expected = math.prod(shape) * np.dtype(dtype).itemsize
        if len(raw) != expected:
            raise ModelFormatError(
                f"{where}: buffer {buffer_index} holds {len(raw)} bytes, expected {expected} "
                f"for shape {shape} {dtype}"
            )
        data = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
        data = data.reshape(shape)
        data.setflags(write=False)
    quant_table = t.table(4, "quantization")
    quant = None if quant_table is None else _quantization(quant_table, shape, dtype, where)
    return Tensor(name=name, shape=shape, dtype=dtype, data=data, quant=quant)


def _quantization(q: Table, shape: tuple[int, ...], dtype: str, where: str) -> Quantization | None:
    scale = q.array(2, "scale", "f32")
    zero_point = q.array(3, "zero_point", "i64")
    if scale is None or len(scale) == 0:
        if zero_point is not None and len(zero_point):
            raise ModelFormatError(f"{where}: quantization has zero points but no scales")
        return None  # min/max only (float tensor): not quantized
    if q.has(5):
        raise ModelFormatError(f"{where}: custom quantization details are not supported")
    if zero_point is None or len(zero_point) != len(scale):
        found = 0 if zero_point is None else len(zero_point)
        raise ModelFormatError(
            f"{where}: quantization has {len(scale)} scales but {found} zero points"
        )
    if not np.all(np.isfinite(scale)) or not np.all(scale > 0):
        raise ModelFormatError(f"{where}: quantization scales must be finite and > 0")
    if dtype in ("int8", "uint8", "int16"):
        info = np.iinfo(dtype)
        if zero_point.min() < info.min or zero_point.max() > info.max:
            raise ModelFormatError(f"{where}: zero point outside the {dtype} range")
    axis = q.scalar(6, "i32", 0, "quantized_dimension")
    if len(scale) == 1:
        axis = None
    elif not (0 <= axis < len(shape)) or shape[axis] != len(scale):
        raise ModelFormatError(
            f"{where}: {len(scale)} per-channel scales do not match dimension {axis} "
            f"of shape {shape}"
        )
    return Quantization(
        scale=scale.astype(np.float32), zero_point=zero_point.astype(np.int64), axis=axis
    )


def _operator(t: Table, index: int, opcodes: list, tensors: tuple[Tensor, ...]) -> Operator:
    opcode_index = t.scalar(0, "u32", 0, "opcode_index")
    if opcode_index >= len(opcodes):
        raise ModelFormatError(
            f"operator {index}: opcode index {opcode_index} out of range [0, {len(opcodes)})"
        )
    op = opcodes[opcode_index]
    where = f"operator {index} ({op})"
    t.where = where
    supported = supported_operators()
    if op not in supported:
        raise UnsupportedOperatorError(
            f"{where}: operator {op} is not supported; supported: {supported}"
        )
    n = len(tensors)
    inputs = _indices(t.array(1, "inputs", "i32"), n, f"{where} inputs", allow_absent=True)
    outputs = _indices(t.array(2, "outputs", "i32"), n, f"{where} outputs", allow_absent=False)
    options_type = t.scalar(3, "u8", 0, "builtin_options_type")
    options_table = t.table(4, "builtin_options")
    options = decode_options(op, options_type, options_table, where)
    return Operator(op=op, inputs=inputs, outputs=outputs, options=options, name=where)


def _check_dataflow(tensors, operators, inputs, outputs) -> None:
    """Every operator input must exist before the operator runs; each tensor is written once."""
    ready = set(inputs) | {i for i, t in enumerate(tensors) if t.data is not None}
    for op in operators:
        for i in op.inputs:
            if i != -1 and i not in ready:
                raise ModelFormatError(
                    f"{op.name}: input tensor {i} ({tensors[i].name}) is neither a graph input, "
                    "a constant, nor produced by an earlier operator"
                )
        for i in op.outputs:
            if i in ready:
                raise ModelFormatError(
                    f"{op.name}: output tensor {i} ({tensors[i].name}) is written twice"
                )
            ready.add(i)
    for i in outputs:
        if i not in ready:
            raise ModelFormatError(f"graph output tensor {i} ({tensors[i].name}) is never computed")
