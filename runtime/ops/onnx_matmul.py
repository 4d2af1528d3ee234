"""ONNX MatMul, float32: y = a @ b in MLAS's SGEMM summation order (onnx_math.matmul), so equal
to onnxruntime bit for bit where it runs those kernels (x86-64 AVX-512F; tests/runtime/test_onnx.py)
and within float32 rounding elsewhere.

    a (N, K) float32; b (K, M) float32, a constant (MLAS packs it: K blocks of 256) or computed
    (a QDQ graph's DequantizeLinear output: MLAS's N-dependent K block) -> y (N, M) float32
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, require, tensor
from tinyflash.runtime.ops.onnx_math import MLAS_PACKED_STRIDE_K, matmul, mlas_stride_k

__all__ = ["OnnxMatMulParams", "prepare", "run", "sgemm_plan"]


@dataclass(frozen=True, eq=False)
class OnnxMatMulParams:
    """stride_k: MLAS's K block; packed: B is a constant (MLAS packs it once)."""

    stride_k: int
    packed: bool


def sgemm_plan(graph: Graph, op: Operator, trans_b: bool) -> tuple[int, bool]:
    """(stride_k, packed) for the B input (slot 1), 2-D (K, N), or (N, K) when trans_b."""
    b = graph.tensors[op.inputs[1]]
    require(len(b.shape) == 2, op, f"B must be 2-D, found shape {b.shape}", unsupported=True)
    n, k = (b.shape[0], b.shape[1]) if trans_b else (b.shape[1], b.shape[0])
    packed = b.data is not None
    return (MLAS_PACKED_STRIDE_K if packed else mlas_stride_k(max(n, 1), max(k, 1))), packed


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxMatMulParams:
    arity(op, (2,))
    tensor(graph, op, 0, "input 0", ("float32",))
    tensor(graph, op, 1, "input 1", ("float32",))
    return OnnxMatMulParams(*sgemm_plan(graph, op, trans_b=False))


def run(p: OnnxMatMulParams, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x (N, K) @ b (K, M) -> (N, M), MLAS order."""
    return matmul(x, b, p.stride_k, p.packed)
