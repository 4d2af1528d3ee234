"""What the float32 emitters share: fused activations, float arrays, operands, rank-4 shapes.

float32 tensors are plain floats in the arena (Context.fptr). Constants are written with
cformat.c_float, the shortest text that reads back to the same float32.
"""

from __future__ import annotations

import numpy as np

from tinyflash.firmware_c.cformat import c_array, c_float
from tinyflash.firmware_c.emit.base import Context, Step
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = [
    "FLOAT_SOURCES",
    "FUSED_SOURCES",
    "fused_activation",
    "check_batch_1",
    "check_fused",
    "const_values",
    "copy_call",
    "float_array",
    "operand",
    "rank4",
]

# Every float32 kernel file starts from these (tfk_activation_f32 applies fused activations);
# kernels with a fused activation also take tfk_float_relu_n1_to_1.c (RELU_N1_TO_1 has no
# TFK_ACT_* constant: it runs after the kernel).
FLOAT_SOURCES = ("tfk_float.h", "tfk_float.c")
FUSED_SOURCES = (*FLOAT_SOURCES, "tfk_float_relu_n1_to_1.c")

_FUSED = {"NONE": "ACT_NONE", "RELU": "ACT_RELU", "RELU6": "ACT_RELU6", "RELU_N1_TO_1": "ACT_NONE"}


def fused_activation(step: Step, ctx: Context, fused: str, output: str, n: int) -> tuple[str, str]:
    """(the TFK_ACT_* constant the kernel applies, e.g. MNIST__ACT_RELU; C statements to run
    after the kernel call, '' unless the activation is RELU_N1_TO_1). output: the C expression
    of the kernel's output (n floats)."""
    check_fused(step, fused)
    after = f"\n  {ctx.p}__relu_n1_to_1_f32({output}, {n}u);" if fused == "RELU_N1_TO_1" else ""
    return f"{ctx.p.upper()}__{_FUSED[fused]}", after


def check_fused(step: Step, fused: str) -> None:
    if fused not in _FUSED:
        raise UnsupportedOperatorError(
            f"{step.name} ({step.op}): fused activation {fused} has no float C kernel; "
            f"supported: {sorted(_FUSED)}"
        )


def check_batch_1(step: Step, shape: tuple[int, ...], what: str) -> None:
    """The C kernels run one inference: a 4-D activation must be (1, H, W, C)."""
    if len(shape) == 0 or shape[0] != 1:
        raise UnsupportedOperatorError(
            f"{step.name} ({step.op}): {what} of shape {shape}; expected batch 1 "
            "(the header runs one inference); supported: shapes (1, ...)"
        )


def rank4(step: Step, shape: tuple[int, ...], what: str) -> tuple[int, int, int, int]:
    """shape left-padded with 1 to rank 4; more than 4 dims is refused."""
    if len(shape) > 4:
        raise UnsupportedOperatorError(
            f"{step.name} ({step.op}): {what} of rank {len(shape)} {shape}; supported: rank <= 4"
        )
    a, b, c, d = (1,) * (4 - len(shape)) + tuple(int(v) for v in shape)
    return a, b, c, d


def float_array(name: str, values: np.ndarray, comment: str) -> str:
    """`static const float name[n]` with a one-line shape comment above it."""
    flat = np.asarray(values, np.float32).reshape(-1)
    return (
        f"/* {comment} */\n"
        f"static const float {name}[{max(flat.size, 1)}] = {{\n"
        f"{c_array(flat if flat.size else np.zeros(1, np.float32), 6, c_float)}\n}};\n"
    )


def const_values(ctx: Context, index: int) -> np.ndarray | None:
    """The value of constant tensor `index`: the TensorSlot's `data` (the plan gives it for
    kind "const"), or None for an arena tensor."""
    slot = ctx.tensors[index]
    if slot.kind != "const":
        return None
    data = getattr(slot, "data", None)
    if data is None:
        raise UnsupportedOperatorError(
            f"{slot.name}: a constant operand, but the plan gives no values for it; "
            "expected TensorSlot.data for kind 'const'"
        )
    return np.asarray(data, np.float32).reshape(slot.shape)


def operand(ctx: Context, step: Step, index: int, what: str) -> tuple[str, str, int]:
    """(C expression of type `const float *`, constants text, constant bytes) for input
    `index` of `step`: an arena pointer, or a flash array emitted here."""
    values = const_values(ctx, index)
    if values is None:
        return ctx.fptr(index), "", 0
    name = ctx.name(step, what)
    text = float_array(name, values, f"{values.shape} float32: constant {what} of {step.op}")
    return name, text, 4 * values.size


def copy_call(ctx: Context, src: int, dst: int, n: int) -> str:
    """C statements copying n floats from arena tensor src to dst ('' when they coincide)."""
    if ctx.tensors[src].kind == "arena" and ctx.tensors[src].offset == ctx.tensors[dst].offset:
        return ""
    return (
        f"  {{\n    const float *from = {ctx.fptr(src)};\n    float *to = {ctx.fptr(dst)};\n"
        f"    size_t i;\n    for (i = 0; i < {n}u; i++) {{\n      to[i] = from[i];\n    }}\n  }}"
    )
