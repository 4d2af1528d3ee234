"""What LOGISTIC and TANH share (int8 and float32): one prepare, one TFLM fixed-point kernel, one
float path; each operator file (logistic.py, tanh.py) gives only its `Q0Activation` spec.

int8 output quantization is fixed by TFLite per operator (spec.out_scale, spec.out_zero_point).
  "tflm"   (TFLM reference_integer_ops::Logistic / Tanh): x - zp rescaled to Q4.27 with a
           frexp-derived multiplier (double-rounding MBQM), the gemmlowp fixed-point function
           (Q4.27 -> Q0.31), a rounding shift to the output's 8 bits, + offset; inputs beyond
           +-input_range_radius saturate to -128 / 127.
  "litert" (ai-edge-litert LUTPopulate): a 256-entry table built in float32 (`float_lut`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, per_tensor, require, tensor
from tinyflash.runtime.ops.elementwise import ALL_INT8, Int8Table, lookup
from tinyflash.runtime.quantize import round_half_away_from_zero

__all__ = [
    "FloatActivation",
    "Q0Activation",
    "fixed_point_input_params",
    "float_lut",
    "int8_tflm",
    "prepare",
    "run",
]

INPUT_INTEGER_BITS = 4  # Q4.27 input, as TFLM


@dataclass(frozen=True)
class Q0Activation:
    """op: the TFLite name; out_scale / out_zero_point: the fixed int8 output quantization;
    q0: fixedpoint's Q4.27 -> Q0.31 function; shift / offset: Q0.31 -> int8 (rounding shift,
    then + offset); float32: the float function (float path and litert's table)."""

    op: str
    out_scale: float
    out_zero_point: int
    q0: Callable[[np.ndarray, int], np.ndarray]
    shift: int
    offset: int
    float32: Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class FloatActivation:
    """Prepared float32 LOGISTIC / TANH: the spec whose float32 function runs."""

    spec: Q0Activation


def fixed_point_input_params(input_scale: float, input_integer_bits: int = 4) -> dict:
    """TFLM Prepare for int8 LOGISTIC/TANH: input_scale * 2^(31 - ib) = m * 2^(shift - 31)."""
    q, shift = math.frexp(float(input_scale) * float(1 << (31 - input_integer_bits)))
    multiplier = int(math.floor(q * 2.0**31 + 0.5))
    if multiplier > fixedpoint.INT32_MAX:
        raise ValueError(f"input scale {input_scale!r} gives an int32 overflow in TFLM's prepare")
    radius = fixedpoint.calculate_input_radius(input_integer_bits, shift, 31)
    return {"input_multiplier": multiplier, "input_left_shift": shift, "input_range_radius": radius}


def int8_tflm(spec: Q0Activation, q: np.ndarray, input_zero_point: int, d: dict) -> np.ndarray:
    """TFLM's int8 kernel of `spec` on int8 values q (any shape) -> int8, same shape."""
    x = q.astype(np.int64) - input_zero_point
    radius = d["input_range_radius"]
    inside = np.clip(x, -radius + 1, radius - 1)  # only used where -radius < x < radius
    in_q4 = fixedpoint.multiply_by_quantized_multiplier(
        inside, d["input_multiplier"], d["input_left_shift"], "tflm"
    )
    out = fixedpoint.rounding_divide_by_pot(spec.q0(in_q4, INPUT_INTEGER_BITS), spec.shift)
    out = np.clip(out + spec.offset, -128, 127)
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


def prepare(
    spec: Q0Activation, graph: Graph, op: Operator, rounding: str
) -> FloatActivation | Int8Table:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    tensor(graph, op, -1, "output", (x.dtype,))
    if x.dtype == "float32":
        return FloatActivation(spec)
    y = graph.tensors[op.outputs[0]]
    in_scale, in_zp = per_tensor(op, x, "input")
    out_scale, out_zp = per_tensor(op, y, "output")
    require(
        out_zp == spec.out_zero_point and np.float32(out_scale) == np.float32(spec.out_scale),
        op,
        f"int8 output must have scale 1/{round(1 / spec.out_scale)} and zero point "
        f"{spec.out_zero_point}, found {out_scale}, {out_zp}",
        unsupported=True,
    )
    if rounding == "tflm":
        d = fixed_point_input_params(in_scale, INPUT_INTEGER_BITS)
        table = int8_tflm(spec, ALL_INT8, in_zp, d)
    else:
        d = {}
        table = float_lut(spec.float32, ALL_INT8, in_scale, in_zp, out_scale, out_zp)
    d["input_zero_point"] = in_zp
    return Int8Table(spec.op, table, rounding, d)


def run(p: FloatActivation | Int8Table, x: np.ndarray, *_constants) -> np.ndarray:
    """x: int8 or float32, any shape -> same shape and dtype."""
    if isinstance(p, FloatActivation):
        return p.spec.float32(x.astype(np.float32)).astype(np.float32)
    return lookup(p, x)
