"""ONNX Identity: y = x (float32, int8, uint8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, tensor
from tinyflash.runtime.ops.onnx_reshape import LAYOUT_DTYPES

__all__ = ["OnnxIdentityParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxIdentityParams:
    """No constants."""


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxIdentityParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input 0", LAYOUT_DTYPES)
    tensor(graph, op, -1, "output", (x.dtype,))
    return OnnxIdentityParams()


def run(p: OnnxIdentityParams, x: np.ndarray) -> np.ndarray:
    """(N, ...) -> the same array."""
    return x
