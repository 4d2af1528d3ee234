"""LOGISTIC (sigmoid), int8 and float32.

int8 output is fixed by TFLite: scale 1/256, zero point -128. The two modes compute different
functions here (not just a different rounding):
  "tflm"   (TFLM reference_integer_ops::Logistic): rescale x - zp to Q4.27 with a frexp-derived
           multiplier (double-rounding MBQM), gemmlowp fixed-point logistic, rounding shift to
           Q0.8, -128; inputs beyond +-input_range_radius saturate.
  "litert" (ai-edge-litert LUTPopulate): a 256-entry table built in float32:
           round_half_away(sigmoid(scale * (q - zp)) * (1 / out_scale)) + out_zp, truncated,
           clamped.
"""

from __future__ import annotations

import math

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, per_tensor, require, tensor
from tinyflash.runtime.ops.elementwise import ALL_INT8, Int8Table, lookup
from tinyflash.runtime.quantize import round_half_away_from_zero

__all__ = ["fixed_point_input_params", "float_lut", "logistic_int8_tflm", "prepare", "run"]

_INPUT_INTEGER_BITS = 4


def fixed_point_input_params(input_scale: float, input_integer_bits: int = 4) -> dict:
    """TFLM Prepare for int8 LOGISTIC/TANH: input_scale * 2^(31 - ib) = m * 2^(shift - 31)."""
    q, shift = math.frexp(float(input_scale) * float(1 << (31 - input_integer_bits)))
    multiplier = int(math.floor(q * 2.0**31 + 0.5))
    if multiplier > fixedpoint.INT32_MAX:
        raise ValueError(f"input scale {input_scale!r} gives an int32 overflow in TFLM's prepare")
    radius = fixedpoint.calculate_input_radius(input_integer_bits, shift, 31)
    return {"input_multiplier": multiplier, "input_left_shift": shift, "input_range_radius": radius}


def logistic_int8_tflm(q: np.ndarray, input_zero_point: int, d: dict) -> np.ndarray:
    """TFLM int8 logistic of int8 values q (any shape); output scale 1/256, zero point -128."""
    x = q.astype(np.int64) - input_zero_point
    radius = d["input_range_radius"]
    inside = np.clip(x, -radius + 1, radius - 1)  # only used where -radius < x < radius
    in_q4 = fixedpoint.multiply_by_quantized_multiplier(
        inside, d["input_multiplier"], d["input_left_shift"], "tflm"
    )
    out = fixedpoint.rounding_divide_by_pot(fixedpoint.logistic_q0(in_q4, _INPUT_INTEGER_BITS), 23)
    out = np.clip(out - 128, -128, 127)
    out = np.where(x <= -radius, -128, np.where(x >= radius, 127, out))
    return out.astype(np.int8)


def float_lut(fn, q, in_scale, in_zp, out_scale, out_zp) -> np.ndarray:
    """LiteRT LUTPopulate<int8> in float32: fn(in_scale * (q - in_zp)) requantized."""
    f32 = np.float32
    dequantized = f32(in_scale) * (q.astype(np.int32) - in_zp).astype(f32)
    transformed = fn(dequantized.astype(f32)).astype(f32)
    rescaled = round_half_away_from_zero(transformed * (f32(1.0) / f32(out_scale))).astype(f32)
    quantized = np.trunc(rescaled + f32(out_zp)).astype(np.int64)
    return np.clip(quantized, -128, 127).astype(np.int8)


def _sigmoid32(v: np.ndarray) -> np.ndarray:
    one = np.float32(1.0)
    with np.errstate(over="ignore"):  # exp(-v) = inf for v << 0 gives 1 / inf = 0, as in C
        return one / (one + np.exp(-v))


def prepare(graph: Graph, op: Operator, rounding: str):
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    tensor(graph, op, -1, "output", (x.dtype,))
    if x.dtype == "float32":
        return None
    y = graph.tensors[op.outputs[0]]
    in_scale, in_zp = per_tensor(op, x, "input")
    out_scale, out_zp = per_tensor(op, y, "output")
    require(
        out_zp == -128 and np.float32(out_scale) == np.float32(1 / 256),
        op,
        f"int8 output must have scale 1/256 and zero point -128, found {out_scale}, {out_zp}",
        unsupported=True,
    )
    if rounding == "tflm":
        d = fixed_point_input_params(in_scale, _INPUT_INTEGER_BITS)
        table = logistic_int8_tflm(ALL_INT8, in_zp, d)
    else:
        d = {}
        table = float_lut(_sigmoid32, ALL_INT8, in_scale, in_zp, out_scale, out_zp)
    d["input_zero_point"] = in_zp
    return Int8Table("LOGISTIC", table, rounding, d)


def run(p, x: np.ndarray, *_constants) -> np.ndarray:
    """x: int8 or float32, any shape -> same shape and dtype."""
    if p is None:
        return _sigmoid32(x.astype(np.float32)).astype(np.float32)
    return lookup(p, x)
