"""DEPTHWISE_CONV_2D as C (firmware_c/tfk_depthwise_conv_2d.c through emit/int8/
depthwise_conv_2d.py): every output byte equals tinyflash.runtime (both modes) and TFLM on the
runtime tests' single-operator models (depth multipliers 1, 2, 3, strides, SAME on odd sizes,
VALID, dilation, 5x5, per-tensor filters, fused activations) and on 3x3 layers that take the
fast path (in place, or through the scratch ring of padded rows), random and extreme inputs; the
same under QEMU on Cortex-M4 (DSP and portable) and Cortex-M0+."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "runtime"),
                str(Path(__file__).parents[1] / "runtime" / "ops")]  # fmt: skip

from runtime_testkit import random_input, tflm_tensors  # noqa: E402
from step_harness import C_DIR, build_step, step_header  # noqa: E402
from test_depthwise_conv_2d import CASES, FUSED, dw_model  # noqa: E402

import tinyflash.runtime as rt  # noqa: E402
from tinyflash.firmware_c import toolchain as tc  # noqa: E402
from tinyflash.firmware_c.emit.int8.depthwise_conv_2d import EMITTER, Layout  # noqa: E402
from tinyflash.runtime import fixedpoint as fp  # noqa: E402

FAST = {  # 3x3, multiplier 1, channels % 4 == 0: the fast path
    "fast_16": {"cin": 16},
    "fast_stride2_odd": {"cin": 8, "stride": (2, 2), "hw": (10, 9)},
    "fast_dilation2": {"cin": 8, "dilation": (2, 2), "hw": (11, 9)},
    "fast_valid": {"cin": 12, "padding": "VALID", "hw": (6, 5)},
    "fast_tiny": {"cin": 4, "hw": (2, 3)},  # no pixel has all 9 taps inside
    "fast_valid_stride2_dilation2": {
        "cin": 8,
        "padding": "VALID",
        "hw": (12, 11),
        "stride": (2, 2),
        "dilation": (2, 2),
    },
    "fast_dilation3_same": {"cin": 4, "dilation": (3, 3), "hw": (10, 8)},  # ring slot = ky
    "fast_dilation4_one_row": {"cin": 4, "dilation": (4, 4), "hw": (1, 6)},  # rows from -4
    "fast_ds_cnn_like": {"cin": 64, "hw": (25, 5), "fused": "RELU"},
}
PORTABLE = "-DTK__USE_DSP=0"


def run_dw(model: bytes, x: np.ndarray, mode: str, work: Path, target: str | None = None,
           opt: str = "-O2", cc: str = "gcc", flags: tuple[str, ...] = ()):  # fmt: skip
    """(got, want, counts): the emitted step compiled with c/depthwise_check.c (scratch after
    the output, exempt from the untouched-bytes check) against tinyflash.runtime."""
    work.mkdir(parents=True, exist_ok=True)
    m = rt.load(model, rounding=mode)
    step, slots = build_step(m)
    end = max(s.offset + s.nbytes for s in slots.values() if s.kind == "arena")
    scratch = {0: end} if EMITTER.scratch_bytes(step, slots) else {}
    text = step_header(step, slots, EMITTER, mode, scratch)
    (work / "step.h").write_text(text + f"#define DW_SCRATCH_OFFSET {end}u\n")
    (work / "inputs.bin").write_bytes(np.ascontiguousarray(x).tobytes())
    want = m(x)
    inc = (f"-I{work}", f"-I{C_DIR}", *flags)
    counts = None
    if target is None:
        exe = tc.compile_host([C_DIR / "depthwise_check.c"], work / "dw", cc=cc, opt=opt,
                              flags=inc)  # fmt: skip
        proc = subprocess.run([str(exe)], cwd=work, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr}"
    else:
        elf = tc.compile_arm([C_DIR / "depthwise_check.c"], work / "dw.elf", target, opt=opt,
                             flags=(*inc, "-DBARE_METAL"))  # fmt: skip
        res = tc.run_qemu(elf, target, cwd=work, count=True, timeout=300)
        assert res.returncode == 0, f"exit {res.returncode}: {res.stdout}"
        counts = res.regions
    got = np.frombuffer((work / "outputs.bin").read_bytes(), np.int8).reshape(want.shape)
    return got, want, counts


@pytest.mark.parametrize("case", [*CASES, *FAST])
def test_matches_runtime_both_modes(case, tool, tmp_path):
    tool("gcc")
    model = dw_model(**{**CASES, **FAST}[case])
    x = random_input(model, 10, seed=5)
    for mode in ("tflm", "litert"):
        got, want, _ = run_dw(model, x, mode, tmp_path / mode)
        np.testing.assert_array_equal(got, want, err_msg=mode)


@pytest.mark.parametrize("fused", list(FUSED))
def test_fused_activations(fused, tool, tmp_path):
    tool("gcc")
    for name, kw in (("generic", {"mult": 2, "stride": (2, 2)}), ("fast", {"cin": 8})):
        model = dw_model(fused=fused, **kw)
        got, want, _ = run_dw(model, random_input(model, 10, seed=1), "tflm", tmp_path / name)
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_matches_tflm(tool, tmp_path):
    tool("clang")
    for name, kw in (("fast", FAST["fast_stride2_odd"]), ("generic", CASES["multiplier_2"])):
        model = dw_model(fused="RELU6", **kw)
        x = random_input(model, 12, seed=8)
        got, _, _ = run_dw(model, x, "tflm", tmp_path / name, cc="clang", opt="-Os")
        np.testing.assert_array_equal(got, tflm_tensors(model, x)["y"], err_msg=name)


def test_split_multiply_on_host(tool, tmp_path):
    """The Thumb-1 high multiply (tfk_fixedpoint.c, four 16 x 16 products), forced on the host:
    same bytes."""
    tool("gcc")
    for name in ("fast_ds_cnn_like", "fast_stride2_odd"):
        model = dw_model(**FAST[name])
        x = random_input(model, 6, seed=9)
        got, want, _ = run_dw(model, x, "tflm", tmp_path / name, flags=("-DTFK_HIGH_MUL16=1",))
        np.testing.assert_array_equal(got, want, err_msg=name)


@pytest.mark.parametrize(
    "target, flags",
    [("cortex-m4", ()), ("cortex-m4", (PORTABLE,)), ("cortex-m0plus", ())],
    ids=["m4_dsp", "m4_portable", "m0plus"],
)
def test_under_qemu(target, flags, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    for name, kw in (("fast", {"cin": 16, "hw": (7, 6), "stride": (2, 1), "fused": "RELU6"}),
                     ("generic", CASES["multiplier_2_stride2_same_odd"])):  # fmt: skip
        model = dw_model(**kw)
        x = random_input(model, 4, seed=2)
        got, want, counts = run_dw(model, x, "tflm", tmp_path / name, target=target, flags=flags)
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {target} {flags}")
        assert counts and len(counts) == len(x)


def test_fast_path_chosen_by_shape():
    """The 3x3 / multiplier 1 / channels % 4 layers take the fast path, with a scratch ring of 3
    padded rows when the input is padded; the others the generic loop, without scratch."""

    def layout(**kw) -> Layout:
        m = rt.load(dw_model(**kw))
        return Layout(build_step(m)[0])

    ds = layout(**FAST["fast_ds_cnn_like"])
    assert ds.fast and ds.pad_w == 7 and ds.scratch == 3 * 7 * 64
    s2 = layout(cin=8, stride=(2, 2), hw=(10, 9))  # SAME, width 9: 1 pixel before, 1 after
    assert s2.fast and s2.pad_w == 11 and s2.scratch == 3 * 11 * 8
    valid = layout(**FAST["fast_valid"])
    assert valid.fast and valid.scratch == 0
    for kw in (CASES["multiplier_2"], CASES["5x5"] | {"cin": 6}, {"cin": 6}):
        lay = layout(**kw)
        assert not lay.fast and lay.scratch == 0


def test_requantization_identities_match_runtime():
    """The kernel's requantization (one rounded high multiply of acc * 2^(left + 1), then
    (2 s + H + sign) >> (e + 1), the output offset folded into H) equals TFLite's
    MultiplyByQuantizedMultiplier + zero point in double rounding, ties included."""
    rng = np.random.default_rng(4)
    n = 200_000
    shift = rng.integers(-29, 4, n)
    left, e = np.maximum(shift, 0), np.maximum(-shift, 0)
    m = rng.integers(2**30, 2**31, n)
    acc = rng.integers(-(2**29), 2**29, n) >> (left + 1)
    acc[:1000] = (2 * rng.integers(-1000, 1000, 1000) + 1) << np.minimum(e[:1000], 20)  # ties
    acc[:1000] >>= left[:1000] + 1
    zp = rng.integers(-128, 128, n)
    want = fp.multiply_by_quantized_multiplier(acc, m, shift, "tflm") + zp + 128
    s = (((acc << (left + 1)) * m + 2**31) >> 32).astype(np.int64)
    h = (1 << e) + ((zp + 128) << (e + 1))
    np.testing.assert_array_equal((2 * s + h + (s >> 63)) >> (e + 1), want)
