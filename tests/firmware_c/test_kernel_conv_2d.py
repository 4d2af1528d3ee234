"""CONV_2D int8 in C (firmware_c/tfk_conv_2d.c + emit/int8/conv_2d.py), one step at a time:
every output byte of the emitted C against tinyflash.runtime in both rounding modes, and against
TFLM's interpreter and ai-edge-litert BUILTIN_REF, on random rows plus all -128 and all 127. The
portable path on the host (gcc, ASan + UBSan), the Cortex-M4 DSP and portable paths and the
Cortex-M3 and M0 paths under QEMU; the requantization alone on 30,000 edge and random values.
Cases: SAME / VALID, strides (also asymmetric), dilation, 1x1 in place and through a patch, odd
sizes and channel counts, K from 4 to 1170, per-tensor weights, every fused activation."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

import tinyflash.runtime as rt
from tinyflash.firmware_c import toolchain as tc
from tinyflash.firmware_c.cformat import INT8_SOURCES, kernel_source
from tinyflash.firmware_c.emit.base import Context, Step, TensorSlot
from tinyflash.firmware_c.emit.int8 import conv_2d
from tinyflash.runtime import fixedpoint as fp
from tinyflash.runtime.errors import UnsupportedOperatorError

sys.path.insert(0, str(Path(__file__).parents[1] / "runtime"))
from runtime_testkit import act_t, bias_t, filter_t, litert_tensors, one_op, tflm_tensors  # noqa: E402

C_DIR = Path(__file__).parent / "c"
PREFIX = "ck"
FUSED = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def conv_model(hw=(9, 7), cin=3, cout=5, k=(3, 3), stride=(1, 1), dilation=(1, 1),
               padding="SAME", fused="NONE", per_channel=True, out_scale=None,
               seed=0, dtype="int8") -> bytes:  # fmt: skip
    """A one-CONV_2D int8 .tflite (the runtime's own test builder, tests/runtime/ops).
    out_scale: the output scale (default: about the accumulator's spread, so requantization
    shifts right); a small one gives multipliers above 1/2 and 1 (shift 0, left shifts)."""
    rng = np.random.default_rng(seed)
    o = schema.Conv2DOptionsT()
    o.padding, o.fusedActivationFunction = {"SAME": 0, "VALID": 1}[padding], FUSED[fused]
    o.strideH, o.strideW = stride
    o.dilationHFactor, o.dilationWFactor = dilation
    eh, ew = (k[0] - 1) * dilation[0] + 1, (k[1] - 1) * dilation[1] + 1
    if padding == "SAME":
        out_hw = (math.ceil(hw[0] / stride[0]), math.ceil(hw[1] / stride[1]))
    else:
        out_hw = ((hw[0] - eh) // stride[0] + 1, (hw[1] - ew) // stride[1] + 1)
    w = filter_t(rng, "w", (cout, *k, cin), 0, per_channel, dtype)
    b = bias_t(rng, "b", 0.023, w)
    y_scale = out_scale or 0.0035 * math.sqrt(k[0] * k[1] * cin) * 3
    int8 = dtype == "int8"
    x = act_t("x", (1, *hw, cin), (0.023, -9) if int8 else None)
    y = act_t("y", (1, *out_hw, cout), (y_scale, 7) if int8 else None)
    return one_op("CONV_2D", [x, w, b], y, o, schema.BuiltinOptions.Conv2DOptions)


def _ceil16(n: int) -> int:
    return -(-n // 16) * 16


def case_header(model: bytes, rounding: str, indirect: bool = False) -> tuple[str, int, int]:
    """The C text of one CONV_2D step on a hand-made arena (input at 0, output after it, the
    scratch last), as the planner would lay it out -> (text, input bytes, output bytes).
    indirect: call the kernel through a volatile function pointer, so that the compiler cannot
    specialise it to this one layer's constants (as in a header with several convolutions)."""
    m = rt.load(model, rounding=rounding)
    op, prm = m.graph.operators[0], m.params[0]
    x_t, y_t = m.graph.tensors[op.inputs[0]], m.graph.tensors[op.outputs[0]]
    n_in, n_out = int(np.prod(x_t.shape)), int(np.prod(y_t.shape))
    tensors = {
        op.inputs[0]: TensorSlot(op.inputs[0], "x", tuple(x_t.shape), "int8", "arena", 0,
                                 _ceil16(n_in), x_t.quant.scale[0], x_t.quant.zero_point[0]),
        op.outputs[0]: TensorSlot(op.outputs[0], "y", tuple(y_t.shape), "int8", "arena",
                                  _ceil16(n_in), _ceil16(n_out)),
    }  # fmt: skip
    step = Step(0, "CONV_2D", "s0", tuple(op.inputs), tuple(op.outputs), prm, op.options)
    conv_2d.EMITTER.check(step)
    scratch_at = _ceil16(n_in) + _ceil16(n_out)
    scratch = conv_2d.EMITTER.scratch_bytes(step, tensors)
    ctx = Context(p=PREFIX, tensors=tensors, scratch={0: scratch_at}, rounding=rounding)
    em = conv_2d.EMITTER.emit(step, ctx)
    call = em.call
    if indirect:
        kernel = f"{PREFIX}__conv_2d"
        call = (
            f"  void (*volatile kernel)(const {kernel}_params *, const uint8_t *, uint8_t *,"
            f" uint8_t *) = {kernel};\n" + em.call.replace(f"{kernel}(", "kernel(")
        )
    P = PREFIX.upper()
    text = (
        f"#define {P}__FN static __attribute__((unused))\n"
        f"#define {P}__ALIGN8 __attribute__((aligned(8)))\n"
        f"#define {P}__ROUNDING_SINGLE {int(rounding == 'litert')}\n"
        "#ifdef CASE_PORTABLE\n#define CK__USE_DSP 0\n#endif\n"
        # Every int8 kernel, as a header inlines them: also proves no private name clashes.
        + kernel_source((*INT8_SOURCES, "tfk_conv_2d.c"), PREFIX)
        + em.constants
        + f"\n#define CASE_IN_SIZE {n_in}u\n#define CASE_OUT_SIZE {n_out}u\n"
        f"#define CASE_IN_OFFSET 0u\n#define CASE_OUT_OFFSET {_ceil16(n_in)}u\n"
        f"#define CASE_ARENA_SIZE {scratch_at + scratch}u\n"
        f"static void case_forward(uint8_t *arena) {{\n{call}\n}}\n"
    )
    return text, n_in, n_out


def inputs(model: bytes, n: int, seed: int = 0) -> np.ndarray:
    """(n, *input shape) int8: random rows, the first all -128, the second all 127."""
    shape = rt.load(model).input.shape
    x = np.random.default_rng(seed).integers(-128, 128, (n, *shape)).astype(np.int8)
    x[0], x[1] = -128, 127
    return x


def run_c(model: bytes, x: np.ndarray, rounding: str, folder: Path, target: str | None = None,
          portable: bool = False, count: bool = False,
          sanitize: bool = False) -> tuple[np.ndarray, list[int]]:  # fmt: skip
    """Outputs (n, out bytes) int8 of the emitted C on the host (target None; sanitize: with
    ASan + UBSan; the kernel specialised to the layer) or under QEMU (the kernel called through
    a pointer, as in a multi-layer header), and the instruction counts per record (count=True,
    calibration subtracted)."""
    folder.mkdir(parents=True, exist_ok=True)
    text, _, n_out = case_header(model, rounding, indirect=target is not None)
    (folder / "case.h").write_text(text)
    flags = (f"-I{folder}", '-DCASE_HEADER="case.h"', *(("-DCASE_PORTABLE",) if portable else ()))
    (folder / "inputs.bin").write_bytes(x.tobytes())
    regions: list[int] = []
    if target is None:
        # ASan + UBSan: the arena is exactly what the planner would give (a write past the
        # step's scratch or output is a global-buffer-overflow), every shift and cast checked.
        checks = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all") if sanitize else ()
        exe = tc.compile_host(
            [C_DIR / "conv_2d_check.c"], folder / "check", flags=(*flags, *checks)
        )
        proc = subprocess.run([str(exe)], cwd=folder, capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    else:
        elf = tc.compile_arm([C_DIR / "conv_2d_check.c"], folder / "check.elf", target,
                             flags=("-DBARE_METAL", *flags))  # fmt: skip
        res = tc.run_qemu(elf, target, cwd=folder, count=count, timeout=300)
        assert res.returncode == 0, res.stdout[-500:]
        if count:
            regions = [r - res.regions[0] for r in res.regions[1:]]
    out = np.fromfile(folder / "outputs.bin", np.int8).reshape(len(x), n_out)
    return out, regions


CASES = {
    "same_3x3_odd": {},  # 9x7 -> 63 pixels: the DSP path's odd last pixel
    "stride2_same_odd": {"stride": (2, 2)},
    "stride2_valid": {"stride": (2, 2), "padding": "VALID", "cin": 4, "cout": 6},
    "dilation2_same": {"dilation": (2, 2)},
    "dilation2_valid": {"dilation": (2, 2), "padding": "VALID", "hw": (11, 9)},
    "dilation2_words": {"dilation": (1, 2), "cin": 8, "cout": 6},  # DSP: word patches per tap
    "1x1_in_place": {"k": (1, 1), "cin": 16, "cout": 8},  # the portable path reads x in place
    "1x1_stride2_in_place": {"k": (1, 1), "stride": (2, 2), "cin": 32, "cout": 7},
    "1x1_patch": {"k": (1, 1), "cin": 8, "cout": 4},
    "10x4_stride2_dscnn": {"k": (10, 4), "stride": (2, 2), "hw": (49, 10), "cin": 1, "cout": 8},
    "asymmetric": {"stride": (2, 1), "k": (3, 2), "dilation": (1, 2), "cout": 1},
    "per_tensor": {"per_channel": False, "cin": 16, "cout": 16},
    "wide_k": {"cin": 130, "cout": 4, "hw": (3, 3)},  # K = 1170: long rows, an 8-input tail
    "relu": {"fused": "RELU", "stride": (2, 2)},
    "relu6": {"fused": "RELU6", "cout": 9},
    "relu_n1_to_1": {"fused": "RELU_N1_TO_1"},
    # in_scale * w_scale / out_scale from 0.2 to 1.8 (shifts -2..1), and 5 to 40 (left shifts)
    "shift_around_0": {"out_scale": 2.5e-4, "cin": 8, "cout": 16},
    "left_shift": {"out_scale": 1e-5, "k": (1, 1), "cin": 4, "cout": 16},
}


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    return {name: conv_model(**kw, seed=i) for i, (name, kw) in enumerate(CASES.items())}


@pytest.mark.parametrize("case", list(CASES))
def test_host_portable_matches_runtime_both_roundings(case, models, tool, tmp_path):
    tool("gcc")
    model = models[case]
    x = inputs(model, 12)
    for rounding in ("tflm", "litert"):
        got, _ = run_c(model, x, rounding, tmp_path / rounding, sanitize=rounding == "tflm")
        want = rt.load(model, rounding=rounding)(x).reshape(len(x), -1)
        np.testing.assert_array_equal(got, want, err_msg=f"{case} {rounding}")


def _step(model: bytes) -> Step:
    m = rt.load(model)
    op = m.graph.operators[0]
    return Step(0, "CONV_2D", "s0", tuple(op.inputs), tuple(op.outputs), m.params[0], op.options)


def test_refusals_say_expected_found_supported():
    with pytest.raises(UnsupportedOperatorError, match="expected an int8 CONV_2D, found float32"):
        conv_2d.EMITTER.check(_step(conv_model(dtype="float32")))
    # K = 3 * 3 * 3670 = 33,030: 255 * 255 * K no longer fits the int32 accumulator
    with pytest.raises(UnsupportedOperatorError, match="may overflow the int32 accumulator"):
        conv_2d.EMITTER.check(_step(conv_model(hw=(3, 3), cin=3670, cout=1, padding="VALID")))


def test_requantization_matches_runtime_fixedpoint(tool, tmp_path):
    """The kernel's one-multiply double rounding (tfk__conv_2d_mbqm, and the branch-free form of
    its right shifts) against the runtime's MultiplyByQuantizedMultiplier ("tflm"), on edge and
    random accumulators, every shift."""
    tool("gcc")
    rng = np.random.default_rng(13)
    n = 30000
    edges = np.array([-(2**31), -(2**31) + 1, -(2**30), -1, 0, 1, 2**30, 2**31 - 1], np.int64)
    acc = np.concatenate([edges, rng.integers(-(2**31), 2**31, n - len(edges))])
    acc[n // 2 :] >>= rng.integers(0, 31, n - n // 2)  # small values too: ties, signs
    m = np.where(rng.random(n) < 0.02, 0, rng.integers(2**30, 2**31, n))
    m[:300] = rng.choice([2**30, 2**31 - 1], 300)
    shift = rng.integers(-31, 31, n)
    acc >>= np.maximum(shift, 0)  # acc * 2^shift fits int32 (TFLite's contract)
    records = np.stack([acc, m, shift], axis=1).astype(np.int32)
    (tmp_path / "case.h").write_text(
        "#define CK__FN static __attribute__((unused))\n"
        + kernel_source((*INT8_SOURCES, "tfk_conv_2d.c"), PREFIX)
    )
    want = fp.multiply_by_quantized_multiplier(acc, m, shift, "tflm")
    # native 64-bit products, and the 16 x 16 form Cortex-M0 builds use
    for form in ((), ("-DCK__CONV_2D_HIGH16",)):
        flags = (f"-I{tmp_path}", '-DCASE_HEADER="case.h"', "-DMBQM_CHECK", *form)
        exe = tc.compile_host([C_DIR / "conv_2d_check.c"], tmp_path / "mbqm", flags=flags)
        proc = subprocess.run([str(exe)], input=records.tobytes(), capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        got = np.frombuffer(proc.stdout, np.int32).reshape(n, 2)
        np.testing.assert_array_equal(got[:, 0], want, err_msg=str(form))
        np.testing.assert_array_equal(got[:, 1], want, err_msg=f"right-shift loop {form}")


def test_host_matches_tflm_and_litert(models, tool, tmp_path):
    """Once against TFLM's own interpreter and ai-edge-litert BUILTIN_REF directly (the
    runtime's tests pin the runtime to both on these builders)."""
    tool("gcc")
    for case in ("stride2_same_odd", "dilation2_valid", "1x1_in_place", "shift_around_0"):
        x = inputs(models[case], 6, seed=3)
        for rounding, reference in (("tflm", tflm_tensors), ("litert", litert_tensors)):
            got, _ = run_c(models[case], x, rounding, tmp_path / case / rounding)
            want = reference(models[case], x)["y"].reshape(len(x), -1)
            np.testing.assert_array_equal(got, want, err_msg=f"{case} {rounding}")


QEMU_CASES = [
    "same_3x3_odd",
    "dilation2_valid",
    "dilation2_words",
    "1x1_stride2_in_place",
    "asymmetric",
    "per_tensor",
    "wide_k",
    "relu6",
    "shift_around_0",
    "left_shift",
]


@pytest.mark.parametrize(
    ("target", "portable"),
    [("cortex-m4", False), ("cortex-m4", True), ("cortex-m3", False), ("cortex-m0", False)],
)
def test_qemu_matches_runtime(target, portable, models, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    for case in QEMU_CASES:
        model = models[case]
        x = inputs(model, 4, seed=5)
        rounding = "litert" if case == "relu6" else "tflm"
        got, _ = run_c(model, x, rounding, tmp_path / case, target, portable)
        want = rt.load(model, rounding=rounding)(x).reshape(len(x), -1)
        np.testing.assert_array_equal(got, want, err_msg=f"{case} {target} portable={portable}")
