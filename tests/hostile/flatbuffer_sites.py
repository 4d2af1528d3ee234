"""Where the structure of a .tflite file lives: every offset, vtable, vector length and field.

`tflite_sites(data)` walks a (valid or mildly broken) .tflite file along the TFLite schema
(tensorflow/compiler/mlir/lite/schema/schema.fbs, field numbers below) WITHOUT trusting it:
every read is guarded, cycles are cut by a visited set, and whatever cannot be read is simply
not reported. It returns `Site`s a structure-aware mutator can aim at:

    kind "soffset"  int32 at a table's start: table - vtable
    kind "vtable"   uint16 vtable size, table size, or one field's offset in the vtable
    kind "uoffset"  uint32 reference field / vector-of-tables element: target - position
    kind "veclen"   uint32 element count in front of a vector or string
    kind "scalar"   a typed field or vector element, with its schema role, e.g. "Tensor.type",
                    "Tensor.shape[]", "Operator.inputs[]", "QuantizationParameters.scale[]"
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

__all__ = ["SCHEMA", "Site", "tflite_sites"]

FORMATS = {
    "u8": "<B",
    "i8": "<b",
    "bool": "<B",
    "u16": "<H",
    "i32": "<i",
    "u32": "<I",
    "i64": "<q",
    "u64": "<Q",
    "f32": "<f",
}

# table -> {field index: (name, kind)}; kind is a scalar format, "string", "[fmt]" (vector of
# scalars), "<Table>" (sub-table) or "[<Table>]" (vector of tables). Only the fields TFLite
# files from our exporter use, plus the ones a hostile file could add to confuse a reader.
SCHEMA: dict[str, dict[int, tuple[str, str]]] = {
    "Model": {
        0: ("version", "u32"),
        1: ("operator_codes", "[<OperatorCode>]"),
        2: ("subgraphs", "[<SubGraph>]"),
        3: ("description", "string"),
        4: ("buffers", "[<Buffer>]"),
        5: ("metadata_buffer", "[i32]"),
        6: ("metadata", "[<Metadata>]"),
        7: ("signature_defs", "[<SignatureDef>]"),
    },
    "OperatorCode": {
        0: ("deprecated_builtin_code", "i8"),
        1: ("custom_code", "string"),
        2: ("version", "i32"),
        3: ("builtin_code", "i32"),
    },
    "SubGraph": {
        0: ("tensors", "[<Tensor>]"),
        1: ("inputs", "[i32]"),
        2: ("outputs", "[i32]"),
        3: ("operators", "[<Operator>]"),
        4: ("name", "string"),
    },
    "Tensor": {
        0: ("shape", "[i32]"),
        1: ("type", "i8"),
        2: ("buffer", "u32"),
        3: ("name", "string"),
        4: ("quantization", "<QuantizationParameters>"),
        5: ("is_variable", "bool"),
        7: ("shape_signature", "[i32]"),
        8: ("has_rank", "bool"),
    },
    "QuantizationParameters": {
        0: ("min", "[f32]"),
        1: ("max", "[f32]"),
        2: ("scale", "[f32]"),
        3: ("zero_point", "[i64]"),
        4: ("details_type", "u8"),
        6: ("quantized_dimension", "i32"),
    },
    "Operator": {
        0: ("opcode_index", "u32"),
        1: ("inputs", "[i32]"),
        2: ("outputs", "[i32]"),
        3: ("builtin_options_type", "u8"),
        4: ("builtin_options", "<Options>"),
        5: ("custom_options", "[u8]"),
        8: ("intermediates", "[i32]"),
    },
    "Buffer": {0: ("data", "[u8]"), 1: ("offset", "u64"), 2: ("size", "u64")},
    "Metadata": {0: ("name", "string"), 1: ("buffer", "u32")},
    "SignatureDef": {
        0: ("inputs", "[<TensorMap>]"),
        1: ("outputs", "[<TensorMap>]"),
        2: ("signature_key", "string"),
        4: ("subgraph_index", "u32"),
    },
    "TensorMap": {0: ("name", "string"), 1: ("tensor_index", "u32")},
    # builtin_options is a union; these are the variants our files use (by union type).
    "FullyConnectedOptions": {
        0: ("fused_activation_function", "i8"),
        1: ("weights_format", "i8"),
        2: ("keep_num_dims", "bool"),
        3: ("asymmetric_quantize_inputs", "bool"),
    },
    "SoftmaxOptions": {0: ("beta", "f32")},
    "ReshapeOptions": {0: ("new_shape", "[i32]")},
    "Options": {},
}
OPTIONS_BY_TYPE = {8: "FullyConnectedOptions", 9: "SoftmaxOptions", 17: "ReshapeOptions"}
MAX_SITES = 20_000  # a hostile file cannot make the walk itself expensive


@dataclass(frozen=True)
class Site:
    kind: str  # soffset | vtable | uoffset | veclen | scalar
    pos: int
    fmt: str  # key of FORMATS
    role: str  # e.g. "Tensor.shape[]", "SubGraph.tensors" (for veclen/uoffset)


class _Walker:
    def __init__(self, data: bytes):
        self.data = data
        self.sites: list[Site] = []
        self.seen: set[tuple[int, str]] = set()

    def read(self, fmt: str, pos: int):
        f = FORMATS[fmt]
        if pos < 0 or pos + struct.calcsize(f) > len(self.data):
            raise IndexError(pos)
        return struct.unpack_from(f, self.data, pos)[0]

    def add(self, kind: str, pos: int, fmt: str, role: str) -> None:
        if len(self.sites) >= MAX_SITES:
            raise IndexError("too many sites")
        self.sites.append(Site(kind, pos, fmt, role))

    def table(self, pos: int, name: str) -> None:
        if (pos, name) in self.seen:
            return
        self.seen.add((pos, name))
        vtable = pos - self.read("i32", pos)
        self.add("soffset", pos, "i32", name)
        vt_bytes = self.read("u16", vtable)
        self.add("vtable", vtable, "u16", f"{name}.vtable_bytes")
        self.add("vtable", vtable + 2, "u16", f"{name}.table_bytes")
        fields = SCHEMA.get(name, {})
        options_type = 0
        for index in range(min(max(0, vt_bytes - 4) // 2, 16)):  # no schema table has more
            entry = vtable + 4 + 2 * index
            off = self.read("u16", entry)
            self.add("vtable", entry, "u16", f"{name}.vtable[{index}]")
            if off == 0 or index not in fields:
                continue
            field, kind = fields[index]
            try:
                if field == "builtin_options_type":
                    options_type = self.read("u8", pos + off)
                self.field(pos + off, f"{name}.{field}", kind, options_type)
            except IndexError:
                continue

    def field(self, pos: int, role: str, kind: str, options_type: int) -> None:
        if kind in FORMATS:
            self.read(kind, pos)
            self.add("scalar", pos, kind, role)
            return
        target = pos + self.read("u32", pos)
        self.add("uoffset", pos, "u32", role)
        if kind == "<Options>":
            self.table(target, OPTIONS_BY_TYPE.get(options_type, "Options"))
        elif kind.startswith("<"):
            self.table(target, kind[1:-1])
        else:
            self.vector(target, role, kind)

    def vector(self, pos: int, role: str, kind: str) -> None:
        n = self.read("u32", pos)
        self.add("veclen", pos, "u32", role)
        if kind == "string":
            return
        elem = kind[1:-1]
        if elem.startswith("<"):
            for i in range(min(n, (len(self.data) - pos - 4) // 4, 4096)):
                p = pos + 4 + 4 * i
                try:
                    self.add("uoffset", p, "u32", role)
                    self.table(p + self.read("u32", p), elem[1:-1])
                except IndexError:
                    continue
            return
        size = struct.calcsize(FORMATS[elem])
        n = min(n, (len(self.data) - pos - 4) // size)  # a hostile count cannot make us loop
        # Long vectors (constant data, a corrupted count): a sample of 64 elements, not all.
        for i in range(0, n, max(1, n // 64)):
            p = pos + 4 + size * i
            if p + size > len(self.data):
                break
            self.add("scalar", p, elem, role + "[]")


@functools.lru_cache(maxsize=32)  # the unmutated seeds are walked again and again
def tflite_sites(data: bytes) -> list[Site]:
    """Every structural site of a .tflite file that can be located (see module docstring)."""
    walker = _Walker(data)
    try:
        walker.add("uoffset", 0, "u32", "root")
        walker.table(walker.read("u32", 0), "Model")
    except IndexError:
        pass
    return walker.sites
