"""ONNX Gemm, float32: y = alpha * (a @ b or a @ b.T) + beta * c, the product in MLAS's SGEMM
order (onnx_math.matmul; see onnx_matmul.py). transA = 1 is refused.

    a (N, K); b (K, M), or (M, K) with transB; c (M,) or broadcastable, optional -> y (N, M)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, require, tensor
from tinyflash.runtime.ops.onnx_math import matmul
from tinyflash.runtime.ops.onnx_matmul import sgemm_plan

__all__ = ["OnnxGemmParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxGemmParams:
    """stride_k / packed: MLAS's plan for B; trans_b; alpha, beta: the node's scalars."""

    stride_k: int
    packed: bool
    trans_b: bool
    alpha: float
    beta: float


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxGemmParams:
    arity(op, (2, 3))
    tensor(graph, op, 0, "input 0", ("float32",))
    tensor(graph, op, 1, "input 1", ("float32",))
    if len(op.inputs) == 3 and op.inputs[2] != -1:
        tensor(graph, op, 2, "input 2", ("float32",))
    require(attr(op, "transA", 0, int) == 0, op, "transA=1 not supported", unsupported=True)
    trans_b = bool(attr(op, "transB", 0, int))
    stride_k, packed = sgemm_plan(graph, op, trans_b)
    alpha, beta = attr(op, "alpha", 1.0, float), attr(op, "beta", 1.0, float)
    return OnnxGemmParams(stride_k, packed, trans_b, alpha, beta)


def run(p: OnnxGemmParams, x: np.ndarray, b: np.ndarray, c: np.ndarray | None = None):
    """alpha * x @ b(.T if transB) + beta * c -> (N, M) float32."""
    y = matmul(x, b.T if p.trans_b else b, p.stride_k, p.packed) * np.float32(p.alpha)
    if c is None:
        return y.astype(np.float32)
    return (y + np.float32(p.beta) * c).astype(np.float32)
