"""The hand-written C kernels (firmware_c/tfk_*.c) as C: strict warnings with every compiler
and core, and the fixed-point helpers and SOFTMAX against tinyflash.runtime's Python twins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinyflash.firmware_c import toolchain as tc
from tinyflash.runtime import fixedpoint as fp
from tinyflash.runtime.ops.softmax import SoftmaxInt8, exp_table, softmax_int8

SOURCES = sorted(p.name for p in tc.HERE.glob("tfk_*.c"))
C_DIR = Path(__file__).parent / "c"
ROUNDING_FLAG = {"tflm": "-DTFK_ROUNDING_SINGLE=0", "litert": "-DTFK_ROUNDING_SINGLE=1"}


def _compile_only(cc: list[str], source: str, tmp_path: Path, flags: tuple[str, ...]) -> None:
    cmd = [*cc, *tc.STRICT_C99, *flags, "-c", str(tc.HERE / source), "-o", str(tmp_path / "k.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_sources_compile_strict_on_host(cc, rounding, tool, tmp_path):
    tool(cc)
    for source in SOURCES:
        _compile_only([cc], source, tmp_path, ("-O2", ROUNDING_FLAG[rounding]))


@pytest.mark.parametrize("target", ["cortex-m0plus", "cortex-m4", "cortex-m7"])
@pytest.mark.parametrize("opt", ["-Os", "-O2"])
def test_sources_compile_strict_for_cortex_m(target, opt, tool, tmp_path):
    tool("arm-none-eabi-gcc")
    cc = ["arm-none-eabi-gcc", "-mthumb", *tc.TARGETS[target].cpu_flags]
    for source in SOURCES:
        _compile_only(cc, source, tmp_path, (opt,))


def _run_check(program: str, tmp_path: Path, records: bytes, flags: tuple[str, ...]) -> bytes:
    exe = tc.compile_host([C_DIR / program], tmp_path / "check", flags=(f"-I{tc.HERE}", *flags))
    proc = subprocess.run([str(exe)], input=records, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _edge_int32(rng: np.random.Generator, n: int) -> np.ndarray:
    edges = np.array([-(2**31), -(2**31) + 1, -(2**30), -1, 0, 1, 2**30, 2**31 - 1], np.int64)
    return np.concatenate([edges, rng.integers(-(2**31), 2**31, n - len(edges))])


@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_fixedpoint_matches_runtime(rounding, tool, tmp_path):
    tool("gcc")
    rng = np.random.default_rng(11)
    n = 20000
    a, b = _edge_int32(rng, n), rng.permutation(_edge_int32(rng, n))
    exponent = rng.integers(0, 32, n)
    m = np.where(rng.random(n) < 0.02, 0, rng.integers(2**30, 2**31, n))
    shift = rng.integers(-31, 31, n)
    # x * 2^shift must fit int32 for left shifts (TFLite's contract, asserted by both sides).
    x = _edge_int32(rng, n) >> np.maximum(shift, 0)
    records = np.stack([a, b, x, exponent, m, shift], axis=1).astype(np.int32)
    out = np.frombuffer(
        _run_check("fixedpoint_check.c", tmp_path, records.tobytes(), (ROUNDING_FLAG[rounding],)),
        np.int32,
    ).reshape(n, 3)
    np.testing.assert_array_equal(out[:, 0], fp.saturating_rounding_doubling_high_mul(a, b))
    np.testing.assert_array_equal(out[:, 1], fp.rounding_divide_by_pot(x, exponent))
    np.testing.assert_array_equal(
        out[:, 2], fp.multiply_by_quantized_multiplier(x, m, shift, rounding)
    )


@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_softmax_matches_runtime(rounding, tool, tmp_path):
    """Random rows and input scales/betas; the constants come from the runtime's fixedpoint
    exactly as ops/softmax.py prepare() derives them."""
    tool("gcc")
    rng = np.random.default_rng(3)
    records, expected = [], []
    for _ in range(400):
        scale = float(np.float32(10 ** rng.uniform(-3, 0)))
        beta = float(np.float32(rng.choice([1.0, 0.5, 2.0])))
        cap = (2.0**30 - 1.0) if rounding == "litert" else (2.0**31 - 1.0)
        m, shift = fp.quantize_multiplier_greater_than_one(
            min(beta * scale * 2.0**26, cap), rounding
        )
        diff_min = -fp.calculate_input_radius(5, shift, 31)
        q = rng.integers(-128, 128, (8, 16)).astype(np.int8)
        q[0] = 127
        q[1] = -128
        q[2, :8] = 127
        table = exp_table(m, shift, diff_min, rounding)
        expected.append(softmax_int8(q, SoftmaxInt8(beta, m, shift, diff_min, rounding, table)))
        head = np.array([m, shift, diff_min], np.int32).tobytes()
        records.extend(head + row.tobytes() for row in q)
    out = _run_check("softmax_check.c", tmp_path, b"".join(records), (ROUNDING_FLAG[rounding],))
    np.testing.assert_array_equal(
        np.frombuffer(out, np.int8).reshape(-1, 16), np.concatenate(expected)
    )


def test_cppcheck_finds_nothing(tool, header):
    """Static analysis of the kernel sources and of a generated header's implementation."""
    tool("cppcheck")
    base = [
        "cppcheck",
        "--enable=warning,portability,performance",
        "--std=c99",
        "--error-exitcode=1",
        "--quiet",
        f"-I{tc.HERE}",
    ]
    for args in (
        [str(tc.HERE / s) for s in SOURCES],
        ["-DMNIST_IMPLEMENTATION", str(header() / "mnist_model.h")],
    ):
        proc = subprocess.run([*base, *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
