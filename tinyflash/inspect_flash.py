"""The flash a model's generated C takes per Cortex-M core, for `tinyflash inspect`.

    flash = flash_per_core(Path("sine.tflite"), constants=1_234)

Measured when arm-none-eabi-gcc (and arm-none-eabi-size / -nm) is on PATH and the C generator
supports the model: the header is generated into a temporary folder (firmware_c/generate.py)
and built for every core in firmware_c/footprint.CORES at -Os (firmware_c/footprint.py:
arm-none-eabi-size of a firmware with the model minus the same firmware without it). Otherwise
estimated, and said so: at least the model's constants (`constants`, the int8 bytes: 1 B per
weight, 4 B per int32 bias; float32 models 4 B per value), the code not estimated.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tinyflash.errors import UserError

__all__ = ["OPT", "PREFIX", "flash_per_core"]

OPT = "-Os"  # what firmware is usually built with; footprint.py measures -O2 too
PREFIX = "inspect"


def _estimate(constants: int, reason: str) -> dict[str, Any]:
    return {
        "measured": False,
        "reason": reason,
        "constants_at_least": constants,
        "estimate": f"estimated: at least {constants:,} B of constants; the code is not "
        "estimated without a measurement",
    }


def flash_per_core(model: Path, constants: int) -> dict[str, Any]:
    """{"measured": True, "opt", "by", "cores": footprint rows (core, flash_total, constants,
    code, arena_bss)} for a .tflite the C generator supports and a toolchain here, else
    {"measured": False, "reason", "constants_at_least", "estimate"}."""
    from tinyflash.firmware_c import footprint

    if model.suffix.lower() != ".tflite":
        return _estimate(constants, "the C generator reads .tflite files only")
    missing = footprint.skip_reason()
    if missing:
        return _estimate(constants, missing.removeprefix("skipped: ") + " (measured with it)")
    from tinyflash.firmware_c.generate import generate_header
    from tinyflash.runtime.errors import UnsupportedOperatorError

    with tempfile.TemporaryDirectory(prefix="tinyflash-inspect-") as tmp:
        try:
            header = generate_header(model, Path(tmp), PREFIX, "tflm")
        except UnsupportedOperatorError as exc:
            return _estimate(constants, f"the C generator does not support this model yet: {exc}")
        except UserError as exc:
            return _estimate(constants, f"the C generator cannot write this model: {exc}")
        rows = footprint.measure(header, PREFIX, Path(tmp) / "build", opts=(OPT,))
    return {
        "measured": True,
        "opt": OPT,
        "by": "firmware_c/footprint.py: arm-none-eabi-size of target/footprint.c with the "
        "model minus without",
        "cores": [
            {k: r[k] for k in ("core", "flash_total", "constants", "code", "arena_bss")}
            for r in rows
        ],  # fmt: skip
    }
