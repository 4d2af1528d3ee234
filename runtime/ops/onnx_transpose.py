"""ONNX Transpose: y = x.transpose(perm), any dtype the runtime holds (exact).

x (N, d1, ..., dk) -> y (N, d_perm[1], ..., d_perm[k]); perm[0] must be 0 (the batch stays
first: the kernels batch over axis 0). tf2onnx writes perm [0, 3, 1, 2] (NHWC -> NCHW) at the
graph input of a CNN and [0, 2, 3, 1] where it goes back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, require, tensor

__all__ = ["DTYPES", "OnnxTransposeParams", "prepare", "run"]

DTYPES = ("float32", "int8", "uint8", "int32", "int64")


@dataclass(frozen=True, eq=False)
class OnnxTransposeParams:
    """perm: the axis permutation, perm[0] == 0."""

    perm: tuple[int, ...]


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxTransposeParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", DTYPES)
    tensor(graph, op, -1, "output", (x.dtype,))
    rank = len(x.shape)
    perm = op.options.get("perm", list(range(rank))[::-1])
    require(
        isinstance(perm, list) and sorted(perm) == list(range(rank)),
        op,
        f"Transpose: perm {perm!r} is not a permutation of the {rank} axes of {x.shape}",
    )
    require(
        perm[0] == 0,
        op,
        f"Transpose: perm {perm} moves the batch axis; supported: perm[0] == 0",
        unsupported=True,
    )
    return OnnxTransposeParams(tuple(perm))


def run(p: OnnxTransposeParams, x: np.ndarray) -> np.ndarray:
    """(N, ...) -> (N, ...) permuted, contiguous."""
    return np.ascontiguousarray(x.transpose(p.perm))
