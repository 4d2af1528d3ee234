"""Keep TensorFlow's native log lines out of tinyflash's terminal output.

TensorFlow 2.21 writes from C++ straight to file descriptor 2, whatever TF_CPP_MIN_LOG_LEVEL
says: "WARNING: All log messages before absl::InitializeLog() is called ...", an INFO line per
shared library about oneDNN, "E0000 ... node_def_util.cc ... NodeDef mentions attribute ...
This may be expected" from the converter, the converter's bare "fully_quantize: 0, ...", and
ai-edge-litert's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.".
They make a one-line user error five lines long and bury the stage lines of `tinyflash run`.

`filtered()` points fd 2 at a pipe for the duration of a command and forwards every line that
is not one of those, as it arrives, to the real stderr; Python's own sys.stderr keeps writing to
the real stderr directly (so progress bars still see a terminal). `tinyflash --debug` skips the
filter and shows everything.

    with native_log.filtered():
        export(...)
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["NOISE", "filtered", "is_noise"]

# absl's line format after the severity letter: MMDD, time ("00:00:1795455724.438479" before
# absl::InitializeLog), thread id, file:line]
_ABSL = rb"\d{4} [\d:.]+ +\d+ [\w./-]+:\d+\] "
NOISE = (
    re.compile(rb"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(rb"^[IW]" + _ABSL),  # INFO and WARNING: oneDNN banners, CPU feature notes
    # ERROR lines are kept, but for the converter's known-harmless one:
    re.compile(rb"^E" + _ABSL + rb"NodeDef mentions attribute \w+ which is not in the op def"),
    re.compile(rb"^fully_quantize: \d+, inference_type: \d+, input_inference_type: "),
    re.compile(rb"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$"),  # ai-edge-litert
)
_JOIN_SECONDS = 5.0


def is_noise(line: bytes) -> bool:
    """True for one of TensorFlow's native log lines listed in NOISE."""
    return any(p.search(line) for p in NOISE)


def _forward(read_fd: int, write_fd: int) -> None:
    """Copy lines from read_fd to write_fd until EOF, dropping noise."""
    pending = b""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_noise(line))
            if kept:
                os.write(write_fd, kept)
    if pending and not is_noise(pending):
        os.write(write_fd, pending)


@contextmanager
def filtered(active: bool = True) -> Iterator[None]:
    """Filter TensorFlow's native log lines from fd 2 inside the block (POSIX; else a no-op)."""
    if not active or os.name != "posix":
        yield
        return
    try:
        real = os.dup(2)
    except OSError:  # fd 2 closed (`2>&-`): nothing to filter
        yield
        return
    try:
        python_on_fd2 = sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # pytest's capsys, a StringIO
        python_on_fd2 = False
    if sys.stderr is not None:
        sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    os.set_inheritable(read_fd, False)
    saved_stderr = sys.stderr
    if python_on_fd2:  # Python's writes bypass the pipe: same terminal, no reordering
        sys.stderr = os.fdopen(
            os.dup(real),
            "w",
            buffering=1,
            encoding=saved_stderr.encoding,
            errors="backslashreplace",
        )
    thread = threading.Thread(target=_forward, args=(read_fd, real), daemon=True)
    thread.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    try:
        yield
    finally:
        os.dup2(real, 2)  # the pipe's last writer goes (unless a child still holds it)
        thread.join(_JOIN_SECONDS)
        if python_on_fd2:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = saved_stderr
        if not thread.is_alive():
            os.close(real)
