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

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
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
    """{"measured": True, "opt", "by", "cores": one row per core (core, flash_total,
    constants, code, arena_bss; or core and error where it does not fit that core's board)}
    for a .tflite the C generator supports and a toolchain here, else {"measured": False,
    "reason", "constants_at_least", "estimate"}."""
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
        build = Path(tmp) / "build"
        build.mkdir()
        with ThreadPoolExecutor(max_workers=len(footprint.CORES)) as pool:  # compilers: processes
            rows = list(pool.map(lambda core: _core(header, build, core), footprint.CORES))
    return {
        "measured": True,
        "opt": OPT,
        "by": "firmware_c/footprint.py: arm-none-eabi-size of target/footprint.c with the "
        "model minus without",
        "cores": rows,
    }


def _core(header: Path, build: Path, core: str) -> dict[str, Any]:
    """One core's row: core, flash_total, constants, code, arena_bss; or core and "error" when
    the firmware does not link (the model does not fit the board's flash or RAM)."""
    from tinyflash.firmware_c import footprint
    from tinyflash.firmware_c.toolchain import TARGETS, ToolchainError

    try:
        row = footprint.measure_core(header, PREFIX, build, core, OPT)
    except ToolchainError as exc:
        found = re.search(r"region `(\w+)' overflowed by (\d+) bytes", str(exc))
        if found is None:
            return {"core": core, "error": str(exc).splitlines()[0][:300]}
        board = TARGETS[core].machine if core in TARGETS else core
        return {"core": core, "error": f"does not fit the {board} board's {found[1]} "
                f"(overflowed by {int(found[2]):,} B)"}  # fmt: skip
    return {k: row[k] for k in ("core", "flash_total", "constants", "code", "arena_bss")}
