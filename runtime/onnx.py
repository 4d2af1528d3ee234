"""Read an .onnx file into a validated `Graph`, with the `onnx` package's protobuf classes.

No onnxruntime: `onnx` (protobuf + numpy_helper + shape inference) only parses and annotates.
Everything is validated at load: the protobuf parses, one graph, default-domain operators only,
every node input is a graph input, an initializer or an earlier node's output (the file order is
the execution order ONNX requires), initializer bytes match their dims and dtype, dtypes are
supported, nothing is stored as external data. Problems raise ModelFormatError naming the node
or tensor; unknown operators raise UnsupportedOperatorError (at prepare) listing known ones.

Graph conventions for ONNX: Operator.op is the op_type ("MatMul", "QuantizeLinear"...);
options hold the node attributes as plain Python values; activation shapes come from ONNX shape
inference (-1 for a symbolic dimension such as the batch). For QDQ files the graph input takes
the scale / zero point of the DequantizeLinear reading it, and the graph output those of the
QuantizeLinear producing it (through layout-only nodes: Reshape, Transpose, ...), so
`Model.input` / `Model.output` describe int8 I/O like TFLite's.
"""

from __future__ import annotations

import hashlib

import numpy as np

from tinyflash.runtime.errors import ModelFormatError
from tinyflash.runtime.graph import Graph, Operator, Quantization, Tensor

__all__ = ["ONNX_DTYPES", "read_onnx"]

# TensorProto.DataType -> numpy dtype name (the subset we execute)
ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64"}
MIN_OPSET = 13  # per-axis QuantizeLinear / DequantizeLinear
LAYOUT_OPS = ("Reshape", "Transpose", "Flatten", "Squeeze", "Identity")  # values move, unchanged


def read_onnx(data: bytes) -> Graph:
    """.onnx bytes -> validated Graph (format "onnx"). Raises ModelFormatError."""
    import onnx
    from google.protobuf.message import DecodeError
    from onnx import numpy_helper

    model = onnx.ModelProto()
    try:
        model.ParseFromString(bytes(data))
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelFormatError(f"not an ONNX model: protobuf parse failed ({exc})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ModelFormatError("not an ONNX model: no graph or no nodes")
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets.get("", opsets.get("ai.onnx", 0)) < MIN_OPSET:
        raise ModelFormatError(f"ONNX opset {opsets.get('', 0)}: expected >= {MIN_OPSET}")
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception as exc:  # noqa: BLE001 - onnx raises many types for inconsistent graphs
        raise ModelFormatError(
            f"ONNX shape inference failed: {type(exc).__name__}: {exc}"
        ) from None
    g = inferred.graph

    tensors: list[Tensor] = []
    index: dict[str, int] = {}

    def add(name: str, shape, dtype: str, data=None, where="") -> int:
        if name in index:
            raise ModelFormatError(f"{where}: tensor name {name!r} defined twice")
        index[name] = len(tensors)
        tensors.append(Tensor(name=name, shape=tuple(shape), dtype=dtype, data=data))
        return index[name]

    def value_type(v, where: str) -> tuple[tuple[int, ...], str]:
        tt = v.type.tensor_type
        if not v.type.HasField("tensor_type") or tt.elem_type not in ONNX_DTYPES:
            raise ModelFormatError(
                f"{where} {v.name!r}: unsupported type (elem_type {tt.elem_type}); supported: "
                f"{sorted(ONNX_DTYPES.values())}"
            )
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim)
        return dims, ONNX_DTYPES[tt.elem_type]

    for init in g.initializer:
        where = f"initializer {init.name!r}"
        if init.data_location == onnx.TensorProto.EXTERNAL:
            raise ModelFormatError(f"{where}: external data is not supported")
        if init.data_type not in ONNX_DTYPES:
            raise ModelFormatError(f"{where}: unsupported data type {init.data_type}")
        try:
            arr = numpy_helper.to_array(init)
        except Exception as exc:  # noqa: BLE001 - size/dtype mismatches surface as various errors
            raise ModelFormatError(f"{where}: unreadable ({type(exc).__name__}: {exc})") from None
        if arr.shape != tuple(init.dims):
            raise ModelFormatError(f"{where}: data shape {arr.shape} != dims {tuple(init.dims)}")
        arr = np.ascontiguousarray(arr, dtype=ONNX_DTYPES[init.data_type])
        arr.setflags(write=False)
        add(init.name, arr.shape, str(arr.dtype), arr, where)

    graph_inputs = []
    for v in g.input:
        if v.name in index:
            continue  # an initializer listed as an input (old exporters)
        shape, dtype = value_type(v, "graph input")
        graph_inputs.append(add(v.name, shape, dtype, where="graph input"))

    infos = {v.name: v for v in list(g.value_info) + list(g.output)}
    operators = []
    for k, node in enumerate(g.node):
        where = f"node {k} ({node.op_type} {node.name!r})"
        if node.domain not in ("", "ai.onnx"):
            raise ModelFormatError(f"{where}: operator domain {node.domain!r} not supported")
        inputs = []
        for name in node.input:
            if name == "":
                inputs.append(-1)
            elif name not in index:
                raise ModelFormatError(
                    f"{where}: input {name!r} is neither a graph input, an initializer, nor "
                    "produced by an earlier node"
                )
            else:
                inputs.append(index[name])
        outputs = []
        for name in node.output:
            if name not in infos:
                raise ModelFormatError(f"{where}: output {name!r} has no inferable type")
            shape, dtype = value_type(infos[name], f"{where} output")
            outputs.append(add(name, shape, dtype, where=where))
        options = {a.name: _attribute(onnx, a, where) for a in node.attribute}
        operators.append(Operator(node.op_type, tuple(inputs), tuple(outputs), options, where))

    graph_outputs = []
    for v in g.output:
        if v.name not in index:
            raise ModelFormatError(f"graph output {v.name!r} is never computed")
        graph_outputs.append(index[v.name])
    _attach_io_quantization(tensors, operators, graph_inputs, graph_outputs)
    return Graph(
        format="onnx",
        sha256=hashlib.sha256(data).hexdigest(),
        tensors=tuple(tensors),
        operators=tuple(operators),
        inputs=tuple(graph_inputs),
        outputs=tuple(graph_outputs),
        metadata={
            "producer": f"{model.producer_name} {model.producer_version}".strip(),
            "opset": str(opsets.get("", 0)),
        },
    )


