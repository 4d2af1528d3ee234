"""The report's footprint table per MCU target, or why it is missing."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from tinyflash.pipeline import _footprint
from tinyflash.verify import verify


def test_without_the_arm_compiler_the_report_says_footprint_skipped(
    run_folder: Path, mnist, monkeypatch
) -> None:
    stale = run_folder / "footprint.json"
    stale.write_text(json.dumps({"targets": [{"core": "cortex-m4", "flash_total": 1}]}))
    monkeypatch.setenv("PATH", "/nonexistent")
    run = SimpleNamespace(out=run_folder, args=SimpleNamespace(prefix="mnist"))
    outcome = _footprint(run, run_folder / "mnist_model.h")
    assert outcome == "footprint skipped: arm-none-eabi-gcc not found"
    assert not stale.exists()  # it measured an earlier header: never shown as this one's
    verify(run_folder, only=("tflm",), limit=50, hostile=4, data=mnist)
    for name in ("report.md", "report.html"):
        text = (run_folder / name).read_text()
        assert "per core: skipped: arm-none-eabi-gcc not found" in text, name
        assert "any core (as the int8 header states it)" in text, name


def test_a_footprint_of_another_header_is_not_shown(run_folder: Path, mnist) -> None:
    rows = [{"core": "cortex-m4", "opt": "-Os", "flash_total": 7, "constants": 5, "code": 2,
             "arena_bss": 1}]  # fmt: skip
    doc = {"header_sha256": "0" * 64, "toolchain": "arm-none-eabi-gcc x", "targets": rows}
    (run_folder / "footprint.json").write_text(json.dumps(doc))
    verify(run_folder, only=("tflm",), limit=50, hostile=4, data=mnist)
    text = (run_folder / "report.md").read_text()
    assert "footprint.json measured another int8 header" in text
    assert "| cortex-m4 | -Os |" not in text
