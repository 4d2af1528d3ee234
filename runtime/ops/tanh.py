"""TANH, int8 and float32.

int8 output is fixed by TFLite: scale 1/128, zero point 0.
  "tflm"   (TFLM reference_integer_ops::Tanh): x - zp rescaled to Q4.27 (double-rounding MBQM),
           gemmlowp fixed-point tanh, rounding shift to Q0.7; beyond +-radius saturates.
  "litert" (ai-edge-litert LUTPopulate): 256-entry float32 table of tanh, see logistic.float_lut.
"""

from __future__ import annotations

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, per_tensor, require, tensor
from tinyflash.runtime.ops.elementwise import ALL_INT8, Int8Table, lookup
from tinyflash.runtime.ops.logistic import fixed_point_input_params, float_lut

__all__ = ["prepare", "run", "tanh_int8_tflm"]

_INPUT_INTEGER_BITS = 4


def tanh_int8_tflm(q: np.ndarray, input_zero_point: int, d: dict) -> np.ndarray:
    """TFLM int8 tanh of int8 values q (any shape); output scale 1/128, zero point 0."""
    x = q.astype(np.int64) - input_zero_point
    radius = d["input_range_radius"]
    inside = np.clip(x, -radius + 1, radius - 1)
    in_q4 = fixedpoint.multiply_by_quantized_multiplier(
        inside, d["input_multiplier"], d["input_left_shift"], "tflm"
    )
    out = fixedpoint.rounding_divide_by_pot(fixedpoint.tanh_q0(in_q4, _INPUT_INTEGER_BITS), 24)
    out = np.clip(out, -128, 127)
    out = np.where(x <= -radius, -128, np.where(x >= radius, 127, out))
    return out.astype(np.int8)


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
        out_zp == 0 and np.float32(out_scale) == np.float32(1 / 128),
        op,
        f"int8 output must have scale 1/128 and zero point 0, found {out_scale}, {out_zp}",
        unsupported=True,
    )
    if rounding == "tflm":
        d = fixed_point_input_params(in_scale, _INPUT_INTEGER_BITS)
        table = tanh_int8_tflm(ALL_INT8, in_zp, d)
    else:
        d = {}
        table = float_lut(np.tanh, ALL_INT8, in_scale, in_zp, out_scale, out_zp)
    d["input_zero_point"] = in_zp
    return Int8Table("TANH", table, rounding, d)


def run(p, x: np.ndarray, *_constants) -> np.ndarray:
    """x: int8 or float32, any shape -> same shape and dtype."""
    if p is None:
        return np.tanh(x.astype(np.float32)).astype(np.float32)
    return lookup(p, x)
