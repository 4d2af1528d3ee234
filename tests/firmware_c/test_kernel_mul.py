"""MUL as C (firmware_c/tfk_mul.c through emit/int8/mul.py): every output byte equals
tinyflash.runtime (both modes) and TFLM on the runtime tests' single-operator models (equal
shapes, per-channel, per-pixel and lower-rank constants), multipliers above and far below 1,
fused activations, an activation times itself in place; QEMU on Cortex-M0 and M4."""

import sys
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from runtime_testkit import FUSED, binary_model, random_input, tflm_tensors, two_input_model  # noqa: E402, I001
from step_harness import run_step  # noqa: E402
from test_mul import CASES  # noqa: E402

from tinyflash.firmware_c.emit.int8.mul import EMITTER  # noqa: E402

# (qy) output quantizations: multiplier 0.013, 6.5 (shift 3) and 1e-5 (shift -16).
OUTPUTS = {"below_one": (0.05, 4), "above_one": (0.0001, -3), "tiny": (65.0, 0)}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["tflm", "litert"])
def test_matches_runtime(case, mode, tool, tmp_path):
    tool("gcc")
    model = binary_model("MUL", *CASES[case], qy=(0.05, 4))
    x = random_input(model, 50, seed=6)
    got, want, _ = run_step(model, x, EMITTER, mode, tmp_path)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("qy", list(OUTPUTS))
def test_multipliers_match_tflm(qy, tool, tmp_path):
    tool("gcc")
    model = binary_model("MUL", (1, 3, 5, 7), (7,), qy=OUTPUTS[qy])
    x = random_input(model, 50, seed=3)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])


@pytest.mark.parametrize("fused", list(FUSED))
def test_fused_in_place(fused, tool, tmp_path):
    tool("gcc")
    model = binary_model("MUL", (1, 3, 3, 4), (1, 3, 3, 4), qy=(0.03, -7), fused=fused)
    x = random_input(model, 50, seed=2)
    got, want, _ = run_step(model, x, EMITTER, "litert", tmp_path, in_place=True)
    np.testing.assert_array_equal(got, want)


def test_square_of_an_activation(tool, tmp_path):
    tool("clang")
    model = two_input_model("MUL", (1, 4, 4, 8), (0.05, -3), (0.05, -3), (0.2, -100))
    x = random_input(model, 50)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path, op_index=1, in_place=True,
                            cc="clang", opt="-Os")  # fmt: skip
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("target", ["cortex-m0", "cortex-m4"])
def test_under_qemu(target, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    model = binary_model("MUL", (1, 4, 4, 8), (8,), qy=OUTPUTS["above_one"])
    x = random_input(model, 8, seed=1)
    got, want, counts = run_step(model, x, EMITTER, "tflm", tmp_path, target=target)
    np.testing.assert_array_equal(got, want)
    assert counts and len(counts) == len(x)


def constant_first(shape=(1, 3, 4, 5), const_shape=(5,)):
    """y = constant MUL x: the constant is input 1, the activation input 2."""
    m = schema.ModelT.InitFromPackedBuf(bytearray(binary_model("MUL", shape, const_shape)), 0)
    sub = m.subgraphs[0]
    sub.operators[0].inputs = [1, 0]
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_constant_first_matches_tflm(tool, tmp_path):
    tool("gcc")
    model = constant_first()
    x = random_input(model, 30, seed=5)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])


def test_both_inputs_broadcast_match_tflm(tool, tmp_path):
    """(1, 5, 1, 6) * (1, 1, 4, 1) -> (1, 5, 4, 6): both inputs step 0 along some axis."""
    tool("gcc")
    model = binary_model("MUL", (1, 5, 1, 6), (1, 1, 4, 1), qy=(0.05, 4))
    x = random_input(model, 30, seed=8)
    got, want, _ = run_step(model, x, EMITTER, "tflm", tmp_path)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"])
