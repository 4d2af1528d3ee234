"""MAX_POOL_2D int8 (and the window code AVERAGE_POOL_2D shares): firmware_c/tfk_pool_2d.c.

Constants: one `{p}__pool_params` struct (sizes, filter, strides, the SAME padding before the
image, the fused activation clamp in offset binary), all from tinyflash.runtime's Pool2DParams.
No arrays: the kernel computes each window's in-image taps as TFLM's reference kernel does.
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER", "check", "pool_emit"]

U16 = 65535  # the params struct's fields are uint16_t


def check(step: Step) -> None:
    p = step.params
    w = p.window
    if p.dtype != "int8":
        raise UnsupportedOperatorError(
            f"{step.name}: {step.op} on {p.dtype}; expected int8 here (the float32 header has "
            "its own emitters)"
        )
    sizes = {"in_h": w.in_h, "in_w": w.in_w, "out_h": w.out_h, "out_w": w.out_w, "kh": w.kh,
             "kw": w.kw, "sh": w.sh, "sw": w.sw, "pad_top": w.top, "pad_left": w.left}  # fmt: skip
    big = {k: v for k, v in sizes.items() if not 0 <= v <= U16}
    if big or 255 * w.kh * w.kw >= 2**31 or int(p.counts.min()) < 1:
        raise UnsupportedOperatorError(
            f"{step.name}: {step.op} with {sizes}; supported: every size and stride <= {U16}, a "
            "filter of fewer than 2^31 / 255 taps, at least one tap of every window in the image"
        )


def pool_emit(step: Step, ctx: Context, kernel: str) -> Emitted:
    """The params struct and the call of `kernel` ("max_pool_2d" or "average_pool_2d")."""
    check(step)
    p, w = step.params, step.params.window
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    if x.shape[0] != 1 or x.size != w.in_h * w.in_w * x.shape[3]:
        raise UnsupportedOperatorError(
            f"{step.name}: {step.op} input of shape {x.shape}; supported: batch 1, NHWC"
        )
    name = ctx.name(step, "pool")
    act = "" if p.fused_activation == "NONE" else f", fused {p.fused_activation}"
    consts = f"""
/* {step.name}: {step.op} {w.kh}x{w.kw} stride {w.sh}x{w.sw}, pad top {w.top} left {w.left}{act}:
 * input {x.shape} -> output {y.shape}, offset binary; clamp [{p.act_min}, {p.act_max}] as int8. */
static const {ctx.p}__pool_params {name} = {{
    .in_h = {w.in_h}u, .in_w = {w.in_w}u, .channels = {x.shape[3]}u,
    .out_h = {w.out_h}u, .out_w = {w.out_w}u, .kh = {w.kh}u, .kw = {w.kw}u,
    .sh = {w.sh}u, .sw = {w.sw}u, .pad_top = {w.top}u, .pad_left = {w.left}u,
    .act_min = {int(p.act_min) + 128}u, .act_max = {int(p.act_max) + 128}u}};
"""
    call = f"  {ctx.p}__{kernel}(&{name}, {ctx.ptr(step.inputs[0])}, {ctx.ptr(step.outputs[0])});"
    return Emitted(consts, call)


def emit(step: Step, ctx: Context) -> Emitted:
    return pool_emit(step, ctx, "max_pool_2d")


EMITTER = OpEmitter(kernels=("tfk_pool_2d.c",), emit=emit, check=check)
