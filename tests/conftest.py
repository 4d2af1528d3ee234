"""Shared fixtures: real MNIST, and small real trained run folders (cached per session).

`trained_run(hidden=(32,), activation="relu", epochs=1, train_limit=6000, **config)` returns a
run folder with model.keras, config.toml, metrics.json (no plots), trained on the first
`train_limit` real MNIST training images. The same arguments return the same folder.
`exported_run(hidden=(32,), activation="relu")` returns a copy of that folder exported by
tinyflash.export (calibration 500): .tflite, .onnx and manifest.json beside model.keras.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests_support import IN_CI, require_path, require_tool  # noqa: F401 - re-exported


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST data set (60,000 + 10,000), loaded once."""
    from tinyflash.train.data import load_mnist

    return load_mnist(allow_download=False)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, mnist) -> Callable[..., Path]:
    from tinyflash.train.config import TrainConfig
    from tinyflash.train.fit import train

    cache: dict[tuple[tuple[str, Any], ...], Path] = {}

    def make(
        hidden: tuple[int, ...] = (32,),
        activation: str = "relu",
        epochs: int = 1,
        train_limit: int = 6000,
        **overrides: Any,
    ) -> Path:
        settings: dict[str, Any] = dict(
            preset="test",
            hidden=tuple(hidden),
            activation=activation,
            epochs=epochs,
            train_limit=train_limit,
            early_stopping=False,
            validation_split=0.0,
            batch_size=64,
            learning_rate=2e-3,
            seed=7,
        )
        settings.update(overrides)
        key = tuple(sorted(settings.items()))
        if key not in cache:
            name = "run_" + "-".join(map(str, settings["hidden"])) + f"_{activation}"
            run_dir = tmp_path_factory.mktemp(name)
            train(
                TrainConfig(**settings), mnist, run_dir, log=lambda s: None, verbose=0, plots=False
            )
            cache[key] = run_dir
        return cache[key]

    return make


@pytest.fixture(scope="session")
def exported_run(trained_run, mnist, tmp_path_factory) -> Callable[..., Path]:
    import shutil

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
def cnn_models(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """The convolutional test models (tests/cnn_models.py), converted once per session."""
    from cnn_models import convert_all

    return convert_all(tmp_path_factory.mktemp("cnn_models"))


@pytest.fixture(scope="session")
def cnn_preset_run(trained_run, mnist, tmp_path_factory) -> Path:
    """The `cnn` preset's architecture trained briefly on 3,000 real MNIST images and exported
    (model_int8.tflite, model_float32.tflite): a real trained CNN for the C parity tests."""
    import shutil

    from tinyflash.export.pipeline import export_run
    from tinyflash.train.config import PRESETS

    preset = PRESETS["cnn"]
    source = trained_run(hidden=(), layers=preset.layers, epochs=1, train_limit=3000)
    run_dir = tmp_path_factory.mktemp("export_cnn_preset")
    for name in ("model.keras", "config.toml"):
        shutil.copy(source / name, run_dir / name)
    export_run(run_dir, calibration=300, log=lambda s: None, data=mnist)
    return run_dir
