"""ADD as C (firmware_c/tfk_add.c through emit/int8/add.py): every output byte equals
tinyflash.runtime (both modes) and TFLM on the runtime tests' single-operator models (equal
shapes, a per-channel and a per-pixel constant, a lower-rank constant, dense rows, different
input scales, fused activations) and on the residual form (two activations), random and extreme
inputs, in place and not; the same under QEMU on Cortex-M0 and M4 (DSP and portable)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from runtime_testkit import FUSED, binary_model, random_input, tflm_tensors, two_input_model  # noqa: E402, I001
from step_harness import C_DIR, run_step  # noqa: E402
from test_add import CASES  # noqa: E402

from tinyflash.firmware_c import toolchain as tc  # noqa: E402
from tinyflash.firmware_c.emit.int8.add import EMITTER, broadcast_dims  # noqa: E402
from tinyflash.runtime.errors import UnsupportedOperatorError  # noqa: E402

SCALES = [(0.05, 0.05, 0.1), (0.003, 0.2, 0.2), (0.2, 0.003, 0.01), (0.02, 0.02, 0.0004)]


def residual():
    return two_input_model("ADD", (1, 4, 4, 8), (0.05, -3), (0.05, -3), (0.09, 2), "RELU")


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["tflm", "litert"])
def test_matches_runtime(case, mode, tool, tmp_path):
    tool("gcc")
    model = binary_model("ADD", *CASES[case])
    x = random_input(model, 50, seed=6)
    got, want, _ = run_step(model, x, EMITTER, mode, tmp_path)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("scales", SCALES)
def test_input_scales(scales, tool, tmp_path):
    tool("gcc")
    qa, qb, qy = (scales[0], 5), (scales[1], -20), (scales[2], -1)
    model = binary_model("ADD", (1, 4, 4, 8), (1, 1, 1, 8), qa, qb, qy)
    x = random_input(model, 50)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fused", list(FUSED))
def test_fused_in_place(fused, tool, tmp_path):
    tool("gcc")
    model = binary_model("ADD", (1, 3, 3, 5), (1, 3, 3, 5), fused=fused, qy=(0.02, -9))
    x = random_input(model, 50, seed=2)
    got, want, _ = run_step(model, x, EMITTER, "litert", tmp_path, in_place=True)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("in_place", [False, True])
def test_residual_matches_tflm(in_place, tool, tmp_path):
    """Both inputs activations (ResNet-8's form): the C equals TFLM itself."""
    tool("clang")
    model = residual()
    x = random_input(model, 50, seed=7)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path, op_index=1, in_place=in_place,
                            cc="clang", opt="-Os")  # fmt: skip
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])


def test_broadcast_constant_matches_tflm(tool, tmp_path):
    tool("gcc")
    model = binary_model("ADD", (1, 5, 3, 7), (7,), qy=(0.03, 11), fused="RELU6")
    x = random_input(model, 50, seed=1)
    got, _, _ = run_step(model, x, EMITTER, "tflm", tmp_path)
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])


def test_broadcast_dims():
    assert broadcast_dims((1, 5, 4, 6), (1, 5, 4, 6), (1, 5, 4, 6), "s") == (
        [1, 1, 1, 120], [0, 0, 0, 1], [0, 0, 0, 1])  # fmt: skip
    assert broadcast_dims((1, 5, 4, 6), (6,), (1, 5, 4, 6), "s") == (
        [1, 1, 20, 6], [0, 0, 6, 1], [0, 0, 0, 1])  # fmt: skip
    assert broadcast_dims((1, 5, 4, 6), (1, 5, 4, 1), (1, 5, 4, 6), "s") == (
        [1, 1, 20, 6], [0, 0, 6, 1], [0, 0, 1, 0])  # fmt: skip
    assert broadcast_dims((1, 5, 1, 6), (1, 1, 4, 1), (1, 5, 4, 6), "s") == (
        [1, 5, 4, 6], [0, 6, 0, 1], [0, 0, 1, 0])  # fmt: skip
    with pytest.raises(UnsupportedOperatorError, match="at most 4"):
        broadcast_dims((2, 1, 2, 1, 2), (1, 2, 1, 2, 1), (2, 2, 2, 2, 2), "s")


@pytest.mark.parametrize(
    "target,flags", [("cortex-m0", ()), ("cortex-m4", ()), ("cortex-m4", ("-DTK__USE_DSP=0",))]
)
def test_under_qemu(target, flags, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    model = residual()
    x = random_input(model, 8, seed=1)
    got, want, counts = run_step(model, x, EMITTER, "tflm", tmp_path, op_index=1,
                                 target=target, flags=flags)  # fmt: skip
    np.testing.assert_array_equal(got, want)
    assert counts and len(counts) == len(x)


def test_thumb1_high_mul_matches_int64(tool, tmp_path):
    """The Cortex-M0 form of ADD's and MUL's rounded high multiply (four 16x16 products), run on
    the host, equals the int64 definition on edges and 4,000,000 random pairs."""
    tool("gcc")
    flags = (f"-I{tc.HERE}", "-DTFK_HIGH_MUL16=1", "-DTFK_USE_DSP=0",
             "-fsanitize=undefined", "-fno-sanitize-recover=all")  # fmt: skip
    exe = tc.compile_host([C_DIR / "high_mul_check.c"], tmp_path / "hm", flags=flags)
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "bad 0"
