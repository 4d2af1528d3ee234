"""A convolutional run folder through export, codegen and verify (issue 12's `make run` path).

A tiny CNN (conv 3x3 x4 -> relu -> max pool 2 -> flatten -> dense 10), one epoch on 2,000 real
MNIST images, exported on a 400-image test subset. After codegen, verify must run every
executor that applies to a (N, 28, 28, 1) input, the generated C headers (int8 and float32, on
the host and on an emulated Cortex-M4) included, and pass.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests_support import require_tool

from tinyflash.errors import UserError

C_EXECUTORS = ("c-host-float", "c-m4-float", "c-host-int8", "c-m4-int8")
# They run the int8 / float .tflite on the (N, 28, 28, 1) inputs: a wrong shape is an error.
MUST_RUN = ("keras", "litert-float", "py-float", "tflm", "py-int8-tflm", "litert-int8-ref",
            "py-int8-litert")  # fmt: skip


@pytest.fixture(scope="module")
def small_mnist(mnist):
    from tinyflash.train.data import Dataset

    return Dataset(mnist.x_train[:2000], mnist.y_train[:2000], mnist.x_test[:400],
                   mnist.y_test[:400], mnist.class_names, "MNIST, first 2,000 / 400")  # fmt: skip


@pytest.fixture(scope="module")
def cnn_run(small_mnist, tmp_path_factory) -> Path:
    from tinyflash.export.pipeline import export_run
    from tinyflash.train.config import TrainConfig
    from tinyflash.train.fit import train
    from tinyflash.train.layers import parse_layer

    tables = [{"type": "conv2d", "filters": 4}, {"type": "relu"}, {"type": "max_pool2d"},
              {"type": "flatten"}]  # fmt: skip
    config = TrainConfig(preset="test-cnn", hidden=(),
                         layers=tuple(parse_layer(t, i) for i, t in enumerate(tables)),
                         epochs=1, early_stopping=False, validation_split=0.0, batch_size=64,
                         learning_rate=3e-3, seed=7)  # fmt: skip
    folder = tmp_path_factory.mktemp("cnn") / "run"
    train(config, small_mnist, folder, log=lambda s: None, verbose=0, plots=False)
    export_run(folder, calibration=200, data=small_mnist, log=lambda s: None)
    return folder


def test_verify_runs_every_applicable_executor_on_a_cnn_and_passes(cnn_run, small_mnist, tmp_path):
    from tinyflash.cli import main
    from tinyflash.verify import verify

    for tool in ("gcc", "arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    folder = Path(shutil.copytree(cnn_run, tmp_path / "run"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["export"]["input_shape"] == [28, 28, 1]
    assert main(["codegen", str(folder)]) == 0
    doc = verify(folder, data=small_mnist, hostile=32, require=MUST_RUN + C_EXECUTORS)
    assert doc["verdict"] == "pass", doc["failures"]
    assert doc["inputs"] == {**doc["inputs"], "test_images": 400, "hostile": 32}
    status = {e["name"]: e for e in doc["executors"]}
    for name in MUST_RUN + C_EXECUTORS:
        assert status[name]["status"] == "ran", status[name]
        assert status[name]["accuracy"] > 0.5  # one epoch on 2,000 images: far above chance
    assert all(doc["contracts"][c]["verdict"] == "pass" for c in ("float", "tflm", "litert"))
    assert {"c-host-int8", "c-m4-int8"} <= set(doc["contracts"]["tflm"]["members"])
    assert (folder / "report.html").is_file() and (folder / "report.md").is_file()


def test_requiring_a_c_executor_before_codegen_fails_with_the_reason(
    cnn_run, small_mnist, tmp_path
):
    from tinyflash.verify import verify

    folder = Path(shutil.copytree(cnn_run, tmp_path / "run"))
    doc = verify(folder, data=small_mnist, hostile=4, only=("py-int8-tflm", "c-host-int8"),
                 require=("c-host-int8",), report=False)  # fmt: skip
    assert doc["verdict"] == "fail"
    assert any("c-host-int8 was skipped" in f and "header_int8" in f for f in doc["failures"])


def test_codegen_of_a_cnn_writes_both_headers(cnn_run, tmp_path):
    from tinyflash.firmware_c.cli import generate_run

    int8, f32 = generate_run(cnn_run, out_dir=tmp_path)
    text = int8.read_text()
    for words in ("CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED",
                  "#define MNIST_INPUT_SHAPE {1, 28, 28, 1}",
                  "int mnist_classify(const uint8_t *pixels);"):  # fmt: skip
        assert words in text, words
    assert "CONV_2D" in f32.read_text() and "int mnist_f32_classify(" in f32.read_text()


def test_run_from_codegen_replaces_a_stale_header_and_verify_passes(cnn_run, tmp_path):
    """`tinyflash run --from codegen` on the CNN folder: a stale header of an earlier model is
    replaced by the CNN's, and verify passes on 300 test images with the C executors."""
    import os
    import subprocess
    import sys

    require_tool("gcc")
    folder = Path(shutil.copytree(cnn_run, tmp_path / "run"))
    (folder / "mnist_model.h").write_text("/* an earlier dense model's header */\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="200")
    result = subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", "run", "--out", str(folder), "--from",
         "codegen", "--verify-limit", "300"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[codegen] done" in result.stdout
    assert "CONV_2D" in (folder / "mnist_model.h").read_text()
    doc = json.loads((folder / "verify.json").read_text())
    assert doc["verdict"] == "pass" and doc["inputs"]["test_images"] == 300
    assert {e["name"]: e["status"] for e in doc["executors"]}["c-host-int8"] == "ran"


def test_verify_cli_with_a_users_inputs_and_labels(cnn_run, small_mnist, tmp_path):
    """`tinyflash verify RUN --inputs X.npy --labels Y.npy`: (N, 28, 28) uint8 images are read
    as pixels / 255 in the model's (28, 28, 1); accuracy equals the run's own on those rows."""
    import os
    import subprocess
    import sys

    import numpy as np

    from tinyflash.verify import verify

    folder = Path(shutil.copytree(cnn_run, tmp_path / "run"))
    np.save(tmp_path / "x.npy", small_mnist.x_test[:120])
    np.save(tmp_path / "y.npy", small_mnist.y_test[:120])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", "verify", str(folder), "--inputs",
         str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"), "--only",
         "keras,py-int8-tflm,tflm", "--hostile", "8", "--no-report"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads((folder / "verify.json").read_text())
    assert doc["inputs"]["labels"] is True and doc["inputs"]["test_images"] == 120
    own = verify(folder, data=small_mnist, limit=120, hostile=8, report=False,
                 only=("keras", "py-int8-tflm", "tflm"))  # fmt: skip
    accuracy = {e["name"]: e.get("accuracy") for e in own["executors"] if e["status"] == "ran"}
    assert {e["name"]: e["accuracy"] for e in doc["executors"] if e["status"] == "ran"} == accuracy
    bad = tmp_path / "y_short.npy"
    np.save(bad, small_mnist.y_test[:7])
    with pytest.raises(UserError, match=r"--labels: expected \(120,\) integers, found \(7,\)"):
        verify(folder, inputs=tmp_path / "x.npy", labels=bad, report=False)


def test_tinyflash_run_preset_cnn_end_to_end(small_mnist, tmp_path):
    """`tinyflash run --preset cnn` on a small .npz (1 epoch on 2,000 images, 400 test images):
    train, export, codegen (both headers), verify PASS with the C on the host, exit 0."""
    import os
    import subprocess
    import sys

    import numpy as np

    data = tmp_path / "small.npz"
    np.savez(data, x_train=small_mnist.x_train, y_train=small_mnist.y_train,
             x_test=small_mnist.x_test, y_test=small_mnist.y_test)  # fmt: skip
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="200")
    result = subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", "run", "--preset", "cnn", "--data", str(data),
         "--train-limit", "2000", "--epochs", "1", "--calibration", "200", "--out",
         str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[codegen] done" in result.stdout
    doc = json.loads((tmp_path / "run" / "verify.json").read_text())
    assert doc["verdict"] == "pass" and doc["inputs"]["test_images"] == 400
    ran = {e["name"] for e in doc["executors"] if e["status"] == "ran"}
    assert set(MUST_RUN) | {"c-host-int8", "c-host-float"} <= ran
