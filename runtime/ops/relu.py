"""RELU, RELU6, RELU_N1_TO_1 as standalone operators, int8 and float32.

int8 (TFLite ReluX): y = clamp(out_zp + MBQM(q - in_zp, m, shift), act_min, act_max) with
in_scale / out_scale = m * 2^(shift - 31) and the clamp bounds of the activation quantized in
the output's scale (see common.activation_range).
"""

from __future__ import annotations

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import FLOAT_RANGES, activation_range, arity, per_tensor, tensor
from tinyflash.runtime.ops.elementwise import ALL_INT8, Int8Table, lookup

__all__ = ["prepare", "relu_int8", "run"]

_ACTIVATION = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}


def relu_int8(q: np.ndarray, d: dict, rounding: str) -> np.ndarray:
    """int8 values (any shape) -> int8: requantize, then clamp to the activation range."""
    x = q.astype(np.int64) - d["input_zero_point"]
    y = d["output_zero_point"] + fixedpoint.multiply_by_quantized_multiplier(
        x, d["multiplier"], d["shift"], rounding
    )
    return np.clip(y, d["act_min"], d["act_max"]).astype(np.int8)


def prepare(graph: Graph, op: Operator, rounding: str):
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    if x.dtype == "float32":
        return FLOAT_RANGES[_ACTIVATION[op.op]]
    in_scale, in_zp = per_tensor(op, x, "input")
    out_scale, out_zp = per_tensor(op, y, "output")
    m, s = fixedpoint.quantize_multiplier(float(in_scale) / float(out_scale), rounding)
    act_min, act_max = activation_range(_ACTIVATION[op.op], out_scale, out_zp, "int8")
    d = {"input_zero_point": in_zp, "output_zero_point": out_zp, "multiplier": m, "shift": s,
         "act_min": act_min, "act_max": act_max}
    return Int8Table(op.op, relu_int8(ALL_INT8, d, rounding), rounding, d)


def run(p, x: np.ndarray, *_constants) -> np.ndarray:
    """x: int8 or float32, any shape -> same shape and dtype."""
    if isinstance(p, tuple):
        return np.clip(x, p[0], p[1]).astype(np.float32)
    return lookup(p, x)
