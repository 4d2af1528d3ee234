"""MUL: y = act(a * b) with numpy broadcasting, int8 and float32 (what BatchNormalization
becomes when no convolution precedes it: MUL then ADD by per-channel constants).

int8 (reference_integer_ops::Mul / BroadcastMul6DSlow; TFLM mul_common.cc, litert mul.cc):
    m, s = QuantizeMultiplier(scale_a * scale_b / scale_y)      (double)
    y = clamp(zp_y + MBQM((q_a - zp_a) * (q_b - zp_b), m, s), act_min, act_max)
MBQM with gemmlowp double rounding in BOTH modes: measured, as for ADD (REQUANTIZATION;
tests/runtime/ops/test_mul.py pins it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import (
    FLOAT_RANGES,
    activation_range,
    broadcast_inputs,
    per_tensor,
    require,
)

REQUANTIZATION = {"tflm": "tflm", "litert": "tflm"}  # mode -> fixedpoint rounding (measured)

__all__ = ["REQUANTIZATION", "MulFloat", "MulInt8", "prepare", "run"]


@dataclass(frozen=True)
class MulInt8:
    """zero_points (a, b, output); multiplier / shift of scale_a * scale_b / scale_y; clamp."""

    zero_points: tuple[int, int, int]
    multiplier: int
    shift: int
    act_min: int
    act_max: int
    rounding: str


@dataclass(frozen=True)
class MulFloat:
    act_min: float
    act_max: float


def prepare(graph: Graph, op: Operator, mode: str) -> MulInt8 | MulFloat:
    a, b, y = broadcast_inputs(graph, op)
    rounding = REQUANTIZATION[mode]
    fused = op.options.get("fused_activation", "NONE")
    if a.dtype == "float32":
        return MulFloat(*FLOAT_RANGES[fused])
    (sa, za), (sb, zb) = per_tensor(op, a, "input 1"), per_tensor(op, b, "input 2")
    sy, zy = per_tensor(op, y, "output")
    m, s = fixedpoint.quantize_multiplier(float(sa) * float(sb) / float(sy), rounding)
    require(-31 <= s and (2**16 << max(s, 0)) < 2**31, op, f"MUL: shift {s} out of range", True)
    lo, hi = activation_range(fused, sy, zy, "int8")
    return MulInt8((za, zb, zy), m, s, lo, hi, rounding)


def run(p: MulInt8 | MulFloat, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a, b: broadcastable, same dtype -> their broadcast shape, same dtype."""
    if isinstance(p, MulFloat):
        return np.clip(a * b, p.act_min, p.act_max).astype(np.float32)
    za, zb, zy = p.zero_points
    prod = (a.astype(np.int64) - za) * (b.astype(np.int64) - zb)
    y = zy + fixedpoint.multiply_by_quantized_multiplier(prod, p.multiplier, p.shift, p.rounding)
    return np.clip(y, p.act_min, p.act_max).astype(np.int8)
