"""A minimal, bounds-checked FlatBuffers reader (the subset TFLite's schema needs).

Why our own and not the `flatbuffers` runtime with generated accessors: the runtime's only
dependency is numpy (the `flatbuffers` package is an export-time extra), and generated accessors
do no bounds checking at all, so every read would have to be wrapped anyway. Here each read checks
its bounds and raises `ModelFormatError` with a path such as "subgraph 0 tensor 3 (dense/MatMul)
.quantization.scale", never IndexError or struct.error. Every offset is followed a bounded number
of times by the caller's fixed schema walk, so no file can make reading loop.

Wire format (https://flatbuffers.dev/internals/): little-endian; a table starts with an int32
soffset to its vtable (vtable = table - soffset); a vtable is uint16 vtable_bytes, uint16
table_bytes, then one uint16 offset per field (0 = absent, use the default); reference fields
hold a uint32 offset relative to the field's own position; vectors and strings are a uint32
element count followed by the elements.
"""

from __future__ import annotations

import struct

import numpy as np

from tinyflash.runtime.errors import ModelFormatError

__all__ = ["Buffer", "Table"]

_SCALARS = {
    "u8": "<B",
    "i8": "<b",
    "u16": "<H",
    "u32": "<I",
    "i32": "<i",
    "i64": "<q",
    "u64": "<Q",
    "f32": "<f",
}
_NUMPY = {"u8": "<u1", "i32": "<i4", "i64": "<i8", "f32": "<f4"}


class Buffer:
    """The whole file's bytes plus checked primitive reads."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.size = len(self.data)

    def check(self, pos: int, nbytes: int, where: str) -> None:
        if pos < 0 or nbytes < 0 or pos + nbytes > self.size:
            raise ModelFormatError(
                f"{where}: reads bytes [{pos}, {pos + nbytes}) outside the file "
                f"of {self.size} bytes"
            )

    def scalar(self, kind: str, pos: int, where: str):
        fmt = _SCALARS[kind]
        self.check(pos, struct.calcsize(fmt), where)
        return struct.unpack_from(fmt, self.data, pos)[0]

    def root(self, where: str = "file") -> Table:
        return Table(self, self.scalar("u32", 0, f"{where} root offset"), where)


class Table:
    """One FlatBuffers table at `pos`; fields are read by their index in the schema."""

    def __init__(self, buf: Buffer, pos: int, where: str):
        self.buf, self.pos, self.where = buf, pos, where
        soffset = buf.scalar("i32", pos, f"{where} (table header)")
        self.vtable = pos - soffset
        vt_bytes = buf.scalar("u16", self.vtable, f"{where} (vtable)")
        if vt_bytes < 4 or vt_bytes % 2:
            raise ModelFormatError(f"{where}: vtable size {vt_bytes} is not an even number >= 4")
        buf.check(self.vtable, vt_bytes, f"{where} (vtable)")
        self.table_bytes = buf.scalar("u16", self.vtable + 2, f"{where} (vtable)")
        buf.check(pos, max(self.table_bytes, 4), f"{where} (table body)")
        self.nfields = (vt_bytes - 4) // 2

    def _field_pos(self, index: int) -> int | None:
        if index >= self.nfields:
            return None
        off = self.buf.scalar("u16", self.vtable + 4 + 2 * index, self.where)
        if off == 0:
            return None
        if off >= self.table_bytes:
            raise ModelFormatError(
                f"{self.where}: field {index} at offset {off} lies outside its table "
                f"of {self.table_bytes} bytes"
            )
        return self.pos + off

    def has(self, index: int) -> bool:
        return self._field_pos(index) is not None

    def scalar(self, index: int, kind: str, default, name: str):
        p = self._field_pos(index)
        return default if p is None else self.buf.scalar(kind, p, f"{self.where}.{name}")

    def _target(self, index: int, name: str) -> int | None:
        p = self._field_pos(index)
        if p is None:
            return None
        return p + self.buf.scalar("u32", p, f"{self.where}.{name}")

    def table(self, index: int, name: str) -> Table | None:
        t = self._target(index, name)
        return None if t is None else Table(self.buf, t, f"{self.where}.{name}")

    def _vector(self, index: int, name: str, elem_bytes: int) -> tuple[int, int] | None:
        t = self._target(index, name)
        if t is None:
            return None
        where = f"{self.where}.{name}"
        n = self.buf.scalar("u32", t, where)
        self.buf.check(t + 4, n * elem_bytes, f"{where} ({n} elements)")
        return t + 4, n

    def array(self, index: int, name: str, kind: str) -> np.ndarray | None:
        """A vector of scalars as a read-only numpy array (None if absent)."""
        dt = np.dtype(_NUMPY[kind])
        v = self._vector(index, name, dt.itemsize)
        if v is None:
            return None
        start, n = v
        arr = np.frombuffer(self.buf.data, dtype=dt, count=n, offset=start)
        return arr.astype(dt.newbyteorder("="), copy=False)

    def string(self, index: int, name: str) -> str | None:
        v = self._vector(index, name, 1)
        if v is None:
            return None
        start, n = v
        try:
            return self.buf.data[start : start + n].decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFormatError(f"{self.where}.{name}: not valid UTF-8") from None

    def tables(self, index: int, name: str) -> list[Table]:
        """A vector of tables (empty list if absent)."""
        v = self._vector(index, name, 4)
        if v is None:
            return []
        start, n = v
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(
                Table(
                    self.buf, p + self.buf.scalar("u32", p, self.where), f"{self.where}.{name}[{i}]"
                )
            )
        return out
