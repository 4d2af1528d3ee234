"""ONNX Concat: y = concatenate(inputs, axis), axis != 0 (the batch). Exact.

inputs (N, ..., d_i, ...) of one dtype, equal except on `axis` -> (N, ..., sum d_i, ...)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import attr, require, tensor

__all__ = ["OnnxConcatParams", "prepare", "run"]

DTYPES = ("float32", "int8", "uint8", "int32", "int64")


@dataclass(frozen=True, eq=False)
class OnnxConcatParams:
    """axis: the non-negative axis joined (>= 1)."""

    axis: int


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxConcatParams:
    require(len(op.inputs) >= 1 and len(op.outputs) == 1, op, "Concat: expected inputs, 1 output")
    first = tensor(graph, op, 0, "input 0", DTYPES)
    for slot in range(1, len(op.inputs)):
        t = tensor(graph, op, slot, f"input {slot}", (first.dtype,))
        require(len(t.shape) == len(first.shape), op, f"Concat: input ranks differ ({t.shape})")
    tensor(graph, op, -1, "output", (first.dtype,))
    rank = len(first.shape)
    require("axis" in op.options, op, "Concat: the attribute 'axis' is required")
    axis = attr(op, "axis", 0, int)
    axis = axis + rank if axis < 0 else axis
    require(0 <= axis < rank, op, f"Concat: axis {axis} out of range for rank {rank}")
    require(axis != 0, op, "Concat: along the batch axis 0 is not supported", unsupported=True)
    return OnnxConcatParams(axis)


def run(p: OnnxConcatParams, *xs: np.ndarray) -> np.ndarray:
    """(N, ...) arrays -> (N, ...) joined on p.axis."""
    return np.concatenate(xs, axis=p.axis)
