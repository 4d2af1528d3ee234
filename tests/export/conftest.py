"""Fixtures for the export tests, built on the lead's `trained_run` and `mnist` fixtures.

`exported(hidden=(32,), activation="relu")` -> Path of a folder holding a copy of the trained
run's model.keras and config.toml, exported by `export_run` on the full real MNIST test set.
Cached per argument set for the session; tests must not modify it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def exported(trained_run, mnist, tmp_path_factory) -> Callable[..., Path]:
    from tinyflash.export.pipeline import export_run

    cache: dict[tuple[tuple[int, ...], str], Path] = {}

    def make(hidden: tuple[int, ...] = (32,), activation: str = "relu") -> Path:
        key = (tuple(hidden), activation)
        if key not in cache:
            source = trained_run(hidden=tuple(hidden), activation=activation)
            run_dir = tmp_path_factory.mktemp(f"export_{'-'.join(map(str, hidden))}_{activation}")
            for name in ("model.keras", "config.toml"):
                shutil.copy(source / name, run_dir / name)
            export_run(run_dir, calibration=500, log=lambda s: None, data=mnist)
            cache[key] = run_dir
        return cache[key]

    return make


@pytest.fixture(scope="session")
def test_set(mnist):
    """(x float32 (10000, 784) = pixels / 255, labels int64 (10000,)) of the real test set."""
    from tinyflash.train.model import preprocess

    return preprocess(mnist.x_test), mnist.y_test
