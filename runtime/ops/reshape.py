"""RESHAPE: same data, new shape; the leading (batch) dimension follows the input's batch."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, require, tensor

__all__ = ["ReshapeParams", "prepare", "prepare_squeeze", "run"]


@dataclass(frozen=True)
class ReshapeParams:
    """per_row_shape: the target shape without its batch dimension, e.g. (784,)."""

    per_row_shape: tuple[int, ...]


def prepare(graph: Graph, op: Operator, rounding: str) -> ReshapeParams:
    arity(op, (1, 2))
    x = tensor(graph, op, 0, "input", ("float32", "int8", "uint8", "int16", "int32", "int64"))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    shape = op.options.get("new_shape")
    if len(op.inputs) == 2 and op.inputs[1] != -1:
        s = tensor(graph, op, 1, "shape", ("int32", "int64"))
        if s.data is not None:
            shape = tuple(int(d) for d in const(op, s, "shape").reshape(-1))
        elif shape is None:  # computed at run time (SHAPE/PACK of a dynamic batch)
            shape = y.shape
    if shape is None:
        shape = y.shape
    require(len(shape) >= 1 and sum(d == -1 for d in shape) <= 1, op, f"bad new shape {shape}")
    per_row = tuple(int(d) for d in shape[1:])
    rows_in = math.prod(x.shape[1:]) if x.shape else 1
    require(
        -1 in per_row or math.prod(per_row) == rows_in,
        op,
        f"cannot reshape per-row shape {x.shape[1:]} to {per_row}",
        unsupported=True,
    )
    return ReshapeParams(per_row)


def prepare_squeeze(graph: Graph, op: Operator, rounding: str) -> ReshapeParams:
    """SQUEEZE: drop size-1 non-batch axes (squeeze_dims, or every size-1 axis after the
    batch when the option is empty); a RESHAPE to the output's per-row shape."""
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", ("float32", "int8", "uint8", "int16", "int32", "int64"))
    tensor(graph, op, -1, "output", (x.dtype,))
    rank = len(x.shape)
    dims = op.options.get("squeeze_dims") or tuple(a for a in range(1, rank) if x.shape[a] == 1)
    require(all(-rank <= d < rank for d in dims), op, f"SQUEEZE: dims {dims} of rank {rank}")
    dims = {d % rank for d in dims}
    require(0 not in dims, op, "SQUEEZE: squeezing the batch axis is not supported", True)
    require(all(x.shape[d] == 1 for d in dims), op, f"SQUEEZE: dims {sorted(dims)} not size 1")
    return ReshapeParams(tuple(d for a, d in enumerate(x.shape) if a and a not in dims))


def run(p: ReshapeParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (N, ...) -> (N, *per_row_shape)."""
    return x.reshape((x.shape[0], *p.per_row_shape))
