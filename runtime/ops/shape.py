"""SHAPE: the shape of a tensor as an int32/int64 vector. With STRIDED_SLICE, PACK and RESHAPE
it is what the converter emits for Flatten with a dynamic batch (SHAPE -> STRIDED_SLICE [0:1] ->
PACK [n, -1] -> RESHAPE). It reports the real batch, so the RESHAPE sees (N, ...); its output is
metadata, not a batched activation (ops.__init__ marks it batched=False)."""

from __future__ import annotations

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, tensor

__all__ = ["prepare", "run"]

ANY = ("float32", "int8", "uint8", "int16", "int32", "int64")


def prepare(graph: Graph, op: Operator, rounding: str) -> str:
    """-> the output dtype name."""
    arity(op, (1,))
    tensor(graph, op, 0, "input", ANY)
    return tensor(graph, op, -1, "output", ("int32", "int64")).dtype


def run(dtype: str, x: np.ndarray) -> np.ndarray:
    """x: any -> (rank,) its shape."""
    return np.array(x.shape, dtype)
