"""ONNX float32 math: MatMul, Gemm, Add, Relu, Sigmoid, Tanh, Softmax, and the shape no-ops
Reshape, Flatten, Identity.

MatMul / Gemm reproduce onnxruntime's MLAS SGEMM summation order on x86-64: the K dimension in
blocks of stride_k; inside a block one float32 accumulator per output, updated by a fused
multiply-add per k in order (emulated in float64: a*b is exact there, then one rounding of the
sum to float32); the block sums are added to the output in float32. stride_k is 256 when B is a
constant initializer (MLAS packs it once), else MLAS's rule from N (`mlas_stride_k`). A single
row with a computed B takes MLAS's M=1 kernel instead: per group of 4 k, ((p0 + p1) + p2) + p3
with separately rounded products, then added to the running output (`_matmul_m1`). Measured
bit-identical to onnxruntime 1.32 (x86-64, AVX-512/FMA) for every batch size. This matters for
int8 QDQ files, where one last bit can move a QuantizeLinear rounding. Sigmoid / Tanh /
Softmax are computed in float64 and rounded: within ~1e-7 of MLAS's approximations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, const, require, tensor

__all__ = [
    "OnnxParams",
    "mlas_stride_k",
    "prepare",
    "run_add",
    "run_flatten",
    "run_gemm",
    "run_identity",
    "run_matmul",
    "run_relu",
    "run_reshape",
    "run_sigmoid",
    "run_softmax",
    "run_tanh",
]

_FLOAT = ("float32",)


@dataclass(frozen=True, eq=False)
class OnnxParams:
    """op: the ONNX op_type; constants: the op's constant inputs (None where an activation);
    attrs: the node's attributes."""

    op: str
    constants: tuple
    attrs: dict


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxParams:
    n_in = {"MatMul": (2,), "Add": (2,), "Gemm": (2, 3), "Reshape": (2,)}.get(op.op, (1,))
    arity(op, n_in)
    for slot in range(len(op.inputs)):  # slots below min(n_in) are required: -1 is refused
        if (op.inputs[slot] != -1 or slot < min(n_in)) and not (op.op == "Reshape" and slot == 1):
            tensor(graph, op, slot, f"input {slot}", _FLOAT)
    consts = tuple(None if i == -1 else graph.tensors[i].data for i in op.inputs)
    attrs: dict = {}
    if op.op in ("MatMul", "Gemm"):
        b = graph.tensors[op.inputs[1]]
        require(len(b.shape) == 2, op, f"B must be 2-D, found shape {b.shape}", unsupported=True)
        n = b.shape[0] if op.op == "Gemm" and attr(op, "transB", 0, int) else b.shape[-1]
        k = b.shape[-1] if op.op == "Gemm" and attr(op, "transB", 0, int) else b.shape[0]
        packed = b.data is not None
        attrs["packed"] = packed
        attrs["stride_k"] = MLAS_PACKED_STRIDE_K if packed else mlas_stride_k(max(n, 1), max(k, 1))
    if op.op == "Gemm":
        attrs |= {
            "transB": bool(attr(op, "transB", 0, int)),
            "alpha": attr(op, "alpha", 1.0, float),
            "beta": attr(op, "beta", 1.0, float),
        }
        require(attr(op, "transA", 0, int) == 0, op, "transA=1 not supported", unsupported=True)
    if op.op == "Softmax":
        axis = attr(op, "axis", -1, int)
        require(
            axis in (-1, len(graph.tensors[op.inputs[0]].shape) - 1),
            op,
            "Softmax over an axis other than the last is not supported",
            unsupported=True,
        )
    if op.op == "Flatten":
        attrs = {"axis": attr(op, "axis", 1, int)}
        require(attrs["axis"] == 1, op, "Flatten only with axis=1", unsupported=True)
    if op.op == "Reshape":
        shape_t = tensor(graph, op, 1, "shape", ("int64",))
        const(op, shape_t, "shape")
    return OnnxParams(op.op, consts, attrs)


MLAS_PACKED_STRIDE_K = 256


