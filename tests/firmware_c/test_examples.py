"""The user-facing examples build and run: the QEMU MPS2 bare-metal example with its one
command, and the CMake host project."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from tinyflash.firmware_c import toolchain as tc

EXAMPLES = tc.HERE / "examples"


def _make_run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The example's make command as a user types it in a shell started in `cwd` (bash sets
    PWD, which is how the Makefile finds the folder a relative RUN_DIR is read from)."""
    command = " ".join(
        [
            "make",
            "-s",
            "-C",
            shlex.quote(os.path.relpath(EXAMPLES / "qemu_mps2", cwd)),
            "run",
            f"TINYFLASH={shlex.quote(f'{sys.executable} -P -m tinyflash')}",
            f"PYTHON={shlex.quote(f'{sys.executable} -P')}",
            *map(shlex.quote, args),
        ]
    )
    env = {k: v for k, v in os.environ.items() if k != "PWD"}
    return subprocess.run(
        ["bash", "-c", f"cd {shlex.quote(str(cwd))} && {command}"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def _predictions(proc: subprocess.CompletedProcess) -> list[tuple[int, int, int]]:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = re.findall(r"digit (\d+): predicted (\d), label (\d)", proc.stdout + proc.stderr)
    return [(int(k), int(p), int(y)) for k, p, y in found]


def _runtime_classes(run_dir: Path, pixels: np.ndarray, quantize_pixels) -> list[int]:
    import tinyflash.runtime as rt

    model = rt.load(run_dir / "model_int8.tflite")
    return np.argmax(model(quantize_pixels(run_dir, pixels)), axis=1).tolist()


def test_qemu_example_one_command(fw_run, tool, tmp_path, mnist, pixels, quantize_pixels):
    """The README's command from the repository root with a relative RUN_DIR; then another
    run folder whose model is older than the header built from the first: rebuilt all the
    same (the predictions are the second model's), and not rebuilt when nothing changed."""
    for name in ("make", "arm-none-eabi-gcc", "qemu-system-arm"):
        tool(name)
    root = EXAMPLES.parents[1]
    first, second = fw_run(), fw_run((16,))
    build = tmp_path / "build"
    proc = _make_run([f"RUN_DIR={os.path.relpath(first, root)}", f"BUILD={build}"], root)
    found = _predictions(proc)
    assert [k for k, _, _ in found] == list(range(10))
    assert [y for _, _, y in found] == [int(v) for v in mnist.y_test[:10]]
    assert [p for _, p, _ in found] == _runtime_classes(first, pixels[:10], quantize_pixels)
    assert f"wrote {build / 'mnist_model.h'}" in proc.stdout

    other = tmp_path / "other"
    shutil.copytree(second, other)
    old = (build / "mnist_model.h").stat().st_mtime - 1000
    os.utime(other / "model_int8.tflite", (old, old))
    proc = _make_run([f"RUN_DIR={other}", f"BUILD={build}"], tmp_path)
    found = _predictions(proc)
    assert f"wrote {build / 'mnist_model.h'}" in proc.stdout, (
        "a header built from another model was reused"
    )
    sha = hashlib.sha256((other / "model_int8.tflite").read_bytes()).hexdigest()
    assert sha in (build / "mnist_model.h").read_text()
    assert [p for _, p, _ in found] == _runtime_classes(other, pixels[:10], quantize_pixels)

    proc = _make_run([f"RUN_DIR={other.name}", f"BUILD={build.name}"], tmp_path)
    assert _predictions(proc) == found
    assert "mnist_model.h" not in proc.stdout, "rebuilt although the model did not change"


def test_qemu_example_refuses_missing_run_dir(tool, tmp_path):
    tool("make")
    proc = _make_run(["RUN_DIR=no-such-run", f"BUILD={tmp_path / 'b'}"], tmp_path)
    assert proc.returncode != 0
    assert f"{tmp_path}/no-such-run/model_int8.tflite not found" in proc.stderr, proc.stderr


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
