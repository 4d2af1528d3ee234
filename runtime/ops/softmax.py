"""SOFTMAX over the last axis, int8 -> int8 (output scale 1/256, zero point -128) and float32.

int8 (TFLite reference_ops::Softmax, both TFLM and ai-edge-litert BUILTIN_REF):
    diff = q - max(row)                                  (<= 0, int32)
    entries with diff < diff_min contribute 0 and output -128
    z = MBQM_GT1(diff, input_multiplier, input_left_shift)  as Q5.26   (beta * scale folded in)
    e = gemmlowp exp_on_negative_values(z)                 Q0.31
    sum = sum_row RoundingDivideByPOT(e, 12)               Q12.19
    r = 1 / sum via gemmlowp one_over_one_plus_x_for_x_in_0_1 (GetReciprocal)
    y = clamp(RoundingDivideByPOT(srdhm(r, e), num_bits_over_unit + 23) - 128, -128, 127)
The modes differ in MBQM_GT1 (double vs single rounding) and in the cap on the real multiplier
(2^31 - 1 vs 2^30 - 1) -- both in fixedpoint / prepare.

e depends only on diff in [-255, 0], so prepare tabulates it once (`exp_table`, 256 entries,
index -diff); run() does lookups plus the per-row reciprocal and the final rescale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinyflash.runtime import fixedpoint as fp
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, per_tensor, require, tensor

__all__ = ["SoftmaxFloat", "SoftmaxInt8", "prepare", "run", "softmax_int8"]

_SCALED_DIFF_INTEGER_BITS = 5
_ACCUMULATION_INTEGER_BITS = 12
# Equal inputs give depth terms of 2^19 (Q12.19 exp(0)); the output shift num_bits_over_unit + 23
# stays <= 31 only while that sum is < 2^28 (TFLite's reference kernel has the same limit).
_MAX_INT8_DEPTH = 511


@dataclass(frozen=True, eq=False)
class SoftmaxInt8:
    """Prepared int8 SOFTMAX: beta * input_scale * 2^26 = input_multiplier * 2^(left_shift-31)
    (capped), diff_min = -CalculateInputRadius(5, input_left_shift).

    exp_table: (256,) int64, exp_table[d] = exp_on_negative_values(MBQM_GT1(-d)) in Q0.31 for
    diff = -d, and 0 where -d < diff_min (those entries contribute nothing and output -128).
    """

    beta: float
    input_multiplier: int
    input_left_shift: int
    diff_min: int
    rounding: str
    exp_table: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class SoftmaxFloat:
    beta: float


def exp_table(input_multiplier: int, input_left_shift: int, diff_min: int, rounding: str):
    """(256,) int64 Q0.31: exp of the rescaled diff for diff = 0, -1, ..., -255 (0 if invalid)."""
    diff = -np.arange(256, dtype=np.int64)
    valid = diff >= diff_min
    z = fp.multiply_by_quantized_multiplier_greater_than_one(
        np.where(valid, diff, 0), input_multiplier, input_left_shift, rounding
    )
    return np.where(valid, fp.exp_on_negative_values(z, _SCALED_DIFF_INTEGER_BITS), 0)


def softmax_int8(q: np.ndarray, p: SoftmaxInt8) -> np.ndarray:
    """q: (..., depth) int8 -> (..., depth) int8, softmax over the last axis."""
    x = q.astype(np.int64)
    neg_diff = x.max(axis=-1, keepdims=True) - x  # 0..255
    valid = neg_diff <= -p.diff_min
    e = p.exp_table[neg_diff]
    terms = fp.rounding_divide_by_pot(e, _ACCUMULATION_INTEGER_BITS)  # invalid: e = 0 -> 0
    total = fp.wrap_int32(terms.sum(axis=-1, keepdims=True))
    headroom_plus_one = fp.count_leading_zeros_u32(total)
    num_bits_over_unit = _ACCUMULATION_INTEGER_BITS - headroom_plus_one
    shifted_minus_one = fp.wrap_int32(((total << headroom_plus_one) & 0xFFFFFFFF) - 2**31)
    reciprocal = fp.one_over_one_plus_x_for_x_in_0_1(shifted_minus_one)
    exponent = num_bits_over_unit + 31 - 8
    assert np.all((exponent >= 0) & (exponent <= 31))
    out = fp.rounding_divide_by_pot(
        fp.saturating_rounding_doubling_high_mul(reciprocal, e), np.broadcast_to(exponent, e.shape)
    )
    out = np.clip(out - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8)


def prepare(graph: Graph, op: Operator, rounding: str):
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    beta = float(op.options.get("beta", 1.0))
    if x.dtype == "float32":
        return SoftmaxFloat(beta)
    in_scale, _ = per_tensor(op, x, "input")
    out_scale, out_zp = per_tensor(op, y, "output")
    require(
        out_zp == -128 and abs(out_scale - 1 / 256) <= 0.001 / 256,
        op,
        f"int8 output must have scale 1/256 and zero point -128, found {out_scale}, {out_zp}",
        unsupported=True,
    )
    depth = x.shape[-1] if x.shape else 1
    require(
        depth <= _MAX_INT8_DEPTH,
        op,
        f"int8 SOFTMAX over {depth} values overflows the Q12.19 sum of exponentials (an output "
        f"shift > 31); supported: at most {_MAX_INT8_DEPTH} values",
        unsupported=True,
    )
    cap = (2.0**30 - 1.0) if rounding == "litert" else (2.0**31 - 1.0)
    real = min(float(np.float32(beta)) * float(in_scale) * float(1 << (31 - 5)), cap)
    m, shift = fp.quantize_multiplier_greater_than_one(real, rounding)
    diff_min = -fp.calculate_input_radius(_SCALED_DIFF_INTEGER_BITS, shift, 31)
    return SoftmaxInt8(beta, m, shift, diff_min, rounding, exp_table(m, shift, diff_min, rounding))


def run(p, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (..., depth) int8 or float32 -> same shape and dtype."""
    if isinstance(p, SoftmaxFloat):
        v = x.astype(np.float32)  # float32 throughout, summed in order, as the reference kernel
        e = np.exp((v - v.max(axis=-1, keepdims=True)) * np.float32(p.beta))
        total = np.zeros(e.shape[:-1] + (1,), np.float32)
        for c in range(e.shape[-1]):
            total += e[..., c : c + 1]
        return (e / total).astype(np.float32)
    return softmax_int8(x, p)
