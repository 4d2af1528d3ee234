"""DEQUANTIZE: int8/uint8/int16 -> float32, float32(double(scale) * (q - zero_point))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime import quantize as q
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, per_tensor, tensor

__all__ = ["DequantizeParams", "prepare", "run"]


@dataclass(frozen=True)
class DequantizeParams:
    """Input tensor's scale / zero point."""

    scale: float
    zero_point: int


def prepare(graph: Graph, op: Operator, rounding: str) -> DequantizeParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", q.QUANT_DTYPES)
    tensor(graph, op, -1, "output", ("float32",))
    scale, zp = per_tensor(op, x, "input")
    return DequantizeParams(scale, zp)


def run(p: DequantizeParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: integer array, any shape -> float32, same shape."""
    return q.dequantize(x, p.scale, p.zero_point)
