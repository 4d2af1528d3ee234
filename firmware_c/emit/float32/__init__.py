"""float32 emitters: one module per TFLite operator; EMITTERS is the registry (firmware_c.plan
derives its supported list from it)."""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import OpEmitter
from tinyflash.firmware_c.emit.float32 import (
    activation,
    broadcast,
    concatenation,
    conv_2d,
    depthwise_conv_2d,
    fully_connected,
    mean,
    pad,
    pool_2d,
    softmax,
)

EMITTERS: dict[str, OpEmitter] = {
    "FULLY_CONNECTED": fully_connected.EMITTER,
    "CONV_2D": conv_2d.EMITTER,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d.EMITTER,
    "MAX_POOL_2D": pool_2d.MAX_EMITTER,
    "AVERAGE_POOL_2D": pool_2d.AVERAGE_EMITTER,
    "MEAN": mean.EMITTER,
    "ADD": broadcast.ADD_EMITTER,
    "MUL": broadcast.MUL_EMITTER,
    "PAD": pad.EMITTER,
    "CONCATENATION": concatenation.EMITTER,
    "SOFTMAX": softmax.EMITTER,
    "LOGISTIC": activation.EMITTER,
    "TANH": activation.EMITTER,
    "RELU": activation.EMITTER,
    "RELU6": activation.EMITTER,
    "RELU_N1_TO_1": activation.EMITTER,
}
