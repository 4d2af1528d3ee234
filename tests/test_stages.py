"""Stages compose: the README's stage table run command by command in one folder (data, train,
export, codegen, verify, inspect, predict), then the documented re-run `tinyflash codegen DIR
--rounding litert`: codegen re-records the headers it rewrites in manifest.json (sha256,
prefix, rounding), so verify checks every file's hash and passes after each sequence."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tinyflash.cli import main

LIMIT = "300"  # test images per verify (hostile rows come on top): seconds, not minutes


def _run(capsys, *argv) -> tuple[int, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _verify(capsys, run_dir) -> dict:
    status, text = _run(capsys, "verify", run_dir, "--limit", LIMIT)
    doc = json.loads((run_dir / "verify.json").read_text())
    assert status == 0, doc["failures"]
    assert "not listed in manifest.json" not in text
    assert doc["manifest"]["ok"] and "notes" not in doc["manifest"]
    return doc


def _header_entry(run_dir) -> dict:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return manifest["artifacts"]["header_int8"]


def _footprint_is_of(run_dir, entry: dict) -> None:
    """Where the Arm compiler is installed, footprint.json measured the header the manifest
    lists and the report shows it; elsewhere the report says why not."""
    report = (run_dir / "report.md").read_text()
    if shutil.which("arm-none-eabi-gcc") is None:
        assert "arm-none-eabi-gcc" in report
        return
    footprint = json.loads((run_dir / "footprint.json").read_text())
    assert footprint["header_sha256"] == entry["sha256"]
    assert "not measured" not in report and "footprint.json measured another" not in report


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_readme_stage_table_command_by_command(tmp_path, capsys):
    run_dir = tmp_path / "run"
    status, text = _run(capsys, "data")
    assert status == 0 and "60,000" in text.replace("60000", "60,000")
    status, _ = _run(capsys, "train", "--out", run_dir, "--preset", "tiny", "--epochs", "1",
                     "--train-limit", "3000", "--no-early-stopping", "--quiet")  # fmt: skip
    assert status == 0 and (run_dir / "model.keras").is_file()
    status, _ = _run(capsys, "export", run_dir, "--calibration", "200")
    assert status == 0 and (run_dir / "model_int8.tflite").is_file()
    status, text = _run(capsys, "codegen", run_dir)
    assert status == 0 and "recorded header_float, header_int8" in text, text
    entry = _header_entry(run_dir)
    assert entry["file"] == "mnist_model.h" and entry["rounding"] == "tflm"
    doc = _verify(capsys, run_dir)
    executors = {e["name"]: e for e in doc["executors"]}
    assert executors["c-host-int8"]["status"] == "ran"
    assert executors["c-host-int8"]["contract"] == "tflm"
    assert doc["contracts"]["tflm"]["verdict"] == "pass"
    _footprint_is_of(run_dir, entry)

    status, text = _run(capsys, "codegen", run_dir, "--rounding", "litert")  # the re-run
    assert status == 0
    entry = _header_entry(run_dir)
    assert entry["rounding"] == "litert"
    header = (run_dir / "mnist_model.h").read_text()
    assert re.search(r'#define MNIST_ROUNDING "litert"', header)
    assert "int8, class probabilities (a SOFTMAX)" in header
    doc = _verify(capsys, run_dir)  # exited 3 ("differs from manifest.json") before
    executors = {e["name"]: e for e in doc["executors"]}
    assert executors["c-host-int8"]["contract"] == "litert"
    assert "c-host-int8" in doc["contracts"]["litert"]["members"]
    assert doc["contracts"]["litert"]["verdict"] == "pass"
    _footprint_is_of(run_dir, entry)

    status, text = _run(capsys, "inspect", run_dir / "model_int8.tflite")
    assert status == 0 and "FULLY_CONNECTED" in text and "arena of the generated C:" in text
    status, text = _run(capsys, "predict", run_dir / "model_int8.tflite", "test:0")
    assert status == 0 and "(label 7)" in text
