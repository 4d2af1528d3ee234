"""tinyflash.native_log: TensorFlow's native log lines dropped from fd 2, everything else kept,
in real processes (the filter works on file descriptors, which pytest's capture replaces)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tinyflash.native_log import is_noise

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the filter is POSIX-only")

ENV = {**os.environ, "PYTHONSAFEPATH": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}

SCRIPT = r"""
import os, subprocess, sys
from tinyflash.native_log import filtered
with filtered():
    os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called ...\n")
    os.write(2, b"I0000 00:00:1795455724.438479   13729 port.cc:153] oneDNN custom ops\n")
    os.write(2, b"native error line\nE0000 00:00:1.5   1 real_op.cc:9] a real TensorFlow error\n")
    print("python line", file=sys.stderr, flush=True)
    os.write(2, b"fully_quantize: 0, inference_type: 6, input_inference_type: INT8, x\n")
    subprocess.run([sys.executable, "-c", "import os; os.write(2, b'child line\\n')"], check=True)
    os.write(2, b"W0000 00:00:1.5   7 cpu_feature_guard.cc:1] CPU features\nno newline")
print("after", file=sys.stderr)
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-P", "-c", code, *args], capture_output=True,
                          env=ENV, timeout=300)  # fmt: skip


def test_noise_is_dropped_and_everything_else_kept():
    proc = _run(SCRIPT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.decode().splitlines()
    # Python's own writes go out directly and the child's through the pipe: both arrive, but
    # their order relative to the filtered native lines is the scheduler's.
    direct = {"python line", "child line"}
    assert direct <= set(lines), lines
    native = [line for line in lines if line not in direct]
    assert native[0] == "native error line" and native[1].endswith("a real TensorFlow error")
    # the block's last partial line is flushed when it ends, before what follows
    assert native[2:] in (["no newline", "after"], ["no newlineafter"]), lines
    assert not any(is_noise(line.encode()) for line in lines), lines


def test_real_tensorflow_import_prints_nothing_through_the_filter():
    """What TensorFlow prints on import is all noise; through the filter nothing remains."""
    bare = _run("import tensorflow")
    assert all(is_noise(line) for line in bare.stderr.splitlines() if line.strip()), bare.stderr
    quiet = _run("from tinyflash.native_log import filtered\nwith filtered():\n import tensorflow")
    assert (quiet.returncode, quiet.stderr) == (0, b"")


def test_a_closed_stderr_is_not_an_internal_error(tmp_path):
    """`tinyflash ... 2>&-`: nothing to filter; the user error still exits 2, not 1."""
    missing = tmp_path / "missing.tflite"
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", "predict", str(missing), "test:0"],
        capture_output=False, stdout=subprocess.PIPE, stderr=None, env=ENV, timeout=300,
        preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout
