"""STRIDED_SLICE on a 1-D shape vector (the converter's Flatten: SHAPE -> [0:1] -> the batch):
x[begin:end:stride], or one element with shrink_axis_mask; begin/end masks honoured; ellipsis,
new-axis masks and offset refused by name."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, require, tensor

__all__ = ["SliceParams", "prepare", "run"]


@dataclass(frozen=True)
class SliceParams:
    """One 1-D slice x[begin:end:stride] (a scalar when shrink)."""

    begin: int | None
    end: int | None
    stride: int
    shrink: bool


def prepare(graph: Graph, op: Operator, rounding: str) -> SliceParams:
    arity(op, (4,))
    x = tensor(graph, op, 0, "input", ("int32", "int64"))
    require(len(x.shape) == 1, op, "STRIDED_SLICE: only 1-D shape vectors are supported", True)
    begin, end, stride = (
        int(const(op, tensor(graph, op, i, r, ("int32",)), r).reshape(-1)[0])
        for i, r in ((1, "begin"), (2, "end"), (3, "strides"))
    )
    o = op.options
    require(
        not (o.get("ellipsis_mask") or o.get("new_axis_mask") or o.get("offset")),
        op,
        "STRIDED_SLICE: ellipsis_mask / new_axis_mask / offset are not supported",
        True,
    )
    require(stride != 0, op, "STRIDED_SLICE: stride 0")
    shrink = bool(o.get("shrink_axis_mask", 0) & 1)
    if shrink:
        return SliceParams(begin, None, 1, True)
    return SliceParams(
        None if o.get("begin_mask", 0) & 1 else begin,
        None if o.get("end_mask", 0) & 1 else end,
        stride,
        False,
    )


def run(p: SliceParams, x: np.ndarray, *_constants) -> np.ndarray:
    if p.shrink:
        return np.asarray(x[p.begin])
    return x[p.begin : p.end : p.stride].copy()
