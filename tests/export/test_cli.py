"""`tinyflash export`: exit status, messages, and nothing half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tinyflash.cli import main
from tinyflash.export.pipeline import ARTIFACTS


def test_cli_exports_a_run(exported, tmp_path, capsys):
    shutil.copy(exported() / "model.keras", tmp_path / "model.keras")
    assert main(["export", str(tmp_path), "--calibration", "500"]) == 0
    out = capsys.readouterr().out
    assert "model_int8.tflite" in out and "tflm" in out
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"] is None  # no config.toml in this folder
    assert manifest["export"]["calibration"]["images"] == 500
    # Same model, same calibration: the artifacts equal the fixture's, byte for byte.
    for name in ARTIFACTS.values():
        assert (tmp_path / name).read_bytes() == (exported() / name).read_bytes(), name


def test_missing_model_exits_2(tmp_path, capsys):
    assert main(["export", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "model.keras: no such model file" in err
    assert list(tmp_path.iterdir()) == []


def test_unsupported_model_exits_2_and_writes_nothing(tmp_path, capsys):
    import keras

    model = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(8, activation="softplus", name="hidden"),
         keras.layers.Dense(10, activation="softmax")]
    )  # fmt: skip
    model.save(tmp_path / "model.keras")
    assert main(["export", str(tmp_path)]) == 2
    assert "'hidden'" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_failure_midway_leaves_nothing(exported, mnist, tmp_path, monkeypatch):
    from tinyflash.export import onnx as onnx_export
    from tinyflash.export.pipeline import export_run

    shutil.copy(exported() / "model.keras", tmp_path / "model.keras")

    def broken(_: bytes) -> bytes:
        raise RuntimeError("simulated converter crash")

    monkeypatch.setattr(onnx_export, "convert_int8", broken)
    with pytest.raises(RuntimeError, match="simulated"):
        export_run(tmp_path, calibration=50, log=lambda s: None, data=mnist)
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_cli_module_imports_no_tensorflow():
    code = (
        "import sys, tinyflash.export.cli, tinyflash.export.reference; "
        "heavy = [m for m in ('tensorflow', 'keras', 'onnx', 'tf2onnx') if m in sys.modules]; "
        "print(heavy); sys.exit(bool(heavy))"
    )
    done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
