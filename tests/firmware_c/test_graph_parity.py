"""The generated C of whole convolutional graphs, on the host, against the real references.

Every model of tests/cnn_models.py (DS-CNN, MobileNetV1 0.25, ResNet-8, `mixed`) and the `cnn`
preset trained on real MNIST: every output byte of the compiled header equals TFLM's
interpreter ("tflm") or ai-edge-litert BUILTIN_REF ("litert"), and tinyflash.runtime, on
random and extreme inputs (and real test images for the trained model); the float header is
within 1e-5 of litert's reference kernels. The planned arena is no larger than what TFLM's
own allocator uses for the same file (measured in the same run, on this host).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from c_parity import build_driver, run_driver

import tinyflash.runtime as rt
from tinyflash.export import reference
from tinyflash.firmware_c.header import header_text

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

REFERENCES = {
    "tflm": reference.run_tflm,
    "litert": lambda model, x: reference.run_litert(model, x, "reference"),
}
MODELS = ("ds_cnn", "mobilenet_v1_025", "resnet8", "mixed")


def _header(model: Path, work: Path, rounding: str = "tflm", prefix: str = "m") -> Path:
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{prefix}_model.h"
    path.write_text(header_text(model.read_bytes(), model.name, prefix, rounding))
    return path


def _inputs(shape: tuple[int, ...], n: int, seed: int = 0) -> np.ndarray:
    """(n, *shape) int8: all -128, all 127, all 0, then uniform random."""
    x = np.random.default_rng(seed).integers(-128, 128, (n, *shape)).astype(np.int8)
    x[0], x[1], x[2] = -128, 127, 0
    return x


def _int8_c(model: Path, x: np.ndarray, work: Path, rounding: str, **build) -> np.ndarray:
    exe = build_driver(_header(model, work, rounding), "m", work, **build)
    n_out = int(np.prod(rt.load(model).output.shape))
    return run_driver(exe, x, np.int8, n_out)


@pytest.mark.parametrize("rounding", ["tflm", "litert"])
@pytest.mark.parametrize("name", MODELS)
def test_int8_graph_equals_tflm_litert_and_runtime(name, rounding, cnn_models, tool, tmp_path):
    tool("gcc")
    model = cnn_models[name]["int8"]
    x = _inputs(cnn_models[name]["shape"], 24)
    c = _int8_c(model, x, tmp_path, rounding)
    np.testing.assert_array_equal(c, rt.load(model, rounding=rounding)(x).reshape(len(x), -1))
    np.testing.assert_array_equal(c, REFERENCES[rounding](model, x).reshape(len(x), -1))
    assert len(np.unique(c)) > 1  # not one constant byte (MobileNet with random weights: 2)


@pytest.mark.parametrize("name", ["ds_cnn", "mixed"])
def test_clang_os_build_gives_the_same_bytes(name, cnn_models, tool, tmp_path):
    tool("clang")
    model = cnn_models[name]["int8"]
    x = _inputs(cnn_models[name]["shape"], 12, seed=1)
    c = _int8_c(model, x, tmp_path, "tflm", cc="clang", opt="-Os")
    np.testing.assert_array_equal(c, REFERENCES["tflm"](model, x).reshape(len(x), -1))


@pytest.mark.parametrize("name", MODELS)
def test_float_graph_within_1e5_of_litert(name, cnn_models, tool, tmp_path):
    tool("gcc")
    model = cnn_models[name]["float32"]
    x = np.random.default_rng(2).normal(0, 1, (6, *cnn_models[name]["shape"])).astype(np.float32)
    exe = build_driver(_header(model, tmp_path), "m", tmp_path, mode=2)
    n_out = int(np.prod(rt.load(model).output.shape))
    c = run_driver(exe, x, np.float32, n_out)
    np.testing.assert_allclose(c, reference.run_litert(model, x, "reference").reshape(6, -1),
                               rtol=0, atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(c, rt.load(model)(x).reshape(6, -1), rtol=0, atol=1e-5)


@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_trained_cnn_preset_on_real_test_images(
    rounding, cnn_preset_run, pixels, quantize_pixels, hostile, tool, tmp_path
):
    tool("gcc")
    model = cnn_preset_run / "model_int8.tflite"
    x = np.concatenate([quantize_pixels(cnn_preset_run, pixels[:500]), hostile])
    x = x.reshape(-1, *rt.load(model).input.shape)
    c = _int8_c(model, x, tmp_path, rounding)
    np.testing.assert_array_equal(c, REFERENCES[rounding](model, x).reshape(len(x), -1))
    np.testing.assert_array_equal(c, rt.load(model, rounding=rounding)(x).reshape(len(x), -1))


def tflm_arena_bytes(model: Path) -> int:
    """TFLM's own `Arena allocation total` for the file (its recording allocator, on this
    host: 64-bit pointers make it somewhat larger than on a Cortex-M)."""
    code = (
        "import sys; from tflite_micro.python.tflite_micro import runtime; "
        "runtime.Interpreter.from_file(sys.argv[1]).print_allocations()"
    )
    out = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    found = re.search(r"Arena allocation total (\d+) bytes", out.stdout + out.stderr)
    assert found, out.stdout + out.stderr
    return int(found.group(1))


@pytest.mark.parametrize("name", MODELS)
def test_arena_no_larger_than_tflm(name, cnn_models, tmp_path):
    model = cnn_models[name]["int8"]
    text = _header(model, tmp_path).read_text()
    ours = int(re.search(r"#define M_ARENA_SIZE (\d+)", text).group(1))
    assert 0 < ours <= tflm_arena_bytes(model), name
