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
