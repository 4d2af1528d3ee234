"""QUANTIZE: float32 -> int8/uint8/int16 (TFLite AffineQuantize, see runtime/quantize.py), and
int8/uint8 -> int8/uint8 requantization (reference_ops::Requantize; TFLM quantize_common.cc and
litert quantize.cc), what converters put in front of an int8 graph with a uint8 interface or
where two scales must meet:
    m, s = QuantizeMultiplier(in_scale / out_scale)          (double)
    y = clamp(out_zp + MBQM(q - in_zp, m, s), dtype_min, dtype_max)
MBQM with gemmlowp double rounding in both modes (as litert's other integer kernels besides
FULLY_CONNECTED and SOFTMAX; tests/runtime/ops/test_quantize.py checks both references).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime import quantize as q
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, per_tensor, require, tensor

__all__ = ["QuantizeParams", "RequantizeParams", "prepare", "run"]

REQUANT_DTYPES = ("int8", "uint8")


@dataclass(frozen=True)
class QuantizeParams:
    """Output tensor's scale / zero point and integer dtype."""

    scale: float
    zero_point: int
    dtype: str


@dataclass(frozen=True)
class RequantizeParams:
    """Integer -> integer: input / output zero points, in_scale / out_scale = m * 2^(s - 31)."""

    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    dtype: str


def prepare(graph: Graph, op: Operator, rounding: str) -> QuantizeParams | RequantizeParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", ("float32", *REQUANT_DTYPES))
    y = tensor(graph, op, -1, "output", q.QUANT_DTYPES)
    scale, zp = per_tensor(op, y, "output")
    if x.dtype == "float32":
        return QuantizeParams(scale, zp, y.dtype)
    require(
        y.dtype in REQUANT_DTYPES,
        op,
        f"QUANTIZE: {x.dtype} -> {y.dtype} is not supported; supported: float32 -> "
        f"{list(q.QUANT_DTYPES)}, {list(REQUANT_DTYPES)} -> {list(REQUANT_DTYPES)}",
        unsupported=True,
    )
    in_scale, in_zp = per_tensor(op, x, "input")
    m, s = fixedpoint.quantize_multiplier(float(in_scale) / float(scale), "tflm")
    require(-31 <= s and (255 << max(s, 0)) < 2**31, op, f"QUANTIZE: shift {s} out of range")
    return RequantizeParams(in_zp, zp, m, s, y.dtype)


def run(p: QuantizeParams | RequantizeParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: float32 (or int8/uint8), any shape -> p.dtype, same shape."""
    if isinstance(p, QuantizeParams):
        return q.quantize(x, p.scale, p.zero_point, p.dtype)
    v = x.astype(np.int64) - p.input_zero_point
    y = p.output_zero_point + fixedpoint.requantize(v, p.multiplier, p.shift, "tflm", 255)
    info = np.iinfo(p.dtype)
    return np.clip(y, info.min, info.max).astype(p.dtype)
