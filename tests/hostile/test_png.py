"""`tinyflash predict` reads PNG files with its own decoder (runtime/cli.py read_png): hostile PNGs.

A PNG is a signature then chunks (length, type, data, CRC); IHDR gives the size, IDAT holds the
zlib-compressed rows. A small file can declare 20000x20000 pixels or inflate to gigabytes (a
"PNG bomb"): the decoder must refuse both before allocating. Fuzzing real PNGs of MNIST digits
(written by Pillow, all five row filters, gray / RGB / RGBA): read_png returns the (H, W) uint8
image its IHDR declares or raises UserError, within 2 s and 1 GB of new address space.
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import fuzzlib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinyflash.errors import UserError
from tinyflash.runtime.cli import read_png


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _png(width: int, height: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))  # fmt: skip


def _timed_read(path) -> tuple[object, float]:
    start = time.perf_counter()
    try:
        with fuzzlib.limits(seconds=2.0):
            result = read_png(path)
    except UserError as exc:
        result = exc
    return result, time.perf_counter() - start


def test_a_huge_declared_size_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "huge.png"  # 20000x20000 gray: would be 400 MB of rows
    path.write_bytes(_png(20000, 20000, zlib.compress(bytes(20001 * 50), 9)))
    result, seconds = _timed_read(path)
    assert isinstance(result, UserError) and "20000x20000" in str(result), result
    assert seconds < 1.0


def test_data_beyond_the_declared_size_is_not_inflated(tmp_path):
    import tracemalloc

    path = tmp_path / "long.png"  # declares 28x28 (812 bytes of rows), inflates to 50 MB
    path.write_bytes(_png(28, 28, zlib.compress(bytes(50_000_000), 9)))
    tracemalloc.start()
    result, _ = _timed_read(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(result, UserError) and "expected 812" in str(result), result
    assert peak < 5_000_000, peak


@pytest.fixture(scope="module")
def pngs(mnist) -> list[bytes]:
    from PIL import Image

    out = []
    for k, mode in enumerate(["L", "RGB", "RGBA", "LA"]):
        img = Image.fromarray(mnist.x_test[k], "L").convert(mode).resize((56, 56))
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)  # Pillow picks a filter per row
        out.append(buf.getvalue())
    return out


def test_real_pngs_decode_as_pillow_does(pngs, tmp_path):
    from PIL import Image

    for k, data in enumerate(pngs):
        path = tmp_path / f"{k}.png"
        path.write_bytes(data)
        ours = read_png(path)
        img = Image.open(io.BytesIO(data))
        if img.mode in ("L", "LA"):
            want = np.asarray(img.convert("LA"), np.float64)
            want = want[..., 0] * want[..., 1] / 255 if img.mode == "LA" else want[..., 0]
            np.testing.assert_allclose(ours, want, atol=0.5 + 1e-9)
        assert ours.shape == (56, 56) and ours.dtype == np.uint8


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.integers(0, 3),
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 2**31), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_pngs_decode_or_are_refused(pngs, tmp_path, which, edits):
    data = bytearray(pngs[which])
    for kind, where, value in edits:
        pos = where % len(data)
        if kind == 2:  # aim at a chunk's length field (8 = IHDR's), or anywhere
            starts, at = [], 8
            while at + 8 <= len(data) and len(starts) < 64:
                starts.append(at)
                at += 12 + struct.unpack_from(">I", data, at)[0]
            pos = starts[where % len(starts)] if starts and value % 3 else pos
        if kind == 0:
            data[pos] ^= 1 << (value % 8)
        elif kind == 1:
            data = data[:pos]
        elif kind == 2 and pos + 4 <= len(data):  # a length or dimension field lies
            struct.pack_into(">I", data, pos, [0, 1, 2**31 - 1, 2**32 - 1, value][value % 5])
        elif kind == 3:
            data[pos:pos] = bytes([value]) * (1 + value % 16)
        elif kind == 4:
            del data[pos : pos + 1 + value % 16]
        elif kind == 5 and len(data) > 33:  # IHDR body: width, height, depth, color, ...
            data[16 + value % 13] = value
        if not data:
            break
    path = tmp_path / "m.png"
    path.write_bytes(bytes(data))
    result, seconds = _timed_read(path)
    assert isinstance(result, UserError | np.ndarray), repr(result)
    if isinstance(result, np.ndarray):
        assert result.dtype == np.uint8 and result.ndim == 2
