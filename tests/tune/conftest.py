"""Fixtures of the tune tests: a real MNIST subset as a file, a small dense search space.

Every tune test trains for real, on the first 2,000 training and 1,000 test images of MNIST
(one epoch, an MLP of 8 to 32 hidden units, 3 s a trial), so the whole folder stays fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

SPACE = """[space]
families = ["dense"]
dense_layers = [1, 1]
units = [8, 32]
epochs = [1, 1]
batch_sizes = [64]
"""


@pytest.fixture(scope="session")
def mnist_small(mnist, tmp_path_factory) -> Path:
    """An mnist.npz-style file of real MNIST: x_train (2000, 28, 28), x_test (1000, 28, 28)."""
    path = tmp_path_factory.mktemp("tune-data") / "mnist_small.npz"
    np.savez(path, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000],
             x_test=mnist.x_test[:1000], y_test=mnist.y_test[:1000])  # fmt: skip
    return path


@pytest.fixture(scope="session")
def space_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tune-space") / "space.toml"
    path.write_text(SPACE)
    return path


ARGS = ("--flash", "24K", "--ram", "4K", "--calibration", "200")  # an M0+ (the default core)


@pytest.fixture
def tune_args(mnist_small, space_file) -> Callable[..., list[str]]:
    """tune_args(out, *extra): `tune` arguments on the small data and space, 24 KB / 4 KB."""

    def make(out: Path, *extra: str) -> list[str]:
        return ["tune", "--data", str(mnist_small), "--space", str(space_file),
                "--out", str(out), *ARGS, *extra]  # fmt: skip

    return make


@pytest.fixture
def start_tune() -> Callable[..., subprocess.Popen]:
    """start_tune(args, log): `python -P -m tinyflash *args` in the background, output in log."""

    def start(args: list[str], log: Path) -> subprocess.Popen:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-P", "-m", "tinyflash", *args]
        return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)

    return start
