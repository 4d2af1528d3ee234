"""ONNX Reshape: the values unchanged, a new shape (a constant int64 input; 0 copies the input's
dimension, -1 is inferred). Dimension 0 follows the runtime batch. float32, int8, uint8 (QDQ
graphs reshape int8 tensors)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, tensor

__all__ = ["LAYOUT_DTYPES", "OnnxReshapeParams", "prepare", "run"]

LAYOUT_DTYPES = ("float32", "int8", "uint8")


@dataclass(frozen=True, eq=False)
class OnnxReshapeParams:
    """shape: the requested dims as in the file (0 and -1 resolved at run time)."""

    shape: tuple[int, ...]


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxReshapeParams:
    arity(op, (2,))
    x = tensor(graph, op, 0, "input 0", LAYOUT_DTYPES)
    tensor(graph, op, -1, "output", (x.dtype,))
    shape = const(op, tensor(graph, op, 1, "shape", ("int64",)), "shape")
    return OnnxReshapeParams(tuple(int(d) for d in shape.ravel()))


def run(p: OnnxReshapeParams, x: np.ndarray, *_constants) -> np.ndarray:
    """(N, ...) -> (N, ...) reshaped."""
    dims = [x.shape[i] if d == 0 else d for i, d in enumerate(p.shape)]
    if dims and dims[0] not in (-1, x.shape[0]):
        dims[0] = x.shape[0] if -1 in dims[1:] else -1
    return x.reshape(dims)
