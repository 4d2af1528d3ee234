"""ADD: y = act(a + b) with numpy broadcasting, int8 (any two input scales) and float32.

int8 (reference_integer_ops::Add / BroadcastAdd6DSlow; TFLM add_common.cc, litert add.cc):
    left_shift = 20; twice_max = 2 * max(scale_a, scale_b) (double)
    m_a, s_a = QuantizeMultiplierSmallerThanOneExp(scale_a / twice_max)      (same for b)
    m_y, s_y = QuantizeMultiplierSmallerThanOneExp(twice_max / (2^20 * scale_y))
    a' = MBQM((q_a - zp_a) * 2^20, m_a, s_a)                                 (same for b)
    y = clamp(zp_y + MBQM(a' + b', m_y, s_y), act_min, act_max)
MBQM with gemmlowp double rounding in BOTH modes: measured, ai-edge-litert 2.3's BUILTIN_REF ADD
is exact with double rounding and up to 30 % of outputs 1 LSB off with single rounding
(REQUANTIZATION; tests/runtime/ops/test_add.py pins it).
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

__all__ = ["REQUANTIZATION", "LEFT_SHIFT", "AddInt8", "AddFloat", "prepare", "run"]

LEFT_SHIFT = 20  # int8 ADD's headroom shift


@dataclass(frozen=True)
class AddInt8:
    """Prepared int8 ADD: zero points, the three (multiplier, shift) pairs (shifts <= 0) and
    the fused activation clamp (int8)."""

    zero_points: tuple[int, int, int]  # a, b, output
    multipliers: tuple[int, int, int]
    shifts: tuple[int, int, int]
    act_min: int
    act_max: int
    rounding: str
    requant: tuple = ()  # (a, b, output) fixedpoint.Requantizer, from prepare


@dataclass(frozen=True)
class AddFloat:
    act_min: float
    act_max: float


def _smaller_than_one(real: float, rounding: str, op: Operator) -> tuple[int, int]:
    m, s = fixedpoint.quantize_multiplier(real, rounding)
    require(s <= 0, op, f"ADD: multiplier {real} is not below 1 (shift {s})", unsupported=True)
    return m, s


def prepare(graph: Graph, op: Operator, mode: str) -> AddInt8 | AddFloat:
    a, b, y = broadcast_inputs(graph, op)
    rounding = REQUANTIZATION[mode]
    fused = op.options.get("fused_activation", "NONE")
    if a.dtype == "float32":
        return AddFloat(*FLOAT_RANGES[fused])
    (sa, za), (sb, zb) = per_tensor(op, a, "input 1"), per_tensor(op, b, "input 2")
    sy, zy = per_tensor(op, y, "output")
    twice_max = 2.0 * float(max(np.float32(sa), np.float32(sb)))
    ma, ka = _smaller_than_one(float(sa) / twice_max, rounding, op)
    mb, kb = _smaller_than_one(float(sb) / twice_max, rounding, op)
    my, ky = _smaller_than_one(twice_max / ((1 << LEFT_SHIFT) * float(sy)), rounding, op)
    lo, hi = activation_range(fused, sy, zy, "int8")
    bound = 255 << LEFT_SHIFT  # |q - zp| <= 255; the scaled inputs are at most that too
    requant = (
        fixedpoint.requantizer(ma, ka, rounding, bound),
        fixedpoint.requantizer(mb, kb, rounding, bound),
        fixedpoint.requantizer(my, ky, rounding, 2 * bound),
    )
    return AddInt8((za, zb, zy), (ma, mb, my), (ka, kb, ky), lo, hi, rounding, requant)


def run(p: AddInt8 | AddFloat, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a, b: broadcastable, same dtype -> their broadcast shape, same dtype."""
    if isinstance(p, AddFloat):
        return np.clip(a + b, p.act_min, p.act_max).astype(np.float32)
    shape = np.broadcast_shapes(a.shape, b.shape)
    if len(shape) < 2 or shape[0] <= 1:
        return _add_int8(p, a, b)
    out = np.empty(shape, np.int8)
    step = max(1, (1 << 16) // max(1, int(np.prod(shape[1:]))))  # rows per block, in cache

    def rows(v, i):
        return v[i : i + step] if v.ndim == len(shape) and v.shape[0] == shape[0] else v

    for i in range(0, shape[0], step):
        out[i : i + step] = _add_int8(p, rows(a, i), rows(b, i))
    return out


def _add_int8(p: AddInt8, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    za, zb, zy = p.zero_points
    ra, rb, ry = p.requant
    a2 = ra((a.astype(np.int64) - za) << LEFT_SHIFT)
    a2 = a2 + rb((b.astype(np.int64) - zb) << LEFT_SHIFT)
    y = ry(a2)
    y += zy
    return np.clip(y, p.act_min, p.act_max, out=y).astype(np.int8)
