"""FULLY_CONNECTED: y = act(x @ W.T + b), int8 (per-tensor or per-channel weights) and float32.

int8 (TFLite reference_integer_ops::FullyConnected[PerChannel]):
    acc[n, o] = sum_i (x[n, i] - input_zp) * W[o, i] + bias[o]                 exact int32
    y[n, o]   = clamp(output_zp + MBQM(acc, multiplier[o], shift[o]), act_min, act_max)
MBQM = fixedpoint.multiply_by_quantized_multiplier in the chosen rounding mode.

Speed without giving up exactness: the sum is computed as one BLAS matmul on the raw int8
values, acc = x @ W.T - input_zp * W.sum(axis=1) + bias. Every product and every partial sum of
x @ W.T is an integer of magnitude <= in_features * 128 * 128, so any summation order (BLAS
blocking, FMA) gives the exact integer as long as the float type holds it: float32 (2^24) when
in_features <= 1024, else float64 (2^53; in_features < 65536 is checked in prepare). The
correction and bias terms are added in int64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import (
    FLOAT_RANGES,
    activation_range,
    arity,
    const,
    per_tensor,
    quantization,
    require,
    tensor,
)

BLOCK_ELEMENTS = 1 << 15  # int8 outputs requantized per block (int64 temporaries of 256 KB)

__all__ = ["FullyConnectedFloat", "FullyConnectedInt8", "prepare", "prepare_dense", "run"]


@dataclass(frozen=True, eq=False)
class FullyConnectedInt8:
    """Prepared int8 FULLY_CONNECTED.

    weights: (out_features, in_features) int8, symmetric (zero point 0); scale per-tensor or
        per-channel on axis 0. bias: (out_features,) int32 (zeros if the file has none), scale
        input_scale * weight_scale[o]. multipliers / shifts: (out_features,) int32, the
        requantization input_scale * weight_scale[o] / output_scale = m * 2^(shift - 31)
        (identical entries when per-tensor). act_min / act_max: fused activation clamp (int8).
    """

    weights: np.ndarray
    bias: np.ndarray
    input_zero_point: int
    output_zero_point: int
    multipliers: np.ndarray
    shifts: np.ndarray
    act_min: int
    act_max: int
    fused_activation: str
    per_channel: bool
    rounding: str
    weights_t: np.ndarray = field(repr=False)  # (in, out) float32 or float64 copy for BLAS
    offset: np.ndarray = field(repr=False)  # (out,) int64: bias - input_zp * W.sum(axis=1)
    requant: fixedpoint.Requantizer | None = field(default=None, repr=False)  # from prepare


@dataclass(frozen=True, eq=False)
class FullyConnectedFloat:
    """Prepared float32 FULLY_CONNECTED: weights (out, in) float32, bias (out,) float32."""

    weights: np.ndarray
    bias: np.ndarray
    act_min: float
    act_max: float
    fused_activation: str
    weights_t: np.ndarray = field(repr=False)  # (in, out) float32


def prepare(graph: Graph, op: Operator, rounding: str):
    arity(op, (2, 3))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    w = tensor(graph, op, 1, "weights", (x.dtype,))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    weights = const(op, w, "weights")
    require(weights.ndim == 2, op, f"weights must be 2-D (out, in), found shape {weights.shape}")
    in_f = weights.shape[1]
    require(  # TFLite flattens the input to (-1, in_features): (1, 5, 5, 64) feeds 1600 inputs
        bool(x.shape) and (x.shape[-1] == in_f or math.prod(x.shape[1:]) == in_f),
        op,
        f"input shape {x.shape} neither ends in nor flattens to the weights' in_features {in_f}",
    )
    require(
        op.options.get("keep_num_dims", False) is False or len(x.shape) == 2,
        op,
        "keep_num_dims with a non 2-D input is not supported",
        unsupported=True,
    )
    return prepare_dense(graph, op, x, w, y, weights, rounding)


def prepare_dense(graph: Graph, op: Operator, x, w, y, weights: np.ndarray, rounding: str):
    """The arithmetic of y = act(x @ weights.T + b) for FULLY_CONNECTED and CONV_2D (on
    patches): x / w / y the input, weight and output tensors, weights (out, in) their values
    (w's per-channel scales on axis 0), the bias in input slot 2 if present."""
    out_f, in_f = weights.shape
    fused = op.options.get("fused_activation", "NONE")
    has_bias = len(op.inputs) == 3 and op.inputs[2] != -1
    if x.dtype == "float32":
        bias = np.zeros(out_f, np.float32)
        if has_bias:
            b = tensor(graph, op, 2, "bias", ("float32",))
            bias = const(op, b, "bias")
            require(bias.shape == (out_f,), op, f"bias shape {bias.shape}, expected ({out_f},)")
        lo, hi = FLOAT_RANGES[fused]
        return FullyConnectedFloat(
            weights, bias, lo, hi, fused, weights.astype(np.float32).T.copy()
        )
    in_scale, in_zp = per_tensor(op, x, "input")
    out_scale, out_zp = per_tensor(op, y, "output")
    wq = quantization(op, w, "weights")
    w_scale = wq.scale.astype(np.float64)
    require(
        bool(np.all(wq.zero_point == 0)),
        op,
        "weights must be symmetric (zero point 0)",
        unsupported=True,
    )
    require(
        wq.axis in (None, 0),
        op,
        f"weights quantized on axis {wq.axis}, expected 0",
        unsupported=True,
    )
    require(in_f < 65536, op, f"in_features {in_f} too large for exact int32 accumulation")
    bias = np.zeros(out_f, np.int32)
    if has_bias:
        b = tensor(graph, op, 2, "bias", ("int32",))
        bias = const(op, b, "bias")
        require(bias.shape == (out_f,), op, f"bias shape {bias.shape}, expected ({out_f},)")
    scales = np.broadcast_to(w_scale, (out_f,))
    pairs = [
        fixedpoint.quantize_multiplier(float(in_scale) * float(s) / float(out_scale), rounding)
        for s in scales
    ]
    shifts = [s for _, s in pairs]
    bound = in_f * 255 * 128 + int(np.abs(bias.astype(np.int64)).max(initial=0))
    require(bound < 2**31, op, f"accumulator bound {bound} does not fit int32", unsupported=True)
    require(
        all(-31 <= s and (bound << max(s, 0)) < 2**31 for s in shifts),
        op,
        f"requantization shifts {min(shifts)}..{max(shifts)} outside the supported range "
        "(output scale too small for the input and weight scales)",
        unsupported=True,
    )
    act_min, act_max = activation_range(fused, out_scale, out_zp, "int8")
    return FullyConnectedInt8(
        weights=weights,
        bias=bias,
        input_zero_point=in_zp,
        output_zero_point=out_zp,
        multipliers=np.array([m for m, _ in pairs], np.int32),
        shifts=np.array(shifts, np.int32),
        act_min=act_min,
        act_max=act_max,
        fused_activation=fused,
        per_channel=wq.axis is not None,
        rounding=rounding,
        weights_t=weights.astype(np.float32 if in_f * 128 * 128 <= 2**24 else np.float64).T.copy(),
        offset=bias.astype(np.int64) - in_zp * weights.astype(np.int64).sum(axis=1),
        requant=fixedpoint.requantizer(
            np.array([m for m, _ in pairs], np.int64), np.array(shifts), rounding, bound
        ),
    )


def run(p, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (N, in_features) int8 or float32 -> (N, out_features) of the same dtype."""
    x2 = x.reshape(-1, p.weights_t.shape[0])
    if isinstance(p, FullyConnectedFloat):
        # float32, summed in input order like the reference kernel's `total += x * w` loop, so
        # results match TFLite's reference kernels to the last bit or nearly (no BLAS reorder).
        x32 = x2.astype(np.float32)
        if x32.shape[0] <= 8:  # few rows: one running (sequential) float32 sum per output
            products = x32[:, None, :] * p.weights  # (N, out, in), contiguous along in
            acc = np.add.accumulate(products, axis=2, dtype=np.float32)[:, :, -1]
        else:
            xt = np.ascontiguousarray(x32.T)  # (in, N)
            acc = np.zeros((x2.shape[0], p.weights_t.shape[1]), np.float32)
            term = np.empty_like(acc)
            for i in range(xt.shape[0]):
                np.multiply(xt[i][:, None], p.weights_t[i], out=term)
                np.add(acc, term, out=acc)
        return np.clip(acc + p.bias, p.act_min, p.act_max).astype(np.float32)
    out = np.empty((x2.shape[0], p.weights_t.shape[1]), np.int8)
    step = max(1, BLOCK_ELEMENTS // p.weights_t.shape[1])
    for a in range(0, x2.shape[0], step):  # row blocks: the int64 temporaries stay in cache
        raw = x2[a : a + step].astype(p.weights_t.dtype) @ p.weights_t  # exact, see docstring
        acc = raw.astype(np.int64)
        acc += p.offset
        scaled = p.requant(acc)
        scaled += p.output_zero_point
        out[a : a + step] = np.clip(scaled, p.act_min, p.act_max, out=scaled)
    return out
