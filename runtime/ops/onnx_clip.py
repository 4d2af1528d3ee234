"""ONNX Clip (opset 11+): y = min(max(x, min), max), float32. Exact.

x (N, ...) float32; min, max: optional scalar constants (absent: no bound). tf2onnx writes
Keras's ReLU6 as Clip(x, 0, 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, require, tensor

__all__ = ["OnnxClipParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxClipParams:
    """low / high: float32 bounds (-inf / +inf where absent)."""

    low: np.float32
    high: np.float32


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxClipParams:
    arity(op, (1, 2, 3))
    tensor(graph, op, 0, "input", ("float32",))
    tensor(graph, op, -1, "output", ("float32",))
    bounds = []
    for slot, role, default in ((1, "min", -np.inf), (2, "max", np.inf)):
        if len(op.inputs) <= slot or op.inputs[slot] == -1:
            bounds.append(np.float32(default))
            continue
        v = const(op, tensor(graph, op, slot, role, ("float32",)), role)
        require(v.size == 1, op, f"Clip: {role} of shape {v.shape}, expected a scalar")
        bounds.append(np.float32(v.reshape(())))
    return OnnxClipParams(bounds[0], bounds[1])


def run(p: OnnxClipParams, x: np.ndarray, *_constants) -> np.ndarray:
    """(N, ...) float32 -> same shape, clamped."""
    return np.minimum(np.maximum(x, p.low), p.high)
