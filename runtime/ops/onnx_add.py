"""ONNX Add: y = a + b, float32, numpy broadcasting (one float32 rounding per element: equal to
onnxruntime on every CPU). tf2onnx writes it for a Dense bias, a residual sum, and the offset of
an unfolded BatchNormalization; in a QDQ graph both operands arrive dequantized.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, tensor

__all__ = ["OnnxAddParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxAddParams:
    """No constants: the operands arrive as inputs (constant or computed)."""


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxAddParams:
    arity(op, (2,))
    tensor(graph, op, 0, "input 0", ("float32",))
    tensor(graph, op, 1, "input 1", ("float32",))
    return OnnxAddParams()


def run(p: OnnxAddParams, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x, y broadcastable float32 -> x + y float32."""
    return (x + y).astype(np.float32)
