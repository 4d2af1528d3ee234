"""`tinyflash train --engine numpy`: a real run folder that export, codegen and verify accept,
and clear refusals of what tinyflash.learn does not have."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tinyflash.learn import MLP, Dense


def tinyflash(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def numpy_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("numpy_run")
    done = tinyflash(
        "train", "--engine", "numpy", "--preset", "classic", "--train-limit", "6000",
        "--epochs", "2", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_classic_preset_trains_into_a_keras_run_folder(numpy_run, mnist):
    import keras

    from tinyflash.train.model import preprocess

    config = tomllib.loads((numpy_run / "config.toml").read_text())["train"]
    assert config["engine"] == "numpy" and config["preset"] == "classic"
    metrics = json.loads((numpy_run / "metrics.json").read_text())
    history = json.loads((numpy_run / "history.json").read_text())
    assert metrics["test_accuracy"] > 0.85 and metrics["train_images"] == 6000  # chance: 0.10
    assert len(history["loss"]) == 2 and history["loss"][1] < history["loss"][0]
    # The model.keras holds the numpy-learned weights: Keras and tinyflash.learn agree on it.
    model = keras.saving.load_model(numpy_run / "model.keras")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    net = MLP([Dense(*layer.get_weights(), layer.activation.__name__) for layer in dense])
    x = preprocess(mnist.x_test[:1000])
    # probabilities are at most 1: the parity tolerance of 2 layers (test_keras_parity.py)
    tolerance = 2 * 784 * float(np.finfo(np.float32).eps)
    np.testing.assert_allclose(net.predict(x), model.predict(x, verbose=0), rtol=0, atol=tolerance)


EXECUTORS = "keras,tflm,py-int8-tflm,c-host-int8"  # c-host-int8 compiles the generated header


@pytest.mark.slow
def test_export_codegen_and_verify_accept_the_result(numpy_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(numpy_run, run)
    for args in (
        ("export", str(run), "--calibration", "300"),
        ("codegen", str(run)),
        (
            "verify",
            str(run),
            "--require",
            EXECUTORS,
            "--only",
            EXECUTORS,
            "--limit",
            "300",
            "--no-report",
        ),
    ):
        done = tinyflash(*args)
        assert done.returncode == 0, f"tinyflash {' '.join(args)}:\n{done.stdout}{done.stderr}"
    assert (run / "model_int8.tflite").is_file() and (run / "mnist_model.h").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--conv", "8,16"], "config 'layers' (found layers conv2d"),
        (["--hidden", "512,256"], "784-512-256-10 has 535,818 weights, more than 300,000"),
    ],
)
def test_refuses_what_it_does_not_have(args, message, tmp_path):
    done = tinyflash("train", "--engine", "numpy", "--out", str(tmp_path), *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "use --engine keras" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_validation_split_and_early_stopping(mnist, tmp_path):
    from tinyflash.train.config import TrainConfig
    from tinyflash.train.fit import train

    config = TrainConfig(
        preset="test", hidden=(16,), activation="relu", optimizer="adam", learning_rate=1e-2,
        dropout=0.2, epochs=4, batch_size=64, train_limit=2000, validation_split=0.25,
        early_stopping=True, patience=1, engine="numpy",
    )  # fmt: skip
    metrics = train(config, mnist, tmp_path, log=lambda s: None, verbose=0, plots=False)
    history = json.loads((tmp_path / "history.json").read_text())
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert metrics["train_images"] == 2000 and metrics["test_accuracy"] > 0.8
    assert 1 <= metrics["epochs_run"] <= 4
