"""CONCATENATION as C (firmware_c/tfk_concatenation.c through emit/int8/concatenation.py):
every output byte equals tinyflash.runtime (both modes) and TFLM: two activations along channels
and spatial axes (the runtime tests' model), an activation followed by two constants of odd
sizes, random and extreme inputs; the same under QEMU on Cortex-M0 and M4."""

import sys
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from runtime_testkit import T, act_t, one_op, random_input, tflm_tensors  # noqa: E402
from step_harness import run_step  # noqa: E402
from test_concatenation import concat_model  # noqa: E402

from tinyflash.firmware_c.emit.int8.concatenation import EMITTER  # noqa: E402

Q = (0.05, -17)


def with_constants(axis: int, shape=(1, 3, 5, 3), sizes=(2, 5)):
    """CONCATENATION([x, c1, c2], axis), c1 / c2 random int8 constants of `sizes` on the axis."""
    rng = np.random.default_rng(axis)
    consts = []
    for k, n in enumerate(sizes):
        s = list(shape)
        s[axis] = n
        data = rng.integers(-128, 128, s).astype(np.int8)
        consts.append(T(f"c{k}", tuple(s), "int8", data, scale=[Q[0]], zero_point=[Q[1]]))
    out = list(shape)
    out[axis] += sum(sizes)
    o = schema.ConcatenationOptionsT()
    o.axis = axis
    return one_op("CONCATENATION", [act_t("x", shape, Q), *consts], act_t("y", tuple(out), Q), o,
                  schema.BuiltinOptions.ConcatenationOptions)  # fmt: skip


@pytest.mark.parametrize("axis", [3, -1, 1, 2])
@pytest.mark.parametrize("mode", ["tflm", "litert"])
def test_two_activations(axis, mode, tool, tmp_path):
    tool("gcc")
    model = concat_model(axis, extra=3, shape=(1, 3, 5, 3))
    x = random_input(model, 20, seed=2)
    got, want, _ = run_step(model, x, EMITTER, mode, tmp_path, op_index=1)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("axis", [1, 2, 3])
def test_constants_match_tflm(axis, tool, tmp_path):
    tool("gcc")
    model = with_constants(axis)
    x = random_input(model, 20, seed=axis)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])


@pytest.mark.parametrize("target", ["cortex-m0", "cortex-m4"])
def test_under_qemu(target, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    for axis, sizes in ((3, (4, 3)), (1, (2, 1))):  # rows of bytes; rows of 32-byte words
        model = with_constants(axis, shape=(1, 4, 4, 8), sizes=sizes)
        x = random_input(model, 4, seed=1)
        got, want, counts = run_step(model, x, EMITTER, "tflm", tmp_path / str(axis),
                                     target=target)  # fmt: skip
        np.testing.assert_array_equal(got, want, err_msg=str(axis))
        assert counts and len(counts) == len(x)
