"""ONNX Relu: y = max(x, 0), float32 (exact)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, tensor

__all__ = ["OnnxReluParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxReluParams:
    """No constants."""


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxReluParams:
    arity(op, (1,))
    tensor(graph, op, 0, "input 0", ("float32",))
    return OnnxReluParams()


def run(p: OnnxReluParams, x: np.ndarray) -> np.ndarray:
    """(N, ...) float32 -> same shape."""
    return np.maximum(x, np.float32(0))
