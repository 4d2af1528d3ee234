"""Whole convolutional graphs on emulated Cortex-M cores: the generated header run under QEMU
(semihosting carries inputs, outputs and the exit code), byte for byte against TFLM's
interpreter (tflm) or litert BUILTIN_REF (litert) and tinyflash.runtime.

Cores: M4 with the DSP (SMLAD) path and with <P>_PORTABLE, M3, and ARMv6-M (M0+) code; the
M0+ code runs on the M3 board, whose 4 MiB of RAM holds these models' arenas and inputs (the
micro:bit's 16 KiB does not). 100 inputs per model on the M4 DSP path; the slow cores run
fewer on the two largest models (bench/ runs more).
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyflash.runtime as rt
from tinyflash.export import reference
from tinyflash.firmware_c import toolchain as tc
from tinyflash.firmware_c.header import header_text

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

LARGE = ("mobilenet_v1_025", "resnet8")
CONFIGS = [  # (core, portable, rounding)
    ("cortex-m4", False, "tflm"),
    ("cortex-m4", True, "tflm"),
    ("cortex-m4", False, "litert"),
    ("cortex-m3", False, "tflm"),
    ("cortex-m0plus-mps2", False, "tflm"),
]


def _elf(model, work, core: str, portable: bool, rounding: str):
    work.mkdir(parents=True, exist_ok=True)
    (work / "m_model.h").write_text(header_text(model.read_bytes(), model.name, "m", rounding))
    flags = ("-DBARE_METAL", f"-I{work}", '-DMODEL_HEADER="m_model.h"', "-DMODEL_PREFIX=m",
             "-DMODEL_PREFIX_UPPER=M", "-DM_IMPLEMENTATION", "-DDRIVER_MODE=0",
             *(("-DM_PORTABLE",) if portable else ()))  # fmt: skip
    return tc.compile_arm([tc.TARGET_DIR / "driver.c"], work / "driver.elf", core, "-O2", flags)


@pytest.mark.parametrize(("core", "portable", "rounding"), CONFIGS)
@pytest.mark.parametrize("name", ["ds_cnn", "mobilenet_v1_025", "resnet8", "mixed"])
def test_qemu_graph_bit_exact(name, core, portable, rounding, cnn_models, tool, tmp_path):
    for t in ("arm-none-eabi-gcc", "qemu-system-arm"):
        tool(t)
    model = cnn_models[name]["int8"]
    fast = core == "cortex-m4" and not portable and rounding == "tflm"
    n = 100 if fast or name not in LARGE else 25
    x = np.random.default_rng(7).integers(-128, 128, (n, *cnn_models[name]["shape"]))
    x = x.astype(np.int8)
    x[0], x[1] = -128, 127
    elf = _elf(model, tmp_path, core, portable, rounding)
    (tmp_path / "inputs.bin").write_bytes(x.tobytes())
    result = tc.run_qemu(elf, core, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout
    assert f"records {n}" in result.stdout
    c = np.fromfile(tmp_path / "outputs.bin", np.int8).reshape(n, -1)
    np.testing.assert_array_equal(c, rt.load(model, rounding=rounding)(x).reshape(n, -1))
    want = reference.run_tflm(model, x) if rounding == "tflm" else (
        reference.run_litert(model, x, "reference"))  # fmt: skip
    np.testing.assert_array_equal(c, want.reshape(n, -1))


@pytest.mark.parametrize("opt", ["-Os", "-O2"])
@pytest.mark.parametrize("core", ["cortex-m0plus-mps2", "cortex-m4", "cortex-m7"])
def test_graph_headers_compile_strict_for_every_core(core, opt, cnn_models, tool, tmp_path):
    """The strict flags (-std=c99 -Wall -Wextra -Werror -pedantic ...) on every kernel a
    convolutional graph pulls in, portable and DSP."""
    tool("arm-none-eabi-gcc")
    for name in ("mixed", "ds_cnn"):
        model = cnn_models[name]["int8"]
        (tmp_path / "m_model.h").write_text(header_text(model.read_bytes(), model.name, "m"))
        flags = ("-DBARE_METAL", f"-I{tmp_path}", '-DMODEL_HEADER="m_model.h"',
                 "-DMODEL_PREFIX=m", "-DMODEL_PREFIX_UPPER=M", "-DM_IMPLEMENTATION",
                 "-DDRIVER_MODE=0")  # fmt: skip
        tc.compile_arm([tc.TARGET_DIR / "driver.c"], tmp_path / f"{name}.elf", core, opt, flags)


def test_inference_code_of_the_largest_model_within_8_kb(cnn_models, tool, tmp_path):
    """The issue's budget: inference code (without constants) at most 8 KB at -Os, measured by
    linking (firmware_c.footprint) for MobileNetV1 0.25, the model with the most kernels."""
    from tinyflash.firmware_c import footprint

    for t in ("arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm"):
        tool(t)
    model = cnn_models["mobilenet_v1_025"]["int8"]
    (tmp_path / "m_model.h").write_text(header_text(model.read_bytes(), model.name, "m"))
    rows = footprint.measure(tmp_path / "m_model.h", "m", tmp_path, ("cortex-m0plus", "cortex-m4"),
                             ("-Os",))  # fmt: skip
    for row in rows:
        assert 0 < row["code"] <= 8192, row
        assert row["constants"] > 0 and row["arena_bss"] > 0, row
