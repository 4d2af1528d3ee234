"""ONNX GlobalAveragePool, float32: the mean over all spatial positions of each channel.

    x (N, C, H, W) -> y (N, C, 1, 1)     (any spatial rank: (N, C, D1, ...) -> (N, C, 1, ...))
Summed in float64 and rounded once (onnxruntime sums in float32: within 1e-6 relative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, require, tensor

__all__ = ["OnnxGlobalAveragePoolParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxGlobalAveragePoolParams:
    """axes: the spatial axes averaged (2, 3, ...), kept as size 1."""

    axes: tuple[int, ...]


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxGlobalAveragePoolParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input X", ("float32",))
    tensor(graph, op, -1, "output Y", ("float32",))
    require(
        len(x.shape) >= 3,
        op,
        f"GlobalAveragePool: input of shape {x.shape}; supported: (N, C, spatial...)",
        unsupported=True,
    )
    return OnnxGlobalAveragePoolParams(tuple(range(2, len(x.shape))))


def run(p: OnnxGlobalAveragePoolParams, x: np.ndarray) -> np.ndarray:
    """x (N, C, H, W) float32 -> (N, C, 1, 1) float32."""
    return x.astype(np.float64).mean(axis=p.axes, keepdims=True).astype(np.float32)
