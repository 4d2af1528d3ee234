"""FULLY_CONNECTED int8, per-channel: firmware_c/tfk_fully_connected.c.

Constants (all from the runtime's FullyConnectedInt8; fc_constants lays them out):
  weights (out, in) int8 -> offset-binary uint8 (w + 128), padded to (ceil4(out), ceil16(in))
    with 128 (= 0) and blocked as (ceil4(out)/4, ceil16(in)/4, 4, 4) = [block][input group]
    [row in block][input in group], so one word load feeds 4 rows on the DSP path;
  bias (ceil4(out),) int32 folded: bias[o] - (128 + input_zero_point) * sum_i w[o][i] (the
    input is offset binary too);
  multiplier / shift (out,): the per-channel requantization.
The kernel reads ceil16(in) input bytes per row: the arena rounds every tensor up to 16 bytes
and the padding columns' weights (128) cancel whatever those bytes hold.

A (rows, in) input with rows > 1 (keep_num_dims, or a (1, T, in) sequence) runs the kernel once
per row; that needs in % 16 == 0 so every row starts 16-byte aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER", "FcConstants", "fc_constants", "fc_params_text"]


def _ceil(n: int, k: int) -> int:
    return -(-n // k) * k


@dataclass(frozen=True)
class FcConstants:
    """weights: (ceil4(n_out)/4, n_in16/4, 4, 4) uint8; bias: (ceil4(n_out),) int32 folded;
    multiplier / shift: (n_out,) int32."""

    n_in: int
    n_out: int
    n_in16: int
    weights: np.ndarray
    bias: np.ndarray
    multiplier: np.ndarray
    shift: np.ndarray
    out_zero_point: int
    act_min: int
    act_max: int

    @property
    def nbytes(self) -> int:
        return self.weights.nbytes + self.bias.nbytes + self.multiplier.nbytes + self.shift.size


def fc_constants(where: str, p, weights: np.ndarray | None = None) -> FcConstants:
    """The kernel's layout of one FULLY_CONNECTED (or of a convolution as a matmul on patches:
    pass its (out_c, K) int8 `weights`). p: runtime FullyConnectedInt8. Raises
    UnsupportedOperatorError when the int32 accumulator could overflow."""
    w = np.asarray(p.weights if weights is None else weights, np.int64)
    n_out, n_in = w.shape
    r4, k16 = _ceil(n_out, 4), _ceil(n_in, 16)
    wu = np.full((r4, k16), 128, np.int64)
    wu[:n_out, :n_in] = w + 128
    blocked = wu.reshape(r4 // 4, 4, k16 // 4, 4).transpose(0, 2, 1, 3).astype(np.uint8)
    bias = np.zeros(r4, np.int64)
    bias[:n_out] = np.asarray(p.bias, np.int64) - (128 + p.input_zero_point) * w.sum(axis=1)
    # acc = bias + sum wu*u - 128*sum u: every partial sum must stay inside int32.
    worst = int(np.abs(bias).max()) + 255 * 255 * k16
    if worst >= 2**31:
        raise UnsupportedOperatorError(
            f"{where}: a matmul with {n_in} inputs may overflow the int32 accumulator of the C "
            f"kernel (worst case {worst}); supported: worst case < 2^31"
        )
    return FcConstants(
        n_in=n_in,
        n_out=n_out,
        n_in16=k16,
        weights=blocked,
        bias=bias.astype(np.int32),
        multiplier=np.asarray(p.multipliers, np.int32),
        shift=np.asarray(p.shifts, np.int32),
        out_zero_point=int(p.output_zero_point),
        act_min=int(p.act_min),
        act_max=int(p.act_max),
    )


def fc_params_text(c: FcConstants, base: str, p: str, what: str) -> str:
    """C definitions of one FcConstants: arrays {base}_weights/_bias/_multiplier/_shift and the
    `{p}__fc_params {base}` struct. what: the one-line description above them."""
    blocks, groups = c.weights.shape[0], c.weights.shape[1]
    return f"""
/* {what} */
/* ({blocks} blocks of 4 rows, {groups} groups of 4 inputs, 4, 4) uint8: weights (out {c.n_out}, in {c.n_in}) int8 + 128, padded with 128 */
static const uint8_t {base}_weights[{c.weights.size}] {p.upper()}__ALIGN8 = {{
{c_array(c.weights, 16)}
}};
/* ({c.bias.size},) int32: bias - (128 + input zero point) * row sums of the int8 weights */
static const int32_t {base}_bias[{c.bias.size}] = {{
{c_array(c.bias, 8)}
}};
/* ({c.n_out},) per-channel requantization: multiplier * 2^(shift - 31) */
static const int32_t {base}_multiplier[{c.n_out}] = {{
{c_array(c.multiplier, 8)}
}};
static const int8_t {base}_shift[{c.n_out}] = {{
{c_array(c.shift, 16)}
}};
static const {p}__fc_params {base} = {{
    {base}_weights, {base}_bias, {base}_multiplier,
    {base}_shift, {c.n_in16}u, {c.n_out}u, {c.out_zero_point},
    {c.act_min}, {c.act_max}, 0x80u}};
"""


def _rows(step: Step, ctx_tensors) -> int:
    n_in = step.params.weights.shape[1]
    return ctx_tensors[step.inputs[0]].size // n_in


def check(step: Step) -> None:
    fc_constants(step.name, step.params)


def emit(step: Step, ctx: Context) -> Emitted:
    prm = step.params
    c = fc_constants(f"{step.name} ({step.op})", prm)
    rows = _rows(step, ctx.tensors)
    if rows > 1 and c.n_in % 16:
        raise UnsupportedOperatorError(
            f"{step.name}: FULLY_CONNECTED over {rows} rows of {c.n_in} features; supported: one "
            "row, or rows of a multiple of 16 features"
        )
    base = ctx.name(step, "fc")
    act = "" if prm.fused_activation == "NONE" else f", fused {prm.fused_activation}"
    consts = fc_params_text(
        c, base, ctx.p, f"{step.name}: FULLY_CONNECTED {c.n_in} -> {c.n_out}{act}."
    )
    x, y = ctx.ptr(step.inputs[0]), ctx.ptr(step.outputs[0])
    if rows == 1:
        call = f"  {ctx.p}__fully_connected(&{base}, {x}, {y});"
    else:
        call = (
            f"  {{\n    size_t r;\n    for (r = 0; r < {rows}u; r++) {{\n"
            f"      {ctx.p}__fully_connected(&{base}, {x} + r * {c.n_in}u, {y} + r * {c.n_out}u);\n"
            "    }\n  }"
        )
    return Emitted(consts, call, macs=rows * c.n_in * c.n_out, const_bytes=c.nbytes)


EMITTER = OpEmitter(kernels=("tfk_fixedpoint.c", "tfk_fully_connected.c"), emit=emit, check=check)
