"""A user's own Keras model (not MNIST): 12 features in, 2 regression outputs, through
`tinyflash export MODEL.keras --calibration-data`, codegen and verify (issue 14's Done-when).

The model is trained a few epochs on a synthetic regression task (seeded). verify has no
labels: it reports each executor's max / mean absolute difference from Keras and checks the
parity contracts (float within the depth-aware bound; int8 bit-exact in the tflm and litert
groups, the C header joining its rounding's group where gcc is installed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TINYFLASH = [sys.executable, "-P", "-m", "tinyflash"]
PY_AND_REFERENCES = ("keras", "litert-float", "py-float", "tflm", "py-int8-tflm",
                     "litert-int8-ref", "py-int8-litert")  # fmt: skip


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([*TINYFLASH, *args], capture_output=True, text=True, env=env,
                          timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def regression(tmp_path_factory) -> tuple[Path, Path, np.ndarray]:
    """(model.keras, calibration.npy, 300 held-out inputs) of a 12 -> 16 -> 2 regression."""
    import keras

    rng = np.random.default_rng(3)
    x = rng.normal(size=(1500, 12)).astype(np.float32)
    w = rng.normal(size=(12, 2)).astype(np.float32)
    y = np.tanh(x @ w) + 0.1 * (x[:, :2] ** 2)
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2)])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    model.fit(x[:1200], y[:1200], epochs=5, batch_size=64, verbose=0)
    folder = tmp_path_factory.mktemp("user_model")
    model.save(folder / "regressor.keras")
    np.save(folder / "calibration.npy", x[:1200])
    return folder / "regressor.keras", folder / "calibration.npy", x[1200:]


def test_export_refuses_a_keras_file_without_calibration_data(regression, tmp_path):
    result = _cli("export", str(regression[0]), "--out", str(tmp_path / "run"))
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "--calibration-data FILE is required" in last and "silently wrong" in last
    assert not (tmp_path / "run").exists()


def test_export_refuses_calibration_data_of_the_wrong_shape(regression, tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((10, 11), np.float32))
    result = _cli("export", str(regression[0]), "--calibration-data", str(bad), "--out",
                  str(tmp_path / "run"))  # fmt: skip
    assert result.returncode == 2
    assert "expected calibration inputs of shape (N >= 1, 12)" in result.stderr
    assert "found (10, 11) float32" in result.stderr


def test_a_users_regression_model_through_export_codegen_and_verify(regression, tmp_path):
    from tinyflash.firmware_c.toolchain import missing_tools
    from tinyflash.testing import assert_parity

    model, calibration, held_out = regression
    run = tmp_path / "run"
    result = _cli("export", str(model), "--calibration-data", str(calibration), "--out", str(run))
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["task"] == "regression" and manifest["export"]["input_shape"] == [12]
    result = _cli("codegen", str(run), "--prefix", "reg", "--no-footprint")
    assert result.returncode == 0, result.stderr[-3000:]
    c_host = () if missing_tools("gcc") else ("c-host-int8", "c-host-float")
    # No inputs given: the folder's calibration.npy (the export's own inputs).
    doc = assert_parity(run, require=PY_AND_REFERENCES + c_host)
    entries = {e["name"]: e for e in doc["executors"]}
    assert doc["inputs"]["source"] == "calibration.npy" and doc["inputs"]["labels"] is False
    assert doc["inputs"]["test_images"] == 1200
    assert all(entries[n]["accuracy"] is None for n in PY_AND_REFERENCES)
    # Error from Keras: float copies within the float contract; int8 ones within a few output
    # steps on the inputs they were calibrated on (two Dense layers, each rounding once:
    # measured 1.8 steps here; 4 leaves room for a 1-LSB flip where float32 sums differ).
    step = manifest["quantization"]["output"]["scale"]
    for name in ("litert-float", "py-float", *[n for n in c_host if "float" in n]):
        assert entries[name]["error"]["max_abs"] <= 1e-5, entries[name]
    int8 = ("tflm", "py-int8-tflm", "litert-int8-ref", "py-int8-litert")
    for name in int8:
        assert 0 < entries[name]["error"]["max_abs"] <= 4 * step, (entries[name], step)
    # Held-out inputs: some fall outside the calibrated ranges and saturate (measured max 30
    # steps on one row), but on average the error stays about half a step (measured 0.49).
    np.save(tmp_path / "x.npy", held_out)
    doc = assert_parity(
        run, inputs=tmp_path / "x.npy", require=PY_AND_REFERENCES + c_host, report=True
    )
    entries = {e["name"]: e for e in doc["executors"]}
    assert doc["inputs"]["test_images"] == 300
    for name in int8:
        assert entries[name]["error"]["mean_abs"] <= 1.5 * step, (entries[name], step)
    report = (run / "report.md").read_text()
    assert "max / mean abs error vs float" in report
    assert (
        "Layers of model_int8.tflite (tinyflash inspect)" in report and "FULLY_CONNECTED" in report
    )


def test_verify_a_tflite_file_with_random_inputs(regression, tmp_path):
    """verify MODEL.tflite: a run folder made beside it (the model, manifest.json, its C header),
    200 random int8 rows, the int8 executors' contracts checked; the CLI says PASS, exits 0."""
    run = tmp_path / "run"
    assert _cli("export", str(regression[0]), "--calibration-data", str(regression[1]),
                "--out", str(run)).returncode == 0  # fmt: skip
    model = tmp_path / "theirs.tflite"
    shutil.copy(run / "model_int8.tflite", model)
    from tinyflash.firmware_c.toolchain import missing_tools

    require = "tflm,py-int8-tflm,litert-int8-ref,py-int8-litert"
    require += "" if missing_tools("gcc") else ",c-host-int8"  # the header written from the file
    result = _cli("verify", str(model), "--random", "200", "--hostile", "8", "--require", require)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verify PASS" in result.stderr
    doc = json.loads((tmp_path / "theirs_verify" / "verify.json").read_text())
    assert doc["inputs"]["source"] == "200 random int8 rows"
    assert doc["contracts"]["tflm"]["verdict"] == "pass"
    assert doc["contracts"]["litert"]["verdict"] == "pass"
