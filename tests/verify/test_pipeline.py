"""`tinyflash run`: every stage in one folder, skipping what is up to date, --from STAGE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests_support import IN_CI

from tinyflash.cli import main
from tinyflash.firmware_c.footprint import skip_reason

SMALL = ["--hidden", "16", "--epochs", "1", "--train-limit", "3000", "--no-early-stopping",
         "--validation-split", "0", "--calibration", "200", "--verify-limit", "300"]  # fmt: skip


def _stage_lines(text: str) -> dict[str, str]:
    """stage -> its last '[stage] ...' line."""
    lines = {}
    for line in text.splitlines():
        if line.startswith("[") and "] " in line:
            lines[line[1 : line.index("]")]] = line
    return lines


@pytest.mark.slow
def test_run_all_stages_then_skip_then_resume(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), *SMALL]) == 0
    text = capsys.readouterr().out
    lines = _stage_lines(text)
    for stage in ("data", "train", "export", "codegen", "verify"):
        assert lines[stage].startswith(f"[{stage}] done in"), text
    assert "PASS" in lines["verify"]
    for name in ("model.keras", "manifest.json", "mnist_model.h", "mnist_f32_model.h",
                 "verify.json", "report.html", "pipeline.json"):  # fmt: skip
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"header_int8", "header_float"} <= set(manifest["artifacts"])
    assert "accuracy per artifact" in text and "parity: PASS" in text
    # codegen measured the int8 header per core (real toolchain), the report shows it; without
    # arm-none-eabi-gcc (allowed outside CI only) it says so and writes no footprint.json
    if skip_reason() is not None and not IN_CI:
        assert f"footprint {skip_reason()}" in lines["codegen"], lines["codegen"]
        assert not (out / "footprint.json").exists()
        return
    assert "footprint.json (6 core/-O builds" in lines["codegen"], lines["codegen"]
    footprint = json.loads((out / "footprint.json").read_text())
    assert [(r["core"], r["opt"]) for r in footprint["targets"]] == [
        (c, o) for c in ("cortex-m0plus", "cortex-m4", "cortex-m7") for o in ("-Os", "-O2")
    ]
    assert footprint["header_sha256"] == manifest["artifacts"]["header_int8"]["sha256"]
    assert "| cortex-m4 | -Os | " in (out / "report.md").read_text()
    assert "footprint per MCU target" in text

    # nothing changed: every stage is skipped
    assert main(["run", "--out", str(out), *SMALL]) == 0
    lines = _stage_lines(capsys.readouterr().out)
    for stage in ("train", "export", "codegen", "verify"):
        assert lines[stage].startswith(f"[{stage}] skipped: up to date"), lines

    # a hand-edited header and a lost footprint.json: codegen runs again; it writes back the
    # verified bytes and the same footprint, so verify (whose inputs are the artifacts' and
    # footprint.json's sha256) stays up to date
    header = out / "mnist_model.h"
    header.write_text(header.read_text().replace("DO NOT EDIT", "DO NOT EDIT!"))
    footprint_bytes = (out / "footprint.json").read_bytes()
    (out / "footprint.json").unlink()
    assert main(["run", "--out", str(out), *SMALL]) == 0
    lines = _stage_lines(capsys.readouterr().out)
    assert lines["train"].startswith("[train] skipped")
    assert lines["export"].startswith("[export] skipped")
    assert lines["codegen"].startswith("[codegen] done")
    assert lines["verify"].startswith("[verify] skipped")
    assert "DO NOT EDIT!" not in header.read_text()
    assert (out / "footprint.json").read_bytes() == footprint_bytes

    # --from codegen, with the other rounding: train and export are not run; the litert
    # header joins the litert contract and verify passes
    argv = ["run", "--out", str(out), *SMALL, "--from", "codegen", "--rounding", "litert"]
    assert main(argv) == 0
    lines = _stage_lines(capsys.readouterr().out)
    assert lines["train"] == f"[train] skipped: --from codegen: using the files in {out}"
    assert lines["export"].startswith("[export] skipped: --from codegen")
    assert lines["codegen"].startswith("[codegen] done")
    assert lines["verify"].startswith("[verify] done")
    doc = json.loads((out / "verify.json").read_text())
    assert "c-host-int8" in doc["contracts"]["litert"]["members"]


def test_from_a_later_stage_needs_the_earlier_files(tmp_path: Path, capsys) -> None:
    assert main(["run", "--out", str(tmp_path / "empty"), "--from", "codegen"]) == 2
    err = capsys.readouterr().err
    assert f"--from codegen: {tmp_path / 'empty' / 'manifest.json'} not found" in err
