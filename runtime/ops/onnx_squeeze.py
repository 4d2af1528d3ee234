"""ONNX Squeeze (opset 13+): remove size-1 axes, never the batch axis 0. Exact.

x (N, ...) -> y (N, ...) without `axes` (a constant int64 input; absent = every size-1 axis
after the batch, from the declared shape). tf2onnx writes it after GlobalAveragePool:
(N, C, 1, 1) -> (N, C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, require, tensor
from tinyflash.runtime.ops.onnx_transpose import DTYPES

__all__ = ["OnnxSqueezeParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxSqueezeParams:
    """axes: the non-negative axes removed (each of size 1, none of them 0)."""

    axes: tuple[int, ...]


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxSqueezeParams:
    arity(op, (1, 2))
    x = tensor(graph, op, 0, "data", DTYPES)
    tensor(graph, op, -1, "squeezed", (x.dtype,))
    rank = len(x.shape)
    if len(op.inputs) == 2 and op.inputs[1] != -1:
        axes = const(op, tensor(graph, op, 1, "axes", ("int64",)), "axes").ravel().tolist()
        require(all(-rank <= a < rank for a in axes), op, f"Squeeze: axes {axes} out of range")
        axes = sorted({a + rank if a < 0 else a for a in axes})
    else:
        axes = [a for a in range(1, rank) if x.shape[a] == 1]
    require(0 not in axes, op, "Squeeze: removing the batch axis 0 is not supported", True)
    for a in axes:
        require(x.shape[a] == 1, op, f"Squeeze: axis {a} of {x.shape} has size {x.shape[a]}")
    return OnnxSqueezeParams(tuple(axes))


def run(p: OnnxSqueezeParams, x: np.ndarray, *_constants) -> np.ndarray:
    """(N, ...) -> (N, ...) without the size-1 axes p.axes."""
    return np.squeeze(x, axis=p.axes) if p.axes else x
