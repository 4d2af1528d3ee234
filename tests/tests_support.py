"""Helpers shared by tests (not fixtures): writing real data into other file formats."""

from __future__ import annotations

import gzip
import os
import platform
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file: 00 00 08 ndim, big-endian dims, data."""
    assert array.dtype == np.uint8
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx_folder(folder: Path, data, n_train: int, n_test: int, gz: bool) -> None:
    arrays = {
        "train-images-idx3-ubyte": data.x_train[:n_train],
        "train-labels-idx1-ubyte": data.y_train[:n_train].astype(np.uint8),
        "t10k-images-idx3-ubyte": data.x_test[:n_test],
        "t10k-labels-idx1-ubyte": data.y_test[:n_test].astype(np.uint8),
    }
    for name, array in arrays.items():
        raw = idx_bytes(np.ascontiguousarray(array))
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(raw, mtime=0))
        else:
            (folder / name).write_bytes(raw)


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """Path of an external tool; skip without it, but fail in CI, where .ci/run installs it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found (.ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_path(path: str | Path, what: str) -> Path:
    """A file or folder from a system package; skip without it, but fail in CI."""
    p = Path(path)
    if not p.exists():
        message = f"{what} not found at {p} (.ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return p


def cpu_features() -> dict[str, bool]:
    """The CPU's features as the processor itself reports them (numpy's CPUID probe), e.g.
    {"AVX2": True, "AVX512F": False, "FMA3": True, ...}. Not /proc/cpuinfo: under QEMU user-mode
    emulation (make test-cpus) that file shows the host's flags, while CPUID, which onnxruntime's
    MLAS reads to pick its kernels, shows the emulated CPU's."""
    from numpy._core import _multiarray_umath

    return dict(_multiarray_umath.__cpu_features__)


# onnxruntime picks its MLAS float kernels by CPU: the runtime reproduces the x86-64 AVX-512F /
# FMA3 ones bit for bit (runtime/ops/onnx_math.py). Elsewhere (ARM, SSE2/AVX2-only x86) another
# MLAS kernel runs and the last float bit may differ, so exact-ONNX tests fall back to a bound.
MLAS_AVX512 = platform.machine().lower() in ("x86_64", "amd64") and all(
    cpu_features().get(name, False) for name in ("AVX512F", "FMA3")
)
