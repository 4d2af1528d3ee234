"""MEAN as C (firmware_c/tfk_mean.c through emit/int8/mean.py): every output byte equals
tinyflash.runtime (both modes) and TFLM on the runtime tests' single-operator models (H, W with
and without keep_dims, input and output quantization equal and different, DS-CNN's 25x5, one
axis), random and extreme inputs; the same under QEMU on Cortex-M0 and M4 (DSP and portable)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from runtime_testkit import random_input, tflm_tensors  # noqa: E402
from step_harness import run_step  # noqa: E402
from test_mean import CASES, mean_model  # noqa: E402

from tinyflash.firmware_c.emit.int8.mean import EMITTER, blocks  # noqa: E402
from tinyflash.runtime.errors import UnsupportedOperatorError  # noqa: E402

CASES = {k: v for k, v in CASES.items() if min(v.get("axes", (1,))) > 0}  # negatives: below


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["tflm", "litert"])
def test_matches_runtime(case, mode, tool, tmp_path):
    tool("gcc")
    model = mean_model(**CASES[case])
    x = random_input(model, 60, seed=4)
    got, want, _ = run_step(model, x, EMITTER, mode, tmp_path)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", ["requantize", "requantize_up", "25x5_dscnn"])
def test_matches_tflm(case, tool, tmp_path):
    tool("clang")
    model = mean_model(**CASES[case], c=5)
    x = random_input(model, 40, seed=9)
    got, _, _ = run_step(model, x, EMITTER, "tflm", tmp_path, cc="clang", opt="-Os")
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])


def test_mobilenet_gap_shape(tool, tmp_path):
    """MobileNetV1 0.25's GlobalAveragePooling2D: (1, 3, 3, 256) -> (1, 256)."""
    tool("gcc")
    model = mean_model(hw=(3, 3), c=256, out_q=(0.03, -5))
    x = random_input(model, 10, seed=2)
    got, want, _ = run_step(model, x, EMITTER, "litert", tmp_path)
    np.testing.assert_array_equal(got, want)


def test_blocks():
    assert blocks((1, 6, 6, 8), (1, 2), "s") == (1, 36, 8)
    assert blocks((1, 6, 6, 8), (2,), "s") == (6, 6, 8)
    assert blocks((1, 1, 6, 8), (1, 3), "s") == (6, 8, 1)  # axis 1 has size 1: contiguous
    with pytest.raises(UnsupportedOperatorError, match="one contiguous block"):
        blocks((1, 6, 6, 8), (1, 3), "s")


QEMU_CASES = {
    "requantize_c8": {"out_q": (0.011, 3)},  # whole words: the DSP path on M4
    "c7": {"hw": (3, 2), "c": 7, "out_q": (0.02, -4)},  # 4 elements, then 3
    "count_300_c4": {"hw": (20, 15), "c": 4, "out_q": (0.03, 1)},  # 16-bit lanes too small
}


@pytest.mark.parametrize(
    "target,flags", [("cortex-m0", ()), ("cortex-m4", ()), ("cortex-m4", ("-DTK__USE_DSP=0",))]
)
def test_under_qemu(target, flags, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    for case, kw in QEMU_CASES.items():
        model = mean_model(**kw)
        x = random_input(model, 4, seed=1)
        got, want, counts = run_step(model, x, EMITTER, "tflm", tmp_path / case, target=target,
                                     flags=flags)  # fmt: skip
        np.testing.assert_array_equal(got, want, err_msg=f"{case} {target} {flags}")
        assert counts and len(counts) == len(x)


@pytest.mark.parametrize("axes,keep", [((3,), False), ((2, 3), True), ((1, 2, 3), False)])
def test_other_axes_match_tflm(axes, keep, tool, tmp_path):
    """Channels (inner 1), W and C, and all three: the same (outer, count, inner) kernel."""
    tool("gcc")
    model = mean_model(hw=(4, 5), c=6, axes=axes, keep=keep, out_q=(0.02, 3))
    x = random_input(model, 20, seed=6)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])
