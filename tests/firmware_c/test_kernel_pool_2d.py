"""MAX_POOL_2D and AVERAGE_POOL_2D as C (firmware_c/tfk_pool_2d.c through emit/int8/
max_pool_2d.py and average_pool_2d.py): every output byte equals tinyflash.runtime (both
modes) and TFLM, on the runtime tests' single-operator models (SAME windows overhanging the
border, VALID, DS-CNN's 25x5 global window, a window larger than the image, fused activations),
random and extreme inputs; the same under QEMU on Cortex-M0 and M4 (DSP and portable, whole
words of channels and not)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from runtime_testkit import random_input, tflm_tensors  # noqa: E402
from step_harness import run_step  # noqa: E402
from test_pool_2d import CASES, FUSED, pool_model  # noqa: E402

from tinyflash.firmware_c.emit.int8 import average_pool_2d, max_pool_2d  # noqa: E402

EMITTERS = {"MAX_POOL_2D": max_pool_2d.EMITTER, "AVERAGE_POOL_2D": average_pool_2d.EMITTER}


@pytest.mark.parametrize("op", list(EMITTERS))
@pytest.mark.parametrize("case", list(CASES))
def test_matches_runtime(op, case, tool, tmp_path):
    tool("gcc")
    model = pool_model(op, **CASES[case])
    x = random_input(model, 20, seed=5)
    got, want, _ = run_step(model, x, EMITTERS[op], "tflm", tmp_path)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", list(EMITTERS))
@pytest.mark.parametrize("fused", list(FUSED))
def test_fused_activations_both_modes(op, fused, tool, tmp_path):
    tool("gcc")
    model = pool_model(op, fused=fused, c=5)
    x = random_input(model, 20, seed=3)
    for mode in ("tflm", "litert"):
        got, want, _ = run_step(model, x, EMITTERS[op], mode, tmp_path / mode)
        np.testing.assert_array_equal(got, want, err_msg=mode)


@pytest.mark.parametrize("op", list(EMITTERS))
def test_matches_tflm(op, tool, tmp_path):
    tool("clang")
    model = pool_model(op, hw=(10, 9), c=7, k=(3, 2), stride=(2, 3), fused="RELU6")
    x = random_input(model, 30, seed=8)
    got, _, _ = run_step(model, x, EMITTERS[op], "tflm", tmp_path, cc="clang", opt="-Os")
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])


def test_average_ties_round_away_from_zero(tool, tmp_path):
    """Sums of exactly k + 1/2: 0.5, -0.5, 2.5, -2.5 give 1, -1, 3, -3 (as in TFLM)."""
    tool("gcc")
    model = pool_model("AVERAGE_POOL_2D", hw=(2, 2), k=(2, 2), padding="VALID", c=1)
    x = np.array([[1, 0, 0, 1], [-1, 0, 0, -1], [3, 2, 2, 3], [-3, -2, -2, -3]], np.int8)
    got, want, _ = run_step(model, x.reshape(4, 2, 2, 1), EMITTERS["AVERAGE_POOL_2D"], "tflm",
                            tmp_path)  # fmt: skip
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, tflm_tensors(model, x.reshape(4, 2, 2, 1))["y"])


QEMU_CASES = {
    "3x3_stride2_same_c8": {"c": 8},  # whole words: the DSP path on M4
    "2x2_valid_c7": {"k": (2, 2), "padding": "VALID", "c": 7},  # 4 channels, then 3
    "global_20x20_c4": {"hw": (20, 20), "k": (20, 20), "stride": (1, 1), "padding": "VALID",
                        "c": 4},  # 400 taps: the average's 16-bit lanes would overflow: not DSP
}  # fmt: skip


@pytest.mark.parametrize(
    "target,flags", [("cortex-m0", ()), ("cortex-m4", ()), ("cortex-m4", ("-DTK__USE_DSP=0",))]
)
def test_under_qemu(target, flags, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    for op, emitter in EMITTERS.items():
        for case, kw in QEMU_CASES.items():
            model = pool_model(op, **kw)
            x = random_input(model, 4, seed=1)
            got, want, counts = run_step(model, x, emitter, "tflm", tmp_path / op / case,
                                         target=target, flags=flags)  # fmt: skip
            np.testing.assert_array_equal(got, want, err_msg=f"{op} {case} {target} {flags}")
            assert counts and len(counts) == len(x)
