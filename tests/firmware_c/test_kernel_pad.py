"""PAD as C (firmware_c/tfk_pad.c through emit/int8/pad.py): every output byte equals
tinyflash.runtime (both modes) and TFLM on the runtime tests' single-operator models (the
ZeroPadding2D form, asymmetric, channels) and on odd sizes, every axis, rank 2 and 3, random and
extreme inputs; the same under QEMU on Cortex-M0 and M4."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from runtime_testkit import random_input, tflm_tensors  # noqa: E402
from step_harness import run_step  # noqa: E402
from test_pad import CASES, pad_model  # noqa: E402

from tinyflash.firmware_c.emit.int8.pad import EMITTER, collapse  # noqa: E402

MORE = {
    "every_axis_odd": ([[0, 0], [2, 1], [0, 3], [1, 1]], (1, 3, 5, 7)),
    "height_only": ([[0, 0], [1, 2], [0, 0], [0, 0]], (1, 5, 4, 3)),
    "rank2": ([[0, 0], [3, 5]], (1, 9)),
    "rank3": ([[0, 0], [1, 0], [0, 2]], (1, 4, 6)),
    "nothing": ([[0, 0], [0, 0], [0, 0], [0, 0]], (1, 2, 3, 4)),
}
ALL = {**{k: (v, (1, 5, 4, 3)) for k, v in CASES.items()}, **MORE}


@pytest.mark.parametrize("case", list(ALL))
@pytest.mark.parametrize("mode", ["tflm", "litert"])
def test_matches_runtime(case, mode, tool, tmp_path):
    tool("gcc")
    pads, shape = ALL[case]
    model = pad_model(pads, shape=shape)
    x = random_input(model, 20, seed=4)
    got, want, _ = run_step(model, x, EMITTER, mode, tmp_path)
    np.testing.assert_array_equal(got, want)


def test_matches_tflm(tool, tmp_path):
    tool("clang")
    model = pad_model(*ALL["every_axis_odd"])
    x = random_input(model, 20, seed=2)
    got, _, _ = run_step(model, x, EMITTER, "tflm", tmp_path, cc="clang", opt="-Os")
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])
    assert np.any(got == -17)  # the fill really is the zero point


def test_collapse():
    assert collapse((1, 5, 4, 3), [[0, 0], [1, 1], [1, 1], [0, 0]], "s") == [
        (1, 0, 0), (5, 1, 1), (12, 3, 3)]  # fmt: skip
    assert collapse((1, 5, 4, 3), [[0, 0], [1, 2], [0, 0], [0, 0]], "s") == [
        (1, 0, 0), (1, 0, 0), (60, 12, 24)]  # fmt: skip
    assert collapse((1, 9), [[0, 0], [3, 5]], "s") == [(1, 0, 0), (1, 0, 0), (9, 3, 5)]


@pytest.mark.parametrize("target", ["cortex-m0", "cortex-m4"])
def test_under_qemu(target, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    words = ([[0, 0], [1, 2], [2, 1], [0, 0]], (1, 6, 6, 8))
    cases = {"odd": ALL["every_axis_odd"], "words": words}
    for case, (pads, shape) in cases.items():  # bytes, and whole aligned words
        model = pad_model(pads, shape=shape)
        x = random_input(model, 4, seed=1)
        got, want, counts = run_step(model, x, EMITTER, "tflm", tmp_path / case, target=target)
        np.testing.assert_array_equal(got, want, err_msg=case)
        assert counts and len(counts) == len(x)
