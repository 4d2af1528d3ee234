"""`tinyflash predict model images.npy`: hostile .npy files for runtime/cli.py load_input.

A .npy file is a magic string, a version, a header length, a Python-literal header
{'descr': dtype, 'fortran_order': bool, 'shape': tuple} and the raw data. The headers here are
rewritten with every dtype and shape a user (or an attacker) could write, and the files are
byte-mutated; load_input must return (N, 784) finite float32 values (pixels in [0, 1] from
uint8) or raise UserError.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinyflash.errors import UserError
from tinyflash.runtime.cli import load_input

DESCRS = ["|u1", "<f4", ">f4", "<f8", "<f2", "|b1", "<i8", "<c8", "<U3", "|S2", "|V4",
          "[('a', '<f4')]", "'<f4'", "nonsense", "<M8[s]", "|O"]  # fmt: skip
SHAPES = [
    "(2, 784)",
    "(784,)",
    "(28, 28)",
    "(2, 28, 28)",
    "(0, 784)",
    "(0, 28, 28)",
    "()",
    "(1,)",
    "(2, 785)",
    "(99999999999, 784)",
    "(-1, 784)",
    "(2, 784, 1)",
    "(2,",
    "x",
]


def _npy(descr: str, shape: str, fortran: str, body: bytes) -> bytes:
    literal = descr if descr.startswith(("[", "'")) else repr(descr)
    header = f"{{'descr': {literal}, 'fortran_order': {fortran}, 'shape': {shape}, }}"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + body


@pytest.fixture(scope="module")
def digits(mnist) -> bytes:
    buf = io.BytesIO()
    np.save(buf, mnist.x_test[:2].reshape(2, 784))
    return buf.getvalue()


def _check(path):
    try:
        loaded = load_input(str(path))
    except UserError as exc:
        assert str(exc) and "\n" not in str(exc)
        return "refused"
    x = loaded.x
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 784 and len(x) > 0
    assert np.all(np.isfinite(x)) and loaded.labels is None and loaded.notes
    if "uint8 pixels p -> p / 255" in loaded.notes:
        assert np.all((x >= 0) & (x <= 1))
    return "loaded"


@pytest.mark.parametrize("descr", DESCRS)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_header_loads_or_is_refused(descr, shape, digits, tmp_path):
    body = digits[128:]
    for fortran in ("False", "True"):
        path = tmp_path / f"{fortran}.npy"
        path.write_bytes(_npy(descr, shape, fortran, body))
        _check(path)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2**20), st.integers(0, 255)),
                min_size=1, max_size=4))  # fmt: skip
def test_mutated_npy_loads_or_is_refused(digits, tmp_path, edits):
    data = bytearray(digits)
    for kind, where, value in edits:
        pos = min(where % 140, len(data) - 1) if value % 2 else where % len(data)  # header
        if kind == 0:
            data[pos] = value
        elif kind == 1:
            data = data[:pos]
        else:
            data[pos:pos] = bytes([value])
        if not data:
            break
    path = tmp_path / "m.npy"
    path.write_bytes(bytes(data))
    _check(path)
