"""PAD int8: firmware_c/tfk_pad.c.

Constants: one `{p}__pad_params` struct: the shape after the batch collapsed to three axes
(collapse: an unpadded axis merges into the one outside it), the padding before each, the
output shape, and the fill, the output zero point in offset binary (tinyflash.runtime's
PadParams.value + 128).
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER", "collapse"]


def collapse(shape: tuple[int, ...], widths, where: str) -> list[tuple[int, int, int]]:
    """(size, before, after) of 3 axes after the batch, outermost first, for input `shape` and
    per-axis `widths` ((before, after), ... batch included)."""
    if shape[0] != 1 or tuple(widths[0]) != (0, 0):
        raise UnsupportedOperatorError(
            f"{where}: PAD of shape {shape} with batch padding {widths[0]}; supported: batch 1, "
            "unpadded"
        )
    axes: list[tuple[int, int, int]] = []
    for n, (b, a) in zip(shape[1:], widths[1:], strict=True):
        if axes and b == a == 0:
            size, b0, a0 = axes[-1]
            axes[-1] = (size * n, b0 * n, a0 * n)
        else:
            axes.append((n, b, a))
    if len(axes) > 3:
        raise UnsupportedOperatorError(
            f"{where}: PAD {shape} by {widths} needs {len(axes)} axes once merged; supported: 3"
        )
    return [(1, 0, 0)] * (3 - len(axes)) + axes


def check(step: Step) -> None:
    if not isinstance(step.params.value, int):
        raise UnsupportedOperatorError(f"{step.name}: PAD float32; expected int8 here")


def emit(step: Step, ctx: Context) -> Emitted:
    check(step)
    p = step.params
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    axes = collapse(x.shape, p.widths, step.name)
    name = ctx.name(step, "pad")

    def ints(values) -> str:
        return "{" + ", ".join(f"{v}u" for v in values) + "}"

    consts = f"""
/* {step.name}: PAD {x.shape} by {[list(w) for w in p.widths]} -> {y.shape}, fill {p.value}
 * (offset binary {p.value + 128}); collapsed to {[a[0] for a in axes]}. */
static const {ctx.p}__pad_params {name} = {{
    .in = {ints(a[0] for a in axes)}, .before = {ints(a[1] for a in axes)},
    .out = {ints(sum(a) for a in axes)}, .value = {p.value + 128}u}};
"""
    call = f"  {ctx.p}__pad(&{name}, {ctx.ptr(step.inputs[0])}, {ctx.ptr(step.outputs[0])});"
    return Emitted(consts, call)


EMITTER = OpEmitter(kernels=("tfk_pad.c",), emit=emit, check=check)
