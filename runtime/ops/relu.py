"""RELU, RELU6, RELU_N1_TO_1 as standalone operators, int8 and float32.

int8, TFLite ReluX (ai-edge-litert all three; TFLM RELU):
    y = clamp(out_zp + MBQM(q - in_zp, m, shift), act_min, act_max)
with in_scale / out_scale = m * 2^(shift - 31) and the activation's bounds quantized in the
output scale (common.activation_range). MBQM here is the DOUBLE-rounding one in both modes:
measured on ai-edge-litert 2.3, its RELU requantizes with gemmlowp double rounding even though
its FULLY_CONNECTED uses single rounding (tests/runtime/ops/test_elementwise.py pins this).
int8 RELU6 in TFLM (Relu6Quantized) does not requantize: y = clamp(q, in_zp, in_zp + round(6 /
in_scale)) in the INPUT's quantization. TFLM has no RELU_N1_TO_1 kernel: unsupported there.
"""

from __future__ import annotations

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import (
    FLOAT_RANGES,
    activation_range,
    arity,
    per_tensor,
    require,
    tensor,
)
from tinyflash.runtime.ops.elementwise import ALL_INT8, Int8Table, lookup

__all__ = ["prepare", "relu_int8", "run"]

_ACTIVATION = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}


def relu_int8(q: np.ndarray, d: dict) -> np.ndarray:
    """int8 values (any shape) -> int8: requantize (double rounding), clamp to the range."""
    x = q.astype(np.int64) - d["input_zero_point"]
    if d["multiplier"] is None:  # TFLM RELU6: clamp in the input's quantization
        return np.clip(q, d["act_min"], d["act_max"]).astype(np.int8)
    y = d["output_zero_point"] + fixedpoint.multiply_by_quantized_multiplier(
        x, d["multiplier"], d["shift"], "tflm"
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
    require(
        not (rounding == "tflm" and op.op == "RELU_N1_TO_1"),
        op,
        "TFLM has no int8 RELU_N1_TO_1 kernel (rounding='tflm')",
        unsupported=True,
    )
    if rounding == "tflm" and op.op == "RELU6":
        act_min, act_max = activation_range("RELU6", in_scale, in_zp, "int8")
        m = s = None
    else:
        # float32 quotient, as LiteRT's ReluPrepare divides the two float scales
        m, s = fixedpoint.quantize_multiplier(float(np.float32(in_scale) / np.float32(out_scale)))
        act_min, act_max = activation_range(_ACTIVATION[op.op], out_scale, out_zp, "int8")
    d = {
        "input_zero_point": in_zp,
        "output_zero_point": out_zp,
        "multiplier": m,
        "shift": s,
        "act_min": act_min,
        "act_max": act_max,
    }
    return Int8Table(op.op, relu_int8(ALL_INT8, d), rounding, d)


def run(p, x: np.ndarray, *_constants) -> np.ndarray:
    """x: int8 or float32, any shape -> same shape and dtype."""
    if isinstance(p, tuple):
        return np.clip(x, p[0], p[1]).astype(np.float32)
    return lookup(p, x)
