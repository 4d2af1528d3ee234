"""Element-wise int8 -> int8 operators as one 256-entry table: firmware_c/tfk_lut.c.

An int8 element-wise op (LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, and QUANTIZE between two
int8 scales) is fully described by its value on the 256 possible inputs. The table is the
runtime's own kernel evaluated on all of them, indexed by the offset-binary input and stored
offset binary: table[q + 128] = op(q) + 128. In place."""

from __future__ import annotations

import numpy as np

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.runtime.errors import UnsupportedOperatorError
from tinyflash.runtime.ops import TFLITE_KERNELS
from tinyflash.runtime.ops.elementwise import ALL_INT8

__all__ = ["EMITTER", "table"]


def table(step: Step) -> np.ndarray:
    """(256,) uint8: the offset-binary output for each offset-binary input."""
    values = TFLITE_KERNELS[step.op].run(step.params, ALL_INT8.reshape(1, 256))
    return ((np.asarray(values, np.int64).reshape(256) + 128) & 0xFF).astype(np.uint8)


def check(step: Step) -> None:
    if step.op == "QUANTIZE" and getattr(step.params, "dtype", None) != "int8":
        raise UnsupportedOperatorError(
            f"{step.name}: QUANTIZE to {getattr(step.params, 'dtype', 'float')} inside the graph;"
            " supported in the C generator: int8 -> int8 requantization (and the float or uint8"
            " interface at the graph's input and output, which the C API handles)"
        )


def emit(step: Step, ctx: Context) -> Emitted:
    name = ctx.name(step, "table")
    n = ctx.tensors[step.outputs[0]].size
    consts = f"""
/* {step.name}: {step.op} over {n} values, as a table: output byte for each offset-binary input. */
static const uint8_t {name}[256] = {{
{c_array(table(step), 16)}
}};
"""
    call = f"  {ctx.p}__lut({name}, {ctx.ptr(step.inputs[0])}, {ctx.ptr(step.outputs[0])}, {n}u);"
    return Emitted(consts, call, const_bytes=256)


EMITTER = OpEmitter(kernels=("tfk_lut.c",), emit=emit, in_place=True, check=check)
