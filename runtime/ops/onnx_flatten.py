"""ONNX Flatten with axis 1: (N, d1, ..., dk) -> (N, d1 * ... * dk), values unchanged (float32,
int8, uint8). Another axis is refused."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, require, tensor
from tinyflash.runtime.ops.onnx_reshape import LAYOUT_DTYPES

__all__ = ["OnnxFlattenParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxFlattenParams:
    """No constants (axis 1, checked)."""


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxFlattenParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input 0", LAYOUT_DTYPES)
    tensor(graph, op, -1, "output", (x.dtype,))
    require(attr(op, "axis", 1, int) == 1, op, "Flatten only with axis=1", unsupported=True)
    return OnnxFlattenParams()


def run(p: OnnxFlattenParams, x: np.ndarray) -> np.ndarray:
    """(N, ...) -> (N, prod(...))."""
    return x.reshape(x.shape[0], -1)
