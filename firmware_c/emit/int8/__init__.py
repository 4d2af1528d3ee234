"""int8 emitters: one module per TFLite operator; EMITTERS is the registry (firmware_c.plan
derives its supported list from it)."""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import OpEmitter

EMITTERS: dict[str, OpEmitter] = {}
