"""The generated header on Cortex-M: the compile matrix (arm-none-eabi-gcc, -Os/-O2) and
on-target parity under QEMU (M4 with the DSP path and portable, M3, M0), byte for byte against
the Python interpreter and TFLM on real test images."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import tinyflash.runtime as rt
from tinyflash.export import reference
from tinyflash.firmware_c import toolchain as tc

ARM_TOOLS = ("arm-none-eabi-gcc", "arm-none-eabi-objdump")
MATRIX = [(t, o) for t in ("cortex-m0plus", "cortex-m4", "cortex-m7") for o in ("-Os", "-O2")]


@pytest.fixture(scope="module")
def arm_build(header, tool, driver_flags, tmp_path_factory):
    for name in ARM_TOOLS:
        tool(name)
    cache = {}

    def build(target: str, opt: str, portable: bool = False, rounding: str = "tflm", mode: int = 0):
        key = (target, opt, portable, rounding, mode)
        if key not in cache:
            out = tmp_path_factory.mktemp("elf") / f"driver-{target}{opt}.elf"
            extra = ("-DMNIST_PORTABLE",) if portable else ()
            cache[key] = tc.compile_arm(
                [tc.TARGET_DIR / "driver.c"],
                out,
                target,
                opt,
                ("-DBARE_METAL", *driver_flags(header(rounding=rounding), mode), *extra),
            )
        return cache[key]

    return build


@pytest.mark.parametrize(("target", "opt"), MATRIX)
def test_compiles_for_cortex_m(target, opt, arm_build):
    elf = arm_build(target, opt)
    asm = subprocess.run(
        ["arm-none-eabi-objdump", "-d", str(elf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    # The DSP fast path is compiled exactly where the core has the DSP extension.
    assert ("smlad" in asm) == tc.TARGETS[target].dsp
    assert tc.arm_size(elf)["text"] > 0


@pytest.mark.parametrize(
    ("target", "portable", "images"),
    [
        ("cortex-m4", False, 1000),
        ("cortex-m4", True, 1000),
        ("cortex-m0plus", False, 1000),
        ("cortex-m3", False, 300),
    ],
)
def test_qemu_bit_exact(
    target, portable, images, arm_build, fw_run, pixels, quantize_pixels, hostile, tool, tmp_path
):
    tool("qemu-system-arm")
    run_dir = fw_run()
    model_file = run_dir / "model_int8.tflite"
    x = np.concatenate([quantize_pixels(run_dir, pixels[:images]), hostile[:40]])
    (tmp_path / "inputs.bin").write_bytes(x.tobytes())
    result = tc.run_qemu(
        arm_build(target, "-O2", portable), target, cwd=tmp_path, timeout=120, count=True
    )
    assert result.returncode == 0, result.stdout
    assert f"records {len(x)}" in result.stdout
    # The plugin saw one calibration region and one region per inference.
    assert len(result.regions) == len(x) + 1
    c = np.fromfile(tmp_path / "outputs.bin", np.int8).reshape(-1, 10)
    np.testing.assert_array_equal(c, rt.load(model_file)(x))
    np.testing.assert_array_equal(c, reference.run_tflm(model_file, x))


def test_qemu_litert_rounding_dsp(
    arm_build, fw_run, pixels, quantize_pixels, hostile, tool, tmp_path
):
    """The litert (single rounding) header on the M4 DSP path, against LiteRT BUILTIN_REF."""
    tool("qemu-system-arm")
    model_file = fw_run() / "model_int8.tflite"
    x = np.concatenate([quantize_pixels(fw_run(), pixels[:300]), hostile[:40]])
    (tmp_path / "inputs.bin").write_bytes(x.tobytes())
    result = tc.run_qemu(
        arm_build("cortex-m4", "-O2", rounding="litert"), "cortex-m4", cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stdout
    c = np.fromfile(tmp_path / "outputs.bin", np.int8).reshape(-1, 10)
    np.testing.assert_array_equal(c, reference.run_litert(model_file, x, "reference"))


def test_qemu_float_header_cortex_m4(arm_build, fw_run, pixels, tool, tmp_path):
    """The float32 header on a hard-float Cortex-M4 against TFLite float."""
    from tinyflash.train.model import preprocess

    tool("qemu-system-arm")
    x = preprocess(pixels[:200].reshape(-1, 28, 28))
    (tmp_path / "inputs.bin").write_bytes(x.tobytes())
    result = tc.run_qemu(
        arm_build("cortex-m4", "-O2", mode=2), "cortex-m4", cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stdout
    c = np.fromfile(tmp_path / "outputs.bin", np.float32).reshape(-1, 10)
    real = reference.run_litert(fw_run() / "model_float32.tflite", x, "reference")
    # float32 sums in another order than TFLite's: equal within rounding noise.
    np.testing.assert_allclose(c, real, rtol=0, atol=1e-5)
