"""int8 emitters: one module per TFLite operator; EMITTERS is the registry (firmware_c.plan
derives its supported list from it). Element-wise unary operators share the table emitter."""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import OpEmitter
from tinyflash.firmware_c.emit.int8 import fully_connected, lut, softmax

EMITTERS: dict[str, OpEmitter] = {
    "FULLY_CONNECTED": fully_connected.EMITTER,
    "SOFTMAX": softmax.EMITTER,
    "LOGISTIC": lut.EMITTER,
    "TANH": lut.EMITTER,
    "RELU": lut.EMITTER,
    "RELU6": lut.EMITTER,
    "RELU_N1_TO_1": lut.EMITTER,
    "QUANTIZE": lut.EMITTER,
}
