"""AVERAGE_POOL_2D int8: firmware_c/tfk_pool_2d.c (the window code is MAX_POOL_2D's, see
max_pool_2d.py). The average over the in-image taps rounds half away from zero, as TFLM's."""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.int8.max_pool_2d import check, pool_emit

__all__ = ["EMITTER"]


def emit(step: Step, ctx: Context) -> Emitted:
    return pool_emit(step, ctx, "average_pool_2d")


EMITTER = OpEmitter(kernels=("tfk_pool_2d.c",), emit=emit, check=check)
