"""The user-facing examples build and run: the QEMU MPS2 bare-metal example with its one
command, and the CMake host project."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np

from tinyflash.firmware_c import toolchain as tc

EXAMPLES = tc.HERE / "examples"


def test_qemu_example_one_command(fw_run, tool, tmp_path, mnist):
    for name in ("make", "arm-none-eabi-gcc", "qemu-system-arm"):
        tool(name)
    proc = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(EXAMPLES / "qemu_mps2"),
            "run",
            f"RUN_DIR={fw_run()}",
            f"BUILD={tmp_path}",
            f"TINYFLASH={sys.executable} -P -m tinyflash",
            f"PYTHON={sys.executable} -P",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    found = re.findall(r"digit (\d+): predicted (\d), label (\d)", text)
    assert [int(k) for k, _, _ in found] == list(range(10))
    assert [int(label) for _, _, label in found] == [int(v) for v in mnist.y_test[:10]]


def test_cmake_host_example(fw_run, tool, tmp_path, pixels, quantize_pixels):
    tool("cmake")
    header_dir = tmp_path / "header"
    subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "tinyflash",
            "codegen",
            str(fw_run()),
            "--out",
            str(header_dir),
        ],
        check=True,
        timeout=120,
    )
    build = tmp_path / "build"
    for cmd in (
        [
            "cmake",
            "-S",
            str(EXAMPLES / "cmake_host"),
            "-B",
            str(build),
            f"-DMNIST_HEADER_DIR={header_dir}",
        ],
        ["cmake", "--build", str(build)],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    files = []
    for k in range(3):
        files.append(tmp_path / f"d{k}.raw")
        files[-1].write_bytes(pixels[k].tobytes())
    out = subprocess.run(
        [str(build / "classify"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    import tinyflash.runtime as rt

    expected = np.argmax(
        rt.load(fw_run() / "model_int8.tflite")(quantize_pixels(fw_run(), pixels[:3])), axis=1
    )
    assert [int(d) for d in re.findall(r"digit (\d)", out)] == expected.tolist()
