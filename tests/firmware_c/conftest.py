"""Fixtures for the firmware_c tests: exported run folders, generated headers, compiled drivers.

Everything expensive is built once per session and cached by its arguments:
  fw_run(hidden, activation)                  -> run folder (model.keras, *.tflite, manifest.json)
  header(hidden, activation, rounding)        -> folder holding <prefix>_model.h (+ _f32)
  host_driver(hidden, activation, rounding, mode, cc="gcc", opt="-O2")  -> host executable
  run_driver(exe, records: bytes) -> bytes written by the driver
  quantize_pixels(run_dir, pixels) -> int8 model inputs; hostile -> (K, 784) int8 edge rows
Tools come through `tool(name)`: skip when missing, FAIL when CI=true (.ci/run installs them).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tests_support import require_tool

PREFIX = "mnist"


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    return require_tool


@pytest.fixture(scope="session")
def fw_run(exported_run) -> Callable[..., Path]:
    """Exported run folders, shared with the other test folders (tests/conftest.py)."""
    return exported_run


@pytest.fixture(scope="session")
def header(fw_run, tmp_path_factory) -> Callable[..., Path]:
    from tinyflash.firmware_c.generate import generate

    cache: dict[tuple, Path] = {}

    def make(hidden=(32,), activation="relu", rounding="tflm") -> Path:
        key = (tuple(hidden), activation, rounding)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"h_{'-'.join(map(str, hidden))}_{activation}_{rounding}")
            generate(fw_run(hidden, activation), prefix=PREFIX, rounding=rounding, out_dir=out)
            cache[key] = out
        return cache[key]

    return make


@pytest.fixture(scope="session")
def driver_flags() -> Callable[..., tuple[str, ...]]:
    return _driver_flags


def _driver_flags(header_dir: Path, mode: int, prefix: str = PREFIX) -> tuple[str, ...]:
    """Preprocessor flags selecting a header for firmware_c/target/driver.c."""
    name = f"{prefix}_model.h" if mode != 2 else f"{prefix}_f32_model.h"
    p = prefix if mode != 2 else f"{prefix}_f32"
    return (
        f"-I{header_dir}",
        f'-DMODEL_HEADER="{name}"',
        f"-DMODEL_PREFIX={p}",
        f"-DMODEL_PREFIX_UPPER={p.upper()}",
        f"-D{p.upper()}_IMPLEMENTATION",
        f"-DDRIVER_MODE={mode}",
    )


@pytest.fixture(scope="session")
def host_driver(header, tmp_path_factory) -> Callable[..., Path]:
    from tinyflash.firmware_c import toolchain as tc

    cache: dict[tuple, Path] = {}

    def make(hidden=(32,), activation="relu", rounding="tflm", mode=0, cc="gcc", opt="-O2"):
        key = (tuple(hidden), activation, rounding, mode, cc, opt)
        if key not in cache:
            require_tool(cc)
            folder = header(hidden, activation, rounding)
            out = tmp_path_factory.mktemp("drv") / "driver"
            tc.compile_host(
                [tc.TARGET_DIR / "driver.c"],
                out,
                cc=cc,
                opt=opt,
                flags=(f"-I{tc.TARGET_DIR}", *_driver_flags(folder, mode)),
            )
            cache[key] = out
        return cache[key]

    return make


@pytest.fixture(scope="session")
def run_driver(tmp_path_factory) -> Callable[[Path, bytes], bytes]:
    def run(exe: Path, records: bytes) -> bytes:
        work = tmp_path_factory.mktemp("run")
        (work / "inputs.bin").write_bytes(records)
        proc = subprocess.run([str(exe)], cwd=work, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return (work / "outputs.bin").read_bytes()

    return run


@pytest.fixture(scope="session")
def pixels(mnist) -> np.ndarray:
    """(10000, 784) uint8: the real MNIST test images, flattened."""
    return np.ascontiguousarray(mnist.x_test.reshape(len(mnist.x_test), -1))


@pytest.fixture(scope="session")
def quantize_pixels() -> Callable[[Path, np.ndarray], np.ndarray]:
    return _quantize_pixels


def _quantize_pixels(run_dir: Path, pixels: np.ndarray) -> np.ndarray:
    """(N, 784) int8: float32 pixels / 255 quantized with the int8 model's input parameters."""
    import tinyflash.runtime as rt
    from tinyflash.runtime.quantize import quantize
    from tinyflash.train.model import preprocess

    model = rt.load(run_dir / "model_int8.tflite")
    x = preprocess(pixels.reshape(-1, 28, 28))
    return quantize(x, model.input.scale, model.input.zero_point, "int8")


@pytest.fixture(scope="session")
def hostile() -> np.ndarray:
    return _hostile_inputs()


def _hostile_inputs(n_random: int = 300, seed: int = 5) -> np.ndarray:
    """(K, 784) int8: extremes (all -128 / 0 / 127, alternating, single hot pixels, stripes)
    and seeded uniform random rows."""
    rng = np.random.default_rng(seed)
    rows = [np.full(784, v, np.int8) for v in (-128, -1, 0, 1, 127)]
    rows.append(np.where(np.arange(784) % 2 == 0, 127, -128).astype(np.int8))
    rows.append(np.where(np.arange(784) % 28 < 14, -128, 127).astype(np.int8))
    for k in (0, 391, 783):
        hot = np.full(784, -128, np.int8)
        hot[k] = 127
        rows.append(hot)
    rows.extend(rng.integers(-128, 128, size=(n_random, 784), dtype=np.int64).astype(np.int8))
    return np.stack(rows)