def mlas_stride_k(n: int, k: int) -> int:
    """MLAS SGEMM's K block for an unpacked B of N columns (StrideN 128, StrideK 128, widened
    towards the smaller of the two dimensions)."""
    stride_n, stride_k = 128, 128
    if n >= k:
        while stride_k // 2 >= k:
            stride_n, stride_k = stride_n * 2, stride_k // 2
    else:
        while stride_n > 16 and stride_n // 2 >= n:
            stride_n, stride_k = stride_n // 2, stride_k * 2
    return stride_k


def _matmul_m1(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(1, K) @ (K, N) -> (1, N) as MLAS's M=1 kernel sums: groups of 4, 2, 1 rows of B."""
    f32 = np.float32
    row, out = a.reshape(-1).astype(f32), np.zeros(b.shape[1], f32)
    k = 0
    for group in (4, 2, 1):
        while b.shape[0] - k >= group:
            partial = row[k] * b[k]
            for j in range(1, group):
                partial = (partial + row[k + j] * b[k + j]).astype(f32)
            out = (partial + out).astype(f32)
            k += group
            if group < 4:
                break
    return out.reshape(*a.shape[:-1], b.shape[1])


def _matmul(a: np.ndarray, b: np.ndarray, stride_k: int, packed: bool) -> np.ndarray:
    """(M, K) float32 @ (K, N) float32 -> (M, N) float32 in MLAS's order (module docstring)."""
    if a.shape[-1] != b.shape[0]:  # as numpy's matmul: the load-time dry run reports it
        raise ValueError(f"matmul: A has {a.shape[-1]} columns, B has {b.shape[0]} rows")
    if not packed and int(np.prod(a.shape[:-1])) == 1:
        return _matmul_m1(a, b.astype(np.float32))
    at = np.ascontiguousarray(a.reshape(-1, a.shape[-1]).T, dtype=np.float64)  # (K, N)
    b64 = b.astype(np.float64)
    out = np.zeros((at.shape[1], b.shape[1]), np.float32)
    acc = np.empty_like(out)
    term = np.empty(out.shape, np.float64)
    for k0 in range(0, at.shape[0], stride_k):
        acc[...] = 0
        for k in range(k0, min(k0 + stride_k, at.shape[0])):
            np.multiply(at[k][:, None], b64[k], out=term)  # exact product
            np.add(term, acc, out=term)
            acc[...] = term  # one rounding to float32: the FMA
        out = out + acc if k0 else acc.copy()
    return out.reshape(*a.shape[:-1], b.shape[1])


# One small kernel per op: run_<op>(params, *inputs) -> output. Shapes: x (N, ...) float32.


def run_matmul(p: OnnxParams, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x (N, K) @ b (K, M) -> (N, M), MLAS order."""
    return _matmul(x, b, p.attrs["stride_k"], p.attrs["packed"])


def run_gemm(p: OnnxParams, x: np.ndarray, b: np.ndarray, c: np.ndarray | None = None):
    """alpha * x @ b(.T if transB) + beta * c -> (N, M)."""
    y = _matmul(x, b.T if p.attrs["transB"] else b, p.attrs["stride_k"], p.attrs["packed"])
    y = y * np.float32(p.attrs["alpha"])
    if c is None:
        return y.astype(np.float32)
    return (y + np.float32(p.attrs["beta"]) * c).astype(np.float32)


def run_add(p: OnnxParams, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x + y).astype(np.float32)


def run_relu(p: OnnxParams, x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.float32(0))


def run_sigmoid(p: OnnxParams, x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def run_tanh(p: OnnxParams, x: np.ndarray) -> np.ndarray:
    return np.tanh(x.astype(np.float64)).astype(np.float32)


def run_softmax(p: OnnxParams, x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    v = x.astype(np.float64)
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def run_identity(p: OnnxParams, x: np.ndarray) -> np.ndarray:
    return x


def run_flatten(p: OnnxParams, x: np.ndarray) -> np.ndarray:
    """(N, ...) -> (N, prod(...)) (axis=1 only)."""
    return x.reshape(x.shape[0], -1)


def run_reshape(p: OnnxParams, x: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """ONNX Reshape (0 copies the input dimension); dimension 0 follows the runtime batch."""
    dims = [int(d) for d in shape]
    dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    if dims and dims[0] not in (-1, x.shape[0]):
        dims[0] = x.shape[0] if -1 in dims[1:] else -1
    return x.reshape(dims)
