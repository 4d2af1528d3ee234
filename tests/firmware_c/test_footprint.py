"""tinyflash.firmware_c.footprint: flash and RAM of a real generated header, real toolchain."""

from __future__ import annotations

import re
from pathlib import Path

from tests_support import require_tool

from tinyflash.firmware_c import footprint as fp

PREFIX = "mnist"
# C types of the header's static const arrays -> bytes per element.
_ELEMENT = {"uint8_t": 1, "int8_t": 1, "int32_t": 4}


def _declared(header: Path) -> tuple[int, int]:
    """(bytes of every file-scope static const array the header's <prefix>_run links: all but
    the pixel table of classify, its arena macro)."""
    text = header.read_text()
    arrays = re.findall(
        rf"^static const (u?int(?:8|32)_t) {PREFIX}__(?!input_table)\w+\[(\d+)\]", text, re.M
    )
    arena = re.search(rf"^#define {PREFIX.upper()}_ARENA_SIZE (\d+)$", text, re.M)
    assert arrays and arena
    return sum(_ELEMENT[t] * int(n) for t, n in arrays), int(arena.group(1))


def test_footprint_of_a_real_header_per_core(header, tmp_path: Path) -> None:
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm", "qemu-system-arm"):
        require_tool(tool)
    path = header() / f"{PREFIX}_model.h"
    rows = fp.measure(path, PREFIX, tmp_path, stack=True)
    assert [(r["core"], r["opt"]) for r in rows] == [(c, o) for c in fp.CORES for o in fp.OPTS]
    array_bytes, arena = _declared(path)
    for r in rows:
        where = f"{r['core']} {r['opt']}"
        # The linked constants are the header's arrays plus its small parameter structs
        # (a few pointers and integers per layer).
        assert 0 <= r["constants"] - array_bytes <= 128, (where, r, array_bytes)
        assert r["flash_total"] == r["constants"] + r["code"]
        # The project's goal: the inference code alone stays under 2 KB on every core at -Os.
        assert 0 < r["code"] < (2048 if r["opt"] == "-Os" else 4096), (where, r)
        assert r["arena_bss"] == arena, (where, r)  # the only RAM the model owns
        assert 0 < r["stack_bytes"] < 1024, (where, r)
    doc = fp.document(path, PREFIX, rows)
    assert doc["targets"] == rows and doc["stack"] == "measured"
    assert doc["toolchain"].startswith("arm-none-eabi-gcc")


def test_skip_reason_names_the_missing_compiler(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert fp.skip_reason() == "skipped: arm-none-eabi-gcc not found"
