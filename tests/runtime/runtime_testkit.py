"""Test helpers for tests/runtime: build small .tflite files (the real runtimes that run them are
tinyflash.export.reference.run_tflm / run_litert).

Imported by the tests through tests/runtime/conftest.py (which puts this folder on sys.path).
Building models uses ai-edge-litert's generated FlatBuffers object API (schema_py_generated),
so tests can make files TF 2.21's converter never emits (single ops, per-tensor weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

TFL_TYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "int16": 7, "int8": 9}


@dataclass
class T:
    """A tensor to build: data=None for activations."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    data: np.ndarray | None = None
    scale: list[float] | None = None
    zero_point: list[int] | None = None
    axis: int = 0


@dataclass
class Op:
    op: str  # BuiltinOperator name, e.g. "QUANTIZE"
    inputs: list[int]
    outputs: list[int]
    options: object | None = None  # e.g. schema.FullyConnectedOptionsT()
    options_type: int = 0  # schema.BuiltinOptions.X
    extra: dict = field(default_factory=dict)


def build_model(tensors: list[T], ops: list[Op], inputs: list[int], outputs: list[int]) -> bytes:
    """Serialise one subgraph to .tflite bytes (schema version 3, identifier TFL3)."""
    model = schema.ModelT()
    model.version = 3
    model.description = "tinyflash test model"
    model.buffers = [schema.BufferT()]  # buffer 0: the empty sentinel
    codes: list[str] = []
    sub = schema.SubGraphT()
    sub.tensors = []
    for t in tensors:
        tt = schema.TensorT()
        tt.name = t.name
        tt.shape = list(t.shape)
        tt.type = TFL_TYPES[t.dtype]
        tt.buffer = 0
        if t.data is not None:
            buf = schema.BufferT()
            buf.data = np.ascontiguousarray(t.data, dtype=t.dtype).view(np.uint8).ravel().tolist()
            tt.buffer = len(model.buffers)
            model.buffers.append(buf)
        if t.scale is not None:
            qp = schema.QuantizationParametersT()
            qp.scale = [float(s) for s in t.scale]
            qp.zeroPoint = [int(z) for z in t.zero_point]
            qp.quantizedDimension = t.axis
            tt.quantization = qp
        sub.tensors.append(tt)
    sub.operators = []
    for o in ops:
        if o.op not in codes:
            codes.append(o.op)
        ot = schema.OperatorT()
        ot.opcodeIndex = codes.index(o.op)
        ot.inputs = list(o.inputs)
        ot.outputs = list(o.outputs)
        ot.builtinOptionsType = o.options_type
        ot.builtinOptions = o.options
        sub.operators.append(ot)
    sub.inputs = list(inputs)
    sub.outputs = list(outputs)
    sub.name = "main"
    model.subgraphs = [sub]
    model.operatorCodes = []
    for name in codes:
        oc = schema.OperatorCodeT()
        code = getattr(schema.BuiltinOperator, name)
        oc.builtinCode = code
        oc.deprecatedBuiltinCode = min(code, 127)
        oc.version = 1
        model.operatorCodes.append(oc)
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def to_per_tensor(model: bytes) -> bytes:
    """Rewrite every per-channel int8 weight tensor of a .tflite file as per-tensor.

    TF 2.21 only emits per-channel weights. For each FULLY_CONNECTED weight with scales s[o]:
    S = max(s), W'[o] = round(W[o] * s[o] / S), bias'[o] = round(bias[o] * s[o] / S) (bias
    scale in_scale * S). The result is an honest per-tensor model of (nearly) the same function.
    """
    m = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    sub = m.subgraphs[0]
    fc = [
        i
        for i, c in enumerate(m.operatorCodes)
        if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.FULLY_CONNECTED
    ]
    for op in sub.operators:
        if op.opcodeIndex not in fc:
            continue
        w = sub.tensors[op.inputs[1]]
        scales = np.asarray(w.quantization.scale, np.float64)
        if len(scales) == 1:
            continue
        big = float(np.float32(scales.max()))
        ratio = scales / big
        wbuf = m.buffers[w.buffer]
        wdata = np.asarray(wbuf.data, np.uint8).view(np.int8).reshape(w.shape).astype(np.float64)
        requantized = np.clip(np.round(wdata * ratio[:, None]), -127, 127).astype(np.int8)
        wbuf.data = requantized.reshape(-1).view(np.uint8).tolist()
        w.quantization.scale = [big]
        w.quantization.zeroPoint = [0]
        w.quantization.quantizedDimension = 0
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            b = sub.tensors[op.inputs[2]]
            bbuf = m.buffers[b.buffer]
            bdata = np.asarray(bbuf.data, np.uint8).view(np.int32).astype(np.float64)
            bbuf.data = np.round(bdata * ratio).astype(np.int32).view(np.uint8).tolist()
            in_scale = np.float32(sub.tensors[op.inputs[0]].quantization.scale[0])
            b.quantization.scale = [float(in_scale * np.float32(big))]
            b.quantization.zeroPoint = [0]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def unary_model(
    op: str, n: int, in_q, out_q, dtype: str = "int8", options=None, options_type: int = 0
) -> bytes:
    """One-operator model: x (1, n) -> op -> y (1, n); in_q / out_q = (scale, zero_point)."""

    def t(name, q):
        return T(
            name,
            (1, n),
            dtype,
            scale=None if q is None else [q[0]],
            zero_point=None if q is None else [q[1]],
        )

    return build_model(
        [t("x", in_q), t("y", out_q)], [Op(op, [0], [1], options, options_type)], [0], [1]
    )


