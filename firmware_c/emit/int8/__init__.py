"""int8 emitters: one module per TFLite operator; EMITTERS is the registry (firmware_c.plan
derives its supported list from it). Element-wise unary operators share the table emitter."""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import OpEmitter
from tinyflash.firmware_c.emit.int8 import (
    add,
    average_pool_2d,
    concatenation,
    conv_2d,
    depthwise_conv_2d,
    fully_connected,
    lut,
    max_pool_2d,
    mean,
    mul,
    pad,
    softmax,
)

EMITTERS: dict[str, OpEmitter] = {
    "FULLY_CONNECTED": fully_connected.EMITTER,
    "CONV_2D": conv_2d.EMITTER,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d.EMITTER,
    "MAX_POOL_2D": max_pool_2d.EMITTER,
    "AVERAGE_POOL_2D": average_pool_2d.EMITTER,
    "MEAN": mean.EMITTER,
    "ADD": add.EMITTER,
    "MUL": mul.EMITTER,
    "PAD": pad.EMITTER,
    "CONCATENATION": concatenation.EMITTER,
    "SOFTMAX": softmax.EMITTER,
    "LOGISTIC": lut.EMITTER,
    "TANH": lut.EMITTER,
    "RELU": lut.EMITTER,
    "RELU6": lut.EMITTER,
    "RELU_N1_TO_1": lut.EMITTER,
    "QUANTIZE": lut.EMITTER,
}
