"""`tinyflash verify MODEL.onnx`: an .onnx file from anywhere, verified with the executors that
apply to it (tinyflash's interpreter reading the .onnx, onnxruntime), each one's error against
the reference (max / mean absolute difference), on random rows.

The float model is written here with onnx.helper (Gemm with transB, Relu, MatMul, Add,
Sigmoid), not by tinyflash's exporter; the int8 one is a QDQ model from tf2onnx (the exporter's
path), as a user would bring one. The reference each executor is compared with is onnxruntime
(float) or the first int8 executor (an int8 model alone has no float executor).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyflash.errors import UserError
from tinyflash.verify import verify

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def _float_onnx(path: Path) -> Path:
    """(N, 6) float32 -> Gemm (8 x 6, transB) -> Relu -> MatMul (8, 3) -> Add -> Sigmoid."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=s).astype(np.float32), n)
             for n, s in (("w1", (8, 6)), ("b1", (8,)), ("w2", (8, 3)), ("b2", (3,)))]  # fmt: skip
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("MatMul", ["r", "w2"], ["m"]),
        helper.make_node("Add", ["m", "b2"], ["a"]),
        helper.make_node("Sigmoid", ["a"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "from_elsewhere",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    path.write_bytes(model.SerializeToString())
    return path


def _ran(doc: dict) -> set[str]:
    return {e["name"] for e in doc["executors"] if e["status"] == "ran"}


def test_a_float_onnx_file_verifies_in_the_interpreter_and_onnxruntime(tmp_path):
    model = _float_onnx(tmp_path / "elsewhere.onnx")
    doc = verify(model, random=100, hostile=16, report=False, out=tmp_path / "run")
    assert doc["verdict"] == "pass", doc["failures"]
    assert _ran(doc) == {"ort-float", "py-onnx-float"}
    assert doc["contracts"]["float"]["verdict"] == "pass"  # within the depth-aware bound
    errors = {e["name"]: e["error"] for e in doc["executors"] if "error" in e}
    assert errors["py-onnx-float"]["vs"] == "ort-float"
    assert errors["py-onnx-float"]["max_abs"] <= 1e-5  # the float contract's tolerance
    skipped = {e["name"]: e["reason"] for e in doc["executors"] if e["status"] == "skipped"}
    assert "reads .tflite files only" in skipped["c-host-float"]
    assert (tmp_path / "run" / "model_float32.onnx").read_bytes() == model.read_bytes()
    x = np.random.default_rng(3).normal(size=(40, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    doc = verify(model, inputs=tmp_path / "x.npy", hostile=0, report=False, out=tmp_path / "run")
    assert doc["verdict"] == "pass" and doc["inputs"]["test_images"] == 40
    assert doc["inputs"]["source"] == f"--inputs {tmp_path / 'x.npy'}"


def test_an_int8_qdq_onnx_file_verifies_with_its_int8_executors(tmp_path):
    import keras

    from tinyflash.export import onnx as onnx_export
    from tinyflash.export import tflite as tflite_export

    keras.utils.set_random_seed(1)
    net = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7, activation="relu"),
                            keras.layers.Dense(2)])  # fmt: skip
    x = np.random.default_rng(2).normal(size=(64, 5)).astype(np.float32)
    model = tmp_path / "qdq.onnx"
    model.write_bytes(onnx_export.convert_int8(tflite_export.convert_int8(net, x)))
    doc = verify(model, random=100, hostile=16, report=False, out=tmp_path / "run")
    assert doc["verdict"] == "pass", doc["failures"]
    assert _ran(doc) == {"py-onnx-int8", "ort-int8"}
    errors = {e["name"]: e["error"] for e in doc["executors"] if "error" in e}
    assert errors["ort-int8"]["vs"] == "py-onnx-int8"
    # onnxruntime's fused integer kernels stay within 1 LSB of float dequantize -> MatMul ->
    # quantize (export/onnx.py, _weights_as_uint8); the interpreter computes the latter
    assert errors["ort-int8"]["max_abs"] <= _output_scale(tmp_path / "run") * (1 + 1e-6)


def _output_scale(run: Path) -> float:
    import json

    return float(json.loads((run / "manifest.json").read_text())["quantization"]["output"]["scale"])


def test_verify_cli_on_an_onnx_file_prints_each_executors_difference(tmp_path):
    model = _float_onnx(tmp_path / "m.onnx")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", "verify", str(model), "--random", "50",
         "--hostile", "8", "--no-report", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "diff  py-onnx-float    max |y - ort-float|" in result.stderr
    assert "verify PASS" in result.stderr


def test_a_keras_file_is_refused_with_what_verify_takes(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"zip")
    with pytest.raises(UserError, match=r"a run folder, a .tflite or an .onnx file; for a "
                       r".keras model run `tinyflash export"):  # fmt: skip
        verify(tmp_path / "m.keras", report=False)