ELEMENTWISE_INPUT_QUANT = [  # (scale, zero_point) of int8 inputs: real models' and odd ones
    (0.0419051, 11),
    (0.02751614, 9),
    (0.1, -128),
    (0.003, 0),
    (0.25, 100),
    (1 / 16, -7),
    (0.0078125, 0),
    (0.9, 3),
]


def check_int8_table(model: bytes, modes=("tflm", "litert")) -> None:
    """A one-op int8 elementwise model on all 256 int8 values: tinyflash.runtime (output and
    prepared table) equals TFLM (mode tflm) and ai-edge-litert BUILTIN_REF (mode litert)."""
    import tinyflash.runtime as rt
    from tinyflash.export.reference import run_litert, run_tflm
    from tinyflash.runtime.ops.elementwise import ALL_INT8

    x = ALL_INT8[None]
    refs = {
        "tflm": lambda: run_tflm(model, x),
        "litert": lambda: run_litert(model, x, kernels="reference"),
    }
    for rounding in modes:
        ref = refs[rounding]()
        m = rt.load(model, rounding=rounding)
        np.testing.assert_array_equal(m(x), ref, err_msg=rounding)
        np.testing.assert_array_equal(m.params[0].table, ref[0], err_msg=rounding)


def check_float_unary(op: str, tflm: bool = True) -> None:
    """A one-op float32 model on [-9, 9]: within 1e-6 of litert BUILTIN_REF (and TFLM)."""
    import tinyflash.runtime as rt
    from tinyflash.export.reference import run_litert, run_tflm

    x = np.linspace(-9, 9, 301, dtype=np.float32).reshape(7, 43)  # small rows: TFLM arena
    model = unary_model(op, 43, None, None, dtype="float32")
    got = rt.load(model)(x)
    refs = [run_litert(model, x, kernels="reference")] + ([run_tflm(model, x)] if tflm else [])
    for ref in refs:
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)  # float32 libm differences


def expose_all_tensors(model: bytes) -> tuple[bytes, list[str]]:
    """The same model with every operator output also a graph output (so TFLM and litert
    report intermediate tensors); returns (bytes, the output tensor names in order)."""
    m = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    sub = m.subgraphs[0]
    outs = [i for op in sub.operators for i in op.outputs]
    sub.outputs = outs
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    names = [sub.tensors[i].name.decode() if isinstance(sub.tensors[i].name, bytes)
             else sub.tensors[i].name for i in outs]  # fmt: skip
    return bytes(b.Output()), names


def litert_tensors(model: bytes, x: np.ndarray) -> dict[str, np.ndarray]:
    """x: (N, *input_shape) -> {tensor name: value} for every operator output, ai-edge-litert
    BUILTIN_REF, the whole batch in one invoke (the input resized to N)."""
    from ai_edge_litert import interpreter as litert

    data, names = expose_all_tensors(model)
    it = litert.Interpreter(
        model_content=data,
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF,
        num_threads=1,
    )
    (inp,) = it.get_input_details()
    it.resize_tensor_input(inp["index"], list(x.shape))
    it.allocate_tensors()
    it.set_tensor(inp["index"], np.ascontiguousarray(x))
    it.invoke()
    return {
        n: it.get_tensor(d["index"]).copy()
        for n, d in zip(names, it.get_output_details(), strict=True)
    }


