"""CONCATENATION along a non-batch axis. int8 inputs must share the output's quantization (the
converter guarantees it; TFLM's kernel copies bytes, it does not requantize)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import per_tensor, require, tensor

__all__ = ["ConcatenationParams", "prepare", "run"]


@dataclass(frozen=True)
class ConcatenationParams:
    """axis: the (non-negative, >= 1) axis; constant inputs are broadcast over the batch."""

    axis: int


def prepare(graph: Graph, op: Operator, rounding: str) -> ConcatenationParams:
    require(len(op.inputs) >= 1 and len(op.outputs) == 1, op, "CONCATENATION: bad arity")
    y = tensor(graph, op, -1, "output", ("int8", "float32", "int32"))
    xs = [tensor(graph, op, i, f"input {i}", (y.dtype,)) for i in range(len(op.inputs))]
    rank = len(y.shape)
    axis = op.options.get("axis", 0)
    require(-rank <= axis < rank, op, f"CONCATENATION: axis {axis} of rank {rank}")
    axis %= rank
    require(axis != 0, op, "CONCATENATION: along the batch axis is not supported", True)
    fused = op.options.get("fused_activation", "NONE")
    require(fused == "NONE", op, f"CONCATENATION: fused activation {fused} is not supported", True)
    require(all(len(x.shape) == rank for x in xs), op, "CONCATENATION: inputs of different ranks")
    if y.dtype == "int8":
        want = per_tensor(op, y, "output")
        for i, x in enumerate(xs):
            got = per_tensor(op, x, f"input {i}")
            require(
                np.float32(got[0]) == np.float32(want[0]) and got[1] == want[1],
                op,
                f"CONCATENATION: input {i} quantization {got} differs from the output's {want}; "
                "supported: all the same",
                unsupported=True,
            )
    return ConcatenationParams(axis)


def run(p: ConcatenationParams, *xs: np.ndarray) -> np.ndarray:
    """xs: (N, ...) each (constants (1, ...)) -> concatenated along p.axis."""
    n = max(x.shape[0] for x in xs)
    full = [np.broadcast_to(x, (n, *x.shape[1:])) for x in xs]
    return np.concatenate(full, axis=p.axis)