def _attribute(onnx, a, where: str):
    """A node attribute as a plain value (int, float, str, or a list of them)."""
    try:
        value = onnx.helper.get_attribute_value(a)
    except Exception as exc:  # noqa: BLE001 - corrupt attribute records
        raise ModelFormatError(f"{where}: attribute {a.name!r} unreadable ({exc})") from None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        value = [v.decode("utf-8", errors="replace") if isinstance(v, bytes) else v for v in value]
    if not isinstance(value, int | float | str | list):
        raise ModelFormatError(f"{where}: attribute {a.name!r} has unsupported type")
    return value


def _attach_io_quantization(tensors, operators, inputs, outputs) -> None:
    """Give an integer graph input/output the (per-tensor) scale and zero point of the
    DequantizeLinear that reads it / the QuantizeLinear that writes it."""

    def quant_of(op) -> Quantization | None:
        if len(op.inputs) < 2 or op.inputs[1] < 0:
            return None
        scale = tensors[op.inputs[1]].data
        zp = tensors[op.inputs[2]].data if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        if scale is None or scale.size != 1 or (zp is not None and zp.size != 1):
            return None
        zp_value = np.zeros(1, np.int64) if zp is None else zp.reshape(1).astype(np.int64)
        return Quantization(scale.reshape(1).astype(np.float32), zp_value)

    def through_layout(i: int, forward: bool) -> int:
        """Follow a chain of layout-only nodes (tf2onnx's NHWC -> NCHW Transpose or Reshape of a
        QDQ graph input, a Reshape before its output) to the tensor a DQ / Q touches."""
        for _ in range(len(operators)):
            if forward:
                nxt = [op for op in operators if i in op.inputs]
                if len(nxt) != 1 or nxt[0].op not in LAYOUT_OPS or nxt[0].inputs[0] != i:
                    return i
                i = nxt[0].outputs[0]
            else:
                prev = [op for op in operators if i in op.outputs]
                if len(prev) != 1 or prev[0].op not in LAYOUT_OPS:
                    return i
                i = prev[0].inputs[0]
        return i

    def with_quant(i: int, q: Quantization) -> None:
        tensors[i] = Tensor(tensors[i].name, tensors[i].shape, tensors[i].dtype, None, q)

    for i in inputs:
        j = through_layout(i, forward=True)
        readers = [op for op in operators if j in op.inputs]
        if (
            tensors[i].dtype != "float32"
            and readers
            and all(op.op == "DequantizeLinear" for op in readers)
        ):
            q = quant_of(readers[0])
            if q is not None:
                with_quant(i, q)
    for i in outputs:
        j = through_layout(i, forward=False)
        for op in operators:
            if j in op.outputs and op.op == "QuantizeLinear" and tensors[i].dtype != "float32":
                q = quant_of(op)
                if q is not None:
                    with_quant(i, q)
