"""QUANTIZE: float32 -> int8/uint8/int16 (TFLite AffineQuantize, see runtime/quantize.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime import quantize as q
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, per_tensor, tensor

__all__ = ["QuantizeParams", "prepare", "run"]


@dataclass(frozen=True)
class QuantizeParams:
    """Output tensor's scale / zero point and integer dtype."""

    scale: float
    zero_point: int
    dtype: str


def prepare(graph: Graph, op: Operator, rounding: str) -> QuantizeParams:
    arity(op, (1,))
    tensor(graph, op, 0, "input", ("float32",))
    y = tensor(graph, op, -1, "output", q.QUANT_DTYPES)
    scale, zp = per_tensor(op, y, "output")
    return QuantizeParams(scale, zp, y.dtype)


def run(p: QuantizeParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: float32, any shape -> p.dtype, same shape."""
    return q.quantize(x, p.scale, p.zero_point, p.dtype)
