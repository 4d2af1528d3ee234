"""ONNX ReduceMean, float32: the mean over `axes` (never the batch axis 0).

    x (N, ...) -> y with those axes removed (keepdims 0) or kept as 1 (keepdims 1, the default).
    axes: the attribute (opset 13-17) or a constant int64 input (opset 18+); absent = all axes,
    refused (it would average over the batch) unless noop_with_empty_axes = 1 (identity).
Summed in float64 and rounded once (onnxruntime sums in float32: within 1e-6 relative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, const, require, tensor

__all__ = ["OnnxReduceMeanParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxReduceMeanParams:
    """axes: non-negative axes averaged (empty: identity); keepdims."""

    axes: tuple[int, ...]
    keepdims: bool


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxReduceMeanParams:
    arity(op, (1, 2))
    x = tensor(graph, op, 0, "data", ("float32",))
    tensor(graph, op, -1, "reduced", ("float32",))
    rank = len(x.shape)
    keepdims = attr(op, "keepdims", 1, int)
    axes: list | None
    if len(op.inputs) == 2 and op.inputs[1] != -1:
        axes = const(op, tensor(graph, op, 1, "axes", ("int64",)), "axes").ravel().tolist()
    else:
        axes = op.options.get("axes")
    if not axes:
        require(
            attr(op, "noop_with_empty_axes", 0, int) == 1,
            op,
            "ReduceMean: no axes means every axis, the batch too; supported: explicit axes >= 1",
            unsupported=True,
        )
        return OnnxReduceMeanParams((), bool(keepdims))
    require(
        isinstance(axes, list) and all(isinstance(a, int) and -rank <= a < rank for a in axes),
        op,
        f"ReduceMean: axes {axes!r} out of range for rank {rank}",
    )
    axes = sorted({a + rank if a < 0 else a for a in axes})
    require(0 not in axes, op, "ReduceMean: over the batch axis 0 is not supported", True)
    return OnnxReduceMeanParams(tuple(axes), bool(keepdims))


def run(p: OnnxReduceMeanParams, x: np.ndarray, *_constants) -> np.ndarray:
    """(N, ...) float32 -> (N, ...) reduced, float32."""
    if not p.axes:
        return x
    return x.astype(np.float64).mean(axis=p.axes, keepdims=p.keepdims).astype(np.float32)
