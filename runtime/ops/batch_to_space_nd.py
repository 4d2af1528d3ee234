"""BATCH_TO_SPACE_ND: the inverse of SPACE_TO_BATCH_ND, then a crop (NHWC, any dtype; no
arithmetic, so int8 and float32 alike):

    full[n, h * bh + i, w * bw + j, c] = x[(i * bw + j) * N + n, h, w, c]
    y = full[:, top : Hf - bottom, left : Wf - right, :]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, require, tensor
from tinyflash.runtime.ops.space_to_batch_nd import block_shape

__all__ = ["BatchToSpaceParams", "prepare", "run"]


@dataclass(frozen=True)
class BatchToSpaceParams:
    """block: (bh, bw); crops: ((top, bottom), (left, right))."""

    block: tuple[int, int]
    crops: tuple[tuple[int, int], tuple[int, int]]

    @property
    def batch_scale(self) -> Fraction:
        """Output batch per input batch row: the inverse of SPACE_TO_BATCH_ND's."""
        return Fraction(1, self.block[0] * self.block[1])


def prepare(graph: Graph, op: Operator, rounding: str) -> BatchToSpaceParams:
    arity(op, (3,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    tensor(graph, op, -1, "output", (x.dtype,))
    require(len(x.shape) == 4, op, f"BATCH_TO_SPACE_ND: input must be 4-D NHWC, found {x.shape}")
    block = block_shape(graph, op)
    c = const(op, tensor(graph, op, 2, "crops", ("int32",)), "crops")
    require(c.shape == (2, 2) and bool(np.all(c >= 0)), op, f"BATCH_TO_SPACE_ND: crops {c}")
    crops = ((int(c[0, 0]), int(c[0, 1])), (int(c[1, 0]), int(c[1, 1])))
    for axis, (a, b), k in ((1, crops[0], block[0]), (2, crops[1], block[1])):
        require(a + b < x.shape[axis] * k, op, f"BATCH_TO_SPACE_ND: crops {crops} too large")
    return BatchToSpaceParams(block, crops)


def run(p: BatchToSpaceParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (bh * bw * N, h, w, C) -> (N, h * bh - crops, w * bw - crops, C), same dtype."""
    bh, bw = p.block
    nb, h, w, c = x.shape
    n = nb // (bh * bw)
    full = x.reshape(bh, bw, n, h, w, c).transpose(2, 3, 0, 4, 1, 5).reshape(n, h * bh, w * bw, c)
    (t, b), (left, r) = p.crops
    return np.ascontiguousarray(full[:, t : h * bh - b, left : w * bw - r])