def tflm_tensors(model: bytes, x: np.ndarray) -> dict[str, np.ndarray]:
    """x: (N, *input_shape) -> {tensor name: (N, ...) value} for every operator output, TFLM's
    interpreter one row at a time (its batch is the file's, 1)."""
    from tflite_micro import runtime as tflm

    data, names = expose_all_tensors(model)
    it = tflm.Interpreter.from_bytes(data, arena_size=len(data) * 10 + (32 << 20))
    rows: list[list[np.ndarray]] = [[] for _ in names]
    for row in x:
        it.set_input(np.ascontiguousarray(row[None]), 0)
        it.invoke()
        for k in range(len(names)):
            rows[k].append(it.get_output(k))
    return {
        n: np.concatenate(r) if r[0].ndim else np.stack(r) for n, r in zip(names, rows, strict=True)
    }


def check_tensors(model: bytes, x: np.ndarray, modes=("tflm", "litert"), atol=None) -> dict:
    """Every operator output of tinyflash.runtime equals TFLM (mode tflm) and litert BUILTIN_REF
    (mode litert), byte for byte for integers; float tensors within `atol` (required then).
    Shape tensors (SHAPE/STRIDED_SLICE/PACK) are skipped: TFLM reports its batch-1 values.
    Returns {mode: trace} for further checks."""
    import tinyflash.runtime as rt

    refs = {"tflm": tflm_tensors, "litert": litert_tensors}
    traces = {}
    for mode in modes:
        want = refs[mode](model, x)
        got = rt.load(model, rounding=mode).trace(x)
        for name, ref in want.items():
            value = got[name]
            if value.shape != ref.shape and ref.dtype.kind == "i" and ref.ndim <= 1:
                continue
            if ref.dtype == np.float32:
                assert atol is not None, f"{name}: float tensor but no tolerance given"
                np.testing.assert_allclose(value, ref, rtol=0, atol=atol, err_msg=f"{mode} {name}")
            else:
                np.testing.assert_array_equal(value, ref, err_msg=f"{mode} {name}")
        traces[mode] = got
    return traces


def act_t(name: str, shape: tuple[int, ...], q=None, dtype: str = "int8") -> T:
    """An activation tensor; q = (scale, zero_point) for int8, None for float32."""
    if q is None:
        return T(name, shape, "float32")
    return T(name, shape, dtype, scale=[q[0]], zero_point=[q[1]])


def filter_t(rng, name: str, shape, axis: int, per_channel: bool, dtype: str = "int8") -> T:
    """Random conv filter: int8 symmetric (per-channel scales on `axis`, or one scale), or
    float32 N(0, 0.3)."""
    if dtype == "float32":
        return T(name, shape, "float32", rng.normal(0, 0.3, shape).astype(np.float32), axis=axis)
    n = shape[axis] if per_channel else 1
    scales = rng.uniform(0.002, 0.02, n).astype(np.float32)
    data = rng.integers(-127, 128, shape).astype(np.int8)
    return T(name, shape, "int8", data, scale=list(scales), zero_point=[0] * n, axis=axis)


def bias_t(rng, name: str, in_scale: float, w: T) -> T:
    """Random bias for filter w: int32 with scale in_scale * w_scale (float32 for float w)."""
    n = w.shape[w.axis]
    if w.dtype == "float32":
        return T(name, (n,), "float32", rng.normal(0, 0.2, n).astype(np.float32))
    scales = np.broadcast_to(np.float32(in_scale) * np.asarray(w.scale, np.float32), (n,))
    data = rng.integers(-4000, 4000, n).astype(np.int32)
    return T(name, (n,), "int32", data, scale=list(scales), zero_point=[0] * n)


def one_op(op: str, ins: list[T], out: T, options=None, options_type: int = 0) -> bytes:
    """A one-operator model: ins[0] is the graph input, the other inputs constants (or None
    for an absent optional input), out the graph output."""
    tensors = [t for t in ins if t is not None] + [out]
    index, k = [], 0
    for t in ins:
        index.append(-1 if t is None else k)
        k += t is not None
    return build_model(tensors, [Op(op, index, [k], options, options_type)], [0], [k])


