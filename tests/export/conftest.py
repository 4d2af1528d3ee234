"""Fixtures for the export tests, built on the lead's `trained_run` and `mnist` fixtures.

`exported(hidden=(32,), activation="relu")` -> Path of a folder holding a copy of the trained
run's model.keras and config.toml, exported by `export_run` on the full real MNIST test set.
Cached per argument set for the session; tests must not modify it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def exported(exported_run) -> Callable[..., Path]:
    """Exported run folders, shared with the other test folders (tests/conftest.py)."""
    return exported_run


@pytest.fixture(scope="session")
def test_set(mnist):
    """(x float32 (10000, 784) = pixels / 255, labels int64 (10000,)) of the real test set."""
    from tinyflash.train.model import preprocess

    return preprocess(mnist.x_test), mnist.y_test
