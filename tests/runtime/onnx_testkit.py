"""Test helpers for the ONNX kernels: single-node (and QDQ) models built with onnx.helper, run by
tinyflash.runtime and by onnxruntime (tinyflash.export.reference.run_onnxruntime), with graph
optimizations off and on.

Imported by tests/runtime/ops/test_onnx_*.py through tests/runtime/conftest.py (sys.path).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import tinyflash.runtime as rt
from tinyflash.export.reference import run_onnxruntime

ELEM = {"float32": TensorProto.FLOAT, "int8": TensorProto.INT8, "uint8": TensorProto.UINT8}

# Float contract: within FLOAT_ATOL of onnxruntime, optimized and not, on every CPU. The kernels
# sum in float64 and round once; MLAS sums in float32 in a CPU-dependent blocked order, so its
# error (~K * 2^-24 relative to the terms' magnitude, outputs of order 1 here) is the gap.
FLOAT_ATOL = 1e-5


def model_bytes(
    nodes: list,
    x_shape: tuple[int, ...],
    y_shape: tuple[int, ...],
    inits: dict[str, np.ndarray] | None = None,
    x_dtype: str = "float32",
    y_dtype: str = "float32",
    opset: int = 17,
) -> bytes:
    """A graph with input "x" (None, *x_shape[1:]) and output "y" (None, *y_shape[1:])."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", ELEM[x_dtype], [None, *x_shape[1:]])],
        [helper.make_tensor_value_info("y", ELEM[y_dtype], [None, *y_shape[1:]])],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return model.SerializeToString()


def single_node(
    op: str,
    x: np.ndarray,
    inits: dict[str, np.ndarray | None] | None = None,
    opset: int = 17,
    **attrs,
) -> bytes:
    """One node `op(x, *inits)` -> "y"; an init of None is an absent optional input (""). The
    output shape is onnxruntime's for x (so the file declares what the runtime must produce)."""
    inits = inits or {}
    names = ["x"] + [("" if v is None else k) for k, v in inits.items()]
    consts = {k: v for k, v in inits.items() if v is not None}
    node = helper.make_node(op, names, ["y"], **attrs)
    dtype = str(x.dtype)
    probe = model_bytes([node], x.shape, (1,) * 8, consts, dtype, dtype, opset)
    y = _ort_any_shape(probe, x)
    return model_bytes([node], x.shape, y.shape, consts, dtype, str(y.dtype), opset)


def _ort_any_shape(data: bytes, x: np.ndarray) -> np.ndarray:
    import onnx
    import onnxruntime as ort

    model = onnx.load_from_string(data)
    out = model.graph.output[0].type.tensor_type
    out.ClearField("shape")  # rank unknown: onnxruntime reports what it computes
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, ["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def float_gap(data: bytes, x: np.ndarray) -> float:
    """max |runtime - onnxruntime| over optimizations off and on; asserts FLOAT_ATOL, shape,
    dtype."""
    got = rt.load(data)(x)
    worst = 0.0
    for optimize in (False, True):
        ref = run_onnxruntime(data, x, optimize=optimize)
        assert got.shape == ref.shape and got.dtype == ref.dtype, (got.shape, ref.shape)
        np.testing.assert_allclose(got, ref, atol=FLOAT_ATOL, rtol=0)
        worst = max(worst, float(np.max(np.abs(got - ref), initial=0.0)))
    return worst


def exact(data: bytes, x: np.ndarray) -> None:
    """Bit-identical to onnxruntime, optimizations off and on (no rounding in the operator)."""
    got = rt.load(data)(x)
    for optimize in (False, True):
        np.testing.assert_array_equal(got, run_onnxruntime(data, x, optimize=optimize))


def lsb_gap(data: bytes, x: np.ndarray, optimize: bool) -> tuple[int, float]:
    """(max |runtime - onnxruntime| in LSB, fraction of elements that differ) for int8 output."""
    got = rt.load(data)(x).astype(np.int64)
    ref = run_onnxruntime(data, x, optimize=optimize).astype(np.int64)
    assert got.shape == ref.shape
    diff = np.abs(got - ref)
    return int(diff.max(initial=0)), float(np.mean(diff != 0))


def ort_every_tensor(data: bytes, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every node output of the graph, computed by onnxruntime without optimizations."""
    import onnx
    import onnxruntime as ort

    model = onnx.shape_inference.infer_shapes(onnx.load_from_string(data))
    infos = {v.name: v for v in model.graph.value_info}
    have = {v.name for v in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name not in have and name in infos:
                model.graph.output.append(infos[name])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, ["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    feed = {session.get_inputs()[0].name: x}
    return dict(zip(names, session.run(None, feed), strict=True))


def average_pool_ties(data: bytes, ref: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For each QDQ AveragePool / GlobalAveragePool (DQ(q, scale, zp) -> pool -> Q), the elements
    of the Q output (and of layout copies of it) whose exact mean of (q - zp) is k + 1/2: a
    rounding tie, decided by each implementation's float error. ref: onnxruntime's tensors."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load_from_string(data).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    ties: dict[str, np.ndarray] = {}
    for node in graph.node:
        src = producer.get(node.input[0]) if node.input else None
        pools = ("AveragePool", "GlobalAveragePool")
        if node.op_type == "QuantizeLinear" and src is not None and src.op_type in pools:
            dq = producer[src.input[0]]
            assert dq.op_type == "DequantizeLinear", dq.op_type
            q = ref[dq.input[0]] if dq.input[0] in ref else inits[dq.input[0]]
            centred = (q.astype(np.int64) - int(inits[dq.input[2]])).astype(np.float32)
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in src.attribute}
            mean = run_onnxruntime(single_node(src.op_type, centred, **attrs), centred)
            ties[node.output[0]] = np.abs(mean - np.floor(mean)) == 0.5
        elif node.op_type in ("Reshape", "Flatten", "Squeeze") and node.input[0] in ties:
            ties[node.output[0]] = ties[node.input[0]].reshape(ref[node.output[0]].shape)
    return ties


def qdq_groups_on_reference_inputs(
    model: rt.Model, x: np.ndarray, ref: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Run the runtime's kernels over a QDQ graph with every int8 / uint8 activation replaced by
    onnxruntime's value (ref): each DequantizeLinear -> float op(s) -> QuantizeLinear group then
    starts from the same integers, so its output shows the group's own difference, not one
    carried from earlier layers. Returns every tensor the runtime computed, by name."""
    from tinyflash.runtime.ops import ONNX_KERNELS

    g = model.graph
    values: dict[int, np.ndarray] = {g.inputs[0]: x}
    ours: dict[str, np.ndarray] = {}
    for op, p in zip(g.operators, model.params, strict=True):
        args = []
        for i in op.inputs:
            if i == -1:
                continue
            t = g.tensors[i]
            if t.data is not None:
                args.append(t.data)
            elif t.dtype in ("int8", "uint8") and t.name in ref:
                args.append(ref[t.name])
            else:
                args.append(values[i])
        out = op.outputs[0]
        values[out] = ONNX_KERNELS[op.op].run(p, *args)
        ours[g.tensors[out].name] = values[out]
    return ours
