"""The command line as users run it: sub-commands listed, user errors as one line with exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyflash.train.config import PRESETS

TINYFLASH = [sys.executable, "-P", "-m", "tinyflash"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [*TINYFLASH, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_help_lists_the_sub_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "train", "data"):
        assert f"\n    {command} " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["train", "--preset", "huge"],
            f"unknown preset 'huge' (supported: {', '.join(PRESETS)})",
        ),
        (["train", "--epochs", "many"], "argument --epochs: invalid int value: 'many'"),
        (["train", "--hidden", "12,-3"], "expected positive layer sizes like 128,64"),
        (["train", "--activation", "gelu"], "expected one of relu, sigmoid, tanh, linear"),
        (
            ["train", "--config", "/nonexistent/cfg.toml"],
            "/nonexistent/cfg.toml: no such config file",
        ),
        (
            ["data", "--data", "/nonexistent/mnist.npz"],
            "/nonexistent/mnist.npz: no such file or folder",
        ),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_user_errors_are_one_line_with_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert message in lines[-1]
    assert "Traceback" not in result.stderr


def test_corrupt_data_file_is_named(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = run_cli("data", "--data", str(bad))
    assert result.returncode == 2
    assert f"{bad}: not a readable .npz file" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_output_folder(tmp_path, mnist):
    data = tmp_path / "mnist.npz"
    np.savez(
        data,
        x_train=mnist.x_train[:256],
        y_train=mnist.y_train[:256],
        x_test=mnist.x_test[:64],
        y_test=mnist.y_test[:64],
    )
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("train", "--data", str(data), "--out", str(blocker / "run"), "--epochs", "1")
    assert result.returncode == 2, result.stderr
    assert "cannot write to" in result.stderr and "Traceback" not in result.stderr


def test_train_command_end_to_end(tmp_path, mnist):
    data = tmp_path / "mnist.npz"
    np.savez(
        data,
        x_train=mnist.x_train[:3000],
        y_train=mnist.y_train[:3000],
        x_test=mnist.x_test,
        y_test=mnist.y_test,
    )
    out = tmp_path / "run"
    result = run_cli(
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--hidden",
        "24",
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--no-early-stopping",
        "--validation-split",
        "0",
    )
    assert result.returncode == 0, result.stderr
    assert f"--data {data}" in result.stdout  # the log names the data source used
    assert "[train] done in" in result.stdout
    assert (out / "model.keras").is_file() and (out / "metrics.json").is_file()
    assert "hidden = [24]" in (out / "config.toml").read_text()


def test_data_command_reports_the_source():
    result = run_cli("data")
    assert result.returncode == 0, result.stderr
    assert "60000 training and 10000 test images" in result.stdout