def random_input(model: bytes, n: int, seed: int = 0) -> np.ndarray:
    """(n, *input_shape) random int8 (with an all -128 and an all 127 row) or N(0, 1) float32."""
    import tinyflash.runtime as rt

    info = rt.load(model).input
    rng = np.random.default_rng(seed)
    if info.dtype == "float32":
        return rng.normal(0, 1, (n, *info.shape)).astype(np.float32)
    x = rng.integers(-128, 128, (n, *info.shape)).astype(np.int8)
    x[0], x[1] = -128, 127
    return x


FUSED = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}  # ActivationFunctionType


def binary_model(op, a_shape, b_shape, qa=(0.05, -3), qb=(0.013, 17), qy=(0.06, 4), fused="NONE",
                 dtype="int8", seed=0):  # fmt: skip
    """x (a_shape) op constant (b_shape) -> y; b random int8 (or float)."""
    rng = np.random.default_rng(seed)
    options_cls = {"ADD": schema.AddOptionsT, "MUL": schema.MulOptionsT}[op]
    o = options_cls()
    o.fusedActivationFunction = FUSED[fused]
    kind = {"ADD": schema.BuiltinOptions.AddOptions, "MUL": schema.BuiltinOptions.MulOptions}[op]
    out_shape = tuple(np.broadcast_shapes(a_shape, b_shape))
    if dtype == "float32":
        qa = qb = qy = None
        b = T("b", b_shape, "float32", rng.normal(0, 1, b_shape).astype(np.float32))
    else:
        data = rng.integers(-128, 128, b_shape).astype(np.int8)
        b = T("b", b_shape, "int8", data, scale=[qb[0]], zero_point=[qb[1]])
    return one_op(op, [act_t("x", a_shape, qa), b], act_t("y", out_shape, qy), o, kind)


def two_input_model(op, shape, qa, qb, qy, fused="NONE"):
    """x -> y1 = x op x' where x' = the same x through a 2-input op of two graph tensors."""
    o = {"ADD": schema.AddOptionsT, "MUL": schema.MulOptionsT}[op]()
    o.fusedActivationFunction = FUSED[fused]
    kind = {"ADD": schema.BuiltinOptions.AddOptions, "MUL": schema.BuiltinOptions.MulOptions}[op]
    pad = schema.PadOptionsT()
    pads = T("pads", (len(shape), 2), "int32", np.zeros((len(shape), 2), np.int32))
    tensors = [act_t("x", shape, qa), pads, act_t("x2", shape, qa), act_t("y", shape, qy)]
    ops = [
        Op("PAD", [0, 1], [2], pad, schema.BuiltinOptions.PadOptions),
        Op(op, [0, 2], [3], o, kind),
    ]
    return build_model(tensors, ops, [0], [3])


def flatten_model(begin: int = 0, begin_mask: int = 0, values_count: int = 2):
    """x (1, 3, 4, 2) int8 -> SHAPE -> STRIDED_SLICE [begin:1] (shrink) -> PACK [n, -1] ->
    RESHAPE -> y (1, 24): the converter's Flatten with a dynamic batch."""
    q = (0.05, -17)
    const = [
        T("begin", (1,), "int32", np.array([begin], np.int32)),
        T("end", (1,), "int32", np.array([1], np.int32)),
        T("strides", (1,), "int32", np.array([1], np.int32)),
        T("minus_one", (), "int32", np.array(-1, np.int32)),
    ]
    tensors = [
        act_t("x", (1, 3, 4, 2), q),
        *const,
        T("shape", (4,), "int32"),
        T("n", (), "int32"),
        T("new_shape", (2,), "int32"),
        act_t("y", (1, 24), q),
    ]
    ss = schema.StridedSliceOptionsT()
    ss.shrinkAxisMask = 1
    ss.beginMask = begin_mask
    pack = schema.PackOptionsT()
    pack.valuesCount, pack.axis = values_count, 0
    shape = schema.ShapeOptionsT()
    shape.outType = 2  # INT32, as the converter writes it
    ops = [
        Op("SHAPE", [0], [5], shape, schema.BuiltinOptions.ShapeOptions),
        Op("STRIDED_SLICE", [5, 1, 2, 3], [6], ss, schema.BuiltinOptions.StridedSliceOptions),
        Op("PACK", [6, 4], [7], pack, schema.BuiltinOptions.PackOptions),
        Op("RESHAPE", [0, 7], [8], schema.ReshapeOptionsT(), schema.BuiltinOptions.ReshapeOptions),
    ]
    return build_model(tensors, ops, [0], [8])
