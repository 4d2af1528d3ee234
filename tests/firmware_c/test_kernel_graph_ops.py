"""MEAN, AVERAGE_POOL_2D, MAX_POOL_2D, ADD, MUL, PAD and CONCATENATION through the whole header
(firmware_c/header.py: plan, arena, entry point, c_parity's driver), not only as one step: every
output byte equals tinyflash.runtime in both modes, on small graphs where the planner places the
tensors (ADD and MUL in place on the residual / square forms, PAD feeding the second input);
and each op's step under AddressSanitizer + UndefinedBehaviorSanitizer."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from c_parity import build_driver, run_driver  # noqa: E402
from runtime_testkit import binary_model, random_input, two_input_model  # noqa: E402
from step_harness import run_step  # noqa: E402
from test_concatenation import concat_model  # noqa: E402
from test_mean import mean_model  # noqa: E402
from test_pad import pad_model  # noqa: E402
from test_pool_2d import pool_model  # noqa: E402

import tinyflash.runtime as rt  # noqa: E402
from tinyflash.firmware_c.emit.int8 import EMITTERS  # noqa: E402
from tinyflash.firmware_c.header import header_text  # noqa: E402

MODELS = {
    "residual_add": lambda: two_input_model(
        "ADD", (1, 4, 4, 8), (0.05, -3), (0.07, -3), (0.09, 2), "RELU"
    ),  # fmt: skip
    "square_mul": lambda: two_input_model(
        "MUL", (1, 4, 4, 8), (0.05, -3), (0.05, -3), (0.2, -100)
    ),  # fmt: skip
    "concat": lambda: concat_model(3, extra=3, shape=(1, 3, 5, 3)),
    "max_pool": lambda: pool_model("MAX_POOL_2D"),
    "average_pool": lambda: pool_model("AVERAGE_POOL_2D", fused="RELU"),
    "mean": lambda: mean_model(out_q=(0.011, 3)),
    "pad": lambda: pad_model([[0, 0], [1, 1], [1, 1], [0, 0]]),
    "add_constant": lambda: binary_model("ADD", (1, 5, 4, 6), (6,)),
    "mul_constant": lambda: binary_model("MUL", (1, 5, 4, 6), (1, 1, 1, 6), qy=(0.05, 4)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_header_matches_runtime(name, tool, tmp_path):
    tool("gcc")
    data = MODELS[name]()
    for mode in ("tflm", "litert"):
        text = header_text(data, f"{name}.tflite", prefix="tm", rounding=mode)
        work = tmp_path / mode
        work.mkdir()
        (work / "tm_model.h").write_text(text)
        exe = build_driver(work / "tm_model.h", "tm", work)
        model = rt.load(data, rounding=mode)
        x = random_input(model=data, n=40, seed=3)
        got = run_driver(exe, x, np.int8, int(np.prod(model.output.shape)))
        np.testing.assert_array_equal(got, model(x).reshape(len(x), -1), err_msg=mode)


SANITIZED = {  # model, op index of the step under test
    "residual_add": 1,
    "square_mul": 1,
    "concat": 1,
    "max_pool": 0,
    "average_pool": 0,
    "mean": 0,
    "pad": 0,
    "mul_constant": 0,
}


@pytest.mark.parametrize("name", list(SANITIZED))
def test_step_under_sanitizers(name, tool, tmp_path):
    tool("gcc")
    data = MODELS[name]()
    model = rt.load(data)
    op = model.graph.operators[SANITIZED[name]].op
    x = random_input(model=data, n=20, seed=5)
    flags = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all")
    got, want, _ = run_step(data, x, EMITTERS[op], "tflm", tmp_path, op_index=SANITIZED[name],
                            opt="-O1", flags=flags)  # fmt: skip
    np.testing.assert_array_equal(got, want)
