"""ONNX Mul: y = a * b, float32, numpy broadcasting (one float32 rounding per element: exact,
equal to onnxruntime on every CPU). tf2onnx writes it for a BatchNormalization it cannot fold
into a convolution: x (N, C, H, W) * scale (C, 1, 1), then Add of the offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, tensor

__all__ = ["OnnxMulParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxMulParams:
    """No constants: the operands arrive as inputs (constant or computed)."""


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxMulParams:
    arity(op, (2,))
    tensor(graph, op, 0, "input A", ("float32",))
    tensor(graph, op, 1, "input B", ("float32",))
    tensor(graph, op, -1, "output C", ("float32",))
    return OnnxMulParams()


def run(p: OnnxMulParams, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a, b broadcastable float32 -> their product, float32."""
    return (a * b).astype(np.float32)
