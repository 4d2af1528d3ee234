"""MEAN over a set of non-batch axes (what GlobalAveragePooling2D becomes), int8 and float32.

int8 (reference_ops::QuantizedMeanOrSum; TFLM and ai-edge-litert BUILTIN_REF):
    in_scale / out_scale = m * 2^(s - 31); k = min(floor(log2 n), 32, 31 + s);
    m' = floor(m * 2^k / n), s' = s - k;
    y = clamp(out_zp + MBQM(sum(q) - in_zp * n, m', s'), -128, 127)
MBQM with gemmlowp double rounding in BOTH modes: measured, ai-edge-litert 2.3's MEAN is exact
with double rounding and ~5 % of outputs 1 LSB off with single rounding (REQUANTIZATION below;
tests/runtime/ops/test_mean.py pins it). Some TFLM sources take a truncating trunc(sum(q) / n)
path when input and output share their quantization; the tflite-micro build pinned here does
not (measured on such a model, tests/runtime/ops/test_mean.py), so neither do we.
float32: sums in float32 in memory order of the reduced axes, then divides by n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, per_tensor, require, tensor

__all__ = ["REQUANTIZATION", "MeanParams", "prepare", "run"]

REQUANTIZATION = {"tflm": "tflm", "litert": "tflm"}  # mode -> fixedpoint rounding (measured)


@dataclass(frozen=True)
class MeanParams:
    """axes: the reduced axes (sorted, all >= 1); keep_dims: keep them as size 1; count: the
    number n of reduced elements. int8: multiplier / shift (m', s' above), input / output
    zero points; float32: None."""

    axes: tuple[int, ...]
    keep_dims: bool
    count: int
    dtype: str
    multiplier: int | None = None
    shift: int | None = None
    input_zero_point: int = 0
    output_zero_point: int = 0
    rounding: str = "tflm"


def prepare(graph: Graph, op: Operator, mode: str) -> MeanParams:
    arity(op, (2,))
    rounding = REQUANTIZATION[mode]
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    axis = const(op, tensor(graph, op, 1, "axis", ("int32",)), "axis").reshape(-1)
    rank = len(x.shape)
    axes = sorted({int(a) % rank for a in axis}) if rank else []
    require(
        bool(axes) and all(-rank <= int(a) < rank for a in axis) and 0 not in axes,
        op,
        f"MEAN: axes {axis.tolist()} of a rank-{rank} input are not supported; supported: "
        "non-batch axes 1..rank-1",
        unsupported=True,
    )
    count = math.prod(x.shape[a] for a in axes)
    require(count >= 1, op, "MEAN: reduces over an empty axis")
    keep = bool(op.options.get("keep_dims", False))
    if x.dtype == "float32":
        return MeanParams(tuple(axes), keep, count, "float32")
    (in_scale, in_zp), (out_scale, out_zp) = per_tensor(op, x, "input"), per_tensor(op, y, "output")
    m, s = fixedpoint.quantize_multiplier(float(in_scale) / float(out_scale), rounding)
    k = min(count.bit_length() - 1, 32, 31 + s)
    m2, s2 = (m << k) // count, s - k
    require(
        count * 255 < 2**31 and -31 <= s2 <= 30,
        op,
        f"MEAN: {count} elements with requantization shift {s2} do not fit the int32 kernel",
        unsupported=True,
    )
    return MeanParams(tuple(axes), keep, count, "int8", m2, s2, in_zp, out_zp, rounding)


def run(p: MeanParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (N, ...) -> (N, ...) without the reduced axes (size 1 with keep_dims), same dtype."""
    kept = [a for a in range(x.ndim) if a not in p.axes]
    moved = np.transpose(x, kept + list(p.axes)).reshape(*(x.shape[a] for a in kept), p.count)
    shape = [1 if a in p.axes else d for a, d in enumerate(x.shape)] if p.keep_dims else None
    if p.dtype == "float32":
        acc = np.add.accumulate(moved, axis=-1, dtype=np.float32)[..., -1]
        out = (acc / np.float32(p.count)).astype(np.float32)
    else:
        shifted = moved.astype(np.int64).sum(axis=-1) - p.input_zero_point * p.count
        out = p.output_zero_point + fixedpoint.requantize(
            shifted, p.multiplier, p.shift, p.rounding, 255 * p.count
        )  # one call per run: the one-off form
        out = np.clip(out, -128, 127).astype(np.int8)
    return out if shape is None else out.reshape(shape)
