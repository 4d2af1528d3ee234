"""`tinyflash verify` on convolutional .tflite files nobody here trained (the MLPerf Tiny
architectures of tests/cnn_models.py, random weights): the C header is written from the file
and every int8 executor, the C on the host and on an emulated Cortex-M4 included, agrees with
TFLM and litert on random and hostile inputs."""

from __future__ import annotations

import json

import pytest
from tests_support import require_tool

from tinyflash.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@pytest.mark.parametrize("name", ["mixed", "ds_cnn"])
def test_verify_a_convolutional_file_with_random_inputs(name, cnn_models, tmp_path, capsys):
    require_tool("gcc")
    out = tmp_path / "verify"
    assert main(["verify", str(cnn_models[name]["int8"]), "--random", "20", "--out", str(out)]) == 0
    doc = json.loads((out / "verify.json").read_text())
    assert doc["verdict"] == "pass"
    ran = {e["name"] for e in doc["executors"] if e["status"] == "ran"}
    assert {"tflm", "py-int8-tflm", "c-host-int8", "litert-int8-ref", "py-int8-litert"} <= ran
    assert "verify PASS" in capsys.readouterr().err
