"""Structure-aware mutation of .onnx files (protobuf wire format, onnx/onnx.proto field numbers).

A .onnx file is a ModelProto: a sequence of (tag varint = field << 3 | wire type, value);
wire type 0 varint, 1 fixed64, 2 length-delimited (a varint byte count, then the bytes: a
string, bytes, a packed array or a nested message), 5 fixed32. `parse` turns the bytes into a
tree of `Field`s along the ONNX schema (ModelProto -> GraphProto -> NodeProto / TensorProto /
ValueInfoProto -> TypeProto -> TensorShapeProto -> Dimension), remembering where each length
prefix sits; `serialize` writes a tree back with correct lengths.

`onnx_mutate_once(buf, chooser)` either edits the tree semantically and re-serializes it
(hostile dims and data types, names re-pointed at other names -- cycles and dangling inputs --,
unknown op types, deleted or duplicated nodes, initializers and attributes, raw_data of the
wrong length) or corrupts the wire bytes in place (length prefixes beyond the end or off by
one, truncation, bit flips, inserted/deleted bytes).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

__all__ = ["Field", "onnx_mutate_once", "parse", "serialize"]

# message -> {field number: (name, kind)}; kind: varint | string | bytes | packed | f32 | f64 |
# a message name. Fields not listed keep their raw bytes.
SCHEMA: dict[str, dict[int, tuple[str, str]]] = {
    "ModelProto": {
        1: ("ir_version", "varint"),
        8: ("opset_import", "OperatorSetIdProto"),
        2: ("producer_name", "string"),
        3: ("producer_version", "string"),
        4: ("domain", "string"),
        5: ("model_version", "varint"),
        6: ("doc_string", "string"),
        7: ("graph", "GraphProto"),
        14: ("metadata_props", "StringStringEntryProto"),
    },
    "OperatorSetIdProto": {1: ("domain", "string"), 2: ("version", "varint")},
    "StringStringEntryProto": {1: ("key", "string"), 2: ("value", "string")},
    "GraphProto": {
        1: ("node", "NodeProto"),
        2: ("name", "string"),
        5: ("initializer", "TensorProto"),
        10: ("doc_string", "string"),
        11: ("input", "ValueInfoProto"),
        12: ("output", "ValueInfoProto"),
        13: ("value_info", "ValueInfoProto"),
    },
    "NodeProto": {
        1: ("input", "string"),
        2: ("output", "string"),
        3: ("name", "string"),
        4: ("op_type", "string"),
        7: ("domain", "string"),
        5: ("attribute", "AttributeProto"),
        6: ("doc_string", "string"),
    },
    "AttributeProto": {
        1: ("name", "string"),
        20: ("type", "varint"),
        2: ("f", "f32"),
        3: ("i", "varint"),
        4: ("s", "bytes"),
        5: ("t", "TensorProto"),
        6: ("g", "GraphProto"),
        7: ("floats", "packed"),
        8: ("ints", "varint"),
    },
    "TensorProto": {
        1: ("dims", "varint"),
        2: ("data_type", "varint"),
        4: ("float_data", "packed"),
        5: ("int32_data", "packed"),
        7: ("int64_data", "packed"),
        8: ("name", "string"),
        9: ("raw_data", "bytes"),
        14: ("data_location", "varint"),
        13: ("external_data", "StringStringEntryProto"),
    },
    "ValueInfoProto": {
        1: ("name", "string"),
        2: ("type", "TypeProto"),
        3: ("doc_string", "string"),
    },
    "TypeProto": {1: ("tensor_type", "TypeProto.Tensor")},
    "TypeProto.Tensor": {1: ("elem_type", "varint"), 2: ("shape", "TensorShapeProto")},
    "TensorShapeProto": {1: ("dim", "Dimension")},
    "Dimension": {1: ("dim_value", "varint"), 2: ("dim_param", "string")},
}
MAX_DEPTH = 16

DATA_TYPES = list(range(0, 24)) + [-1, 99, 2**31 - 1]
VARINT_VALUES: dict[str, list[int]] = {
    "TensorProto.dims": [0, -1, 1, 2, 10, 784, 785, 2**31 - 1, 2**40, 2**63 - 1, -(2**63)],
    "Dimension.dim_value": [0, -1, 1, 2, 10, 784, 2**31 - 1, 2**62],
    "TensorProto.data_type": DATA_TYPES,
    "TypeProto.Tensor.elem_type": DATA_TYPES,
    "ModelProto.ir_version": [0, 1, 3, 7, 10, 11, 99, 2**63 - 1],
    "OperatorSetIdProto.version": [0, 1, 7, 10, 13, 19, 21, 99, -1],
    "AttributeProto.i": [0, 1, -1, 2, 2**31, -(2**63)],
    "AttributeProto.type": list(range(0, 16)),
    "TensorProto.data_location": [0, 1, 2],
}
OP_TYPES = [
    "Gemm",
    "MatMul",
    "QLinearMatMul",
    "MatMulInteger",
    "QuantizeLinear",
    "DequantizeLinear",
    "Relu",
    "Softmax",
    "Sigmoid",
    "Tanh",
    "Add",
    "Reshape",
    "Flatten",
    "Conv",
    "Loop",
    "If",
    "Identity",
    "Cast",
    "LogSoftmax",
    "",
]


@dataclass
class Field:
    number: int
    wire: int
    value: object  # int (varint/fixed), bytes, or list[Field] for a parsed message
    kind: str = "raw"
    role: str = ""
    len_pos: int = -1  # where the length varint of a LEN field starts (wire-level mutation)
    children: list[Field] = field(default_factory=list)


class WireError(Exception):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise WireError("bad varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _enc_varint(value: int) -> bytes:
    value %= 1 << 64  # negative int64 -> ten-byte two's complement, as protobuf does
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        out.append(b | (0x80 if value else 0))
        if not value:
            return bytes(out)


def parse(data: bytes, message: str = "ModelProto", base: int = 0, depth: int = 0) -> list[Field]:
    """Bytes of `message` -> list of Fields (nested messages parsed). Raises WireError."""
    if depth > MAX_DEPTH:
        raise WireError("too deep")
    fields, pos, schema = [], 0, SCHEMA.get(message, {})
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        name, kind = schema.get(number, (str(number), "raw"))
        role = f"{message}.{name}"
        if wire == 0:
            value, pos = _varint(data, pos)
            fields.append(Field(number, wire, value, kind, role))
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > len(data):
                raise WireError("truncated fixed")
            fields.append(Field(number, wire, bytes(data[pos : pos + size]), kind, role))
            pos += size
        elif wire == 2:
            len_pos = pos
            n, pos = _varint(data, pos)
            if pos + n > len(data):
                raise WireError("length beyond end")
            raw = bytes(data[pos : pos + n])
            f = Field(number, wire, raw, kind, role, base + len_pos)
            if kind in SCHEMA:
                f.children = parse(raw, kind, base + pos, depth + 1)
            fields.append(f)
            pos += n
        else:
            raise WireError(f"wire type {wire}")
    return fields


def serialize(fields: list[Field]) -> bytes:
    out = bytearray()
    for f in fields:
        out += _enc_varint(f.number << 3 | f.wire)
        if f.wire == 0:
            out += _enc_varint(int(f.value))
        elif f.wire in (1, 5):
            out += bytes(f.value)
        else:
            body = serialize(f.children) if f.kind in SCHEMA else bytes(f.value)
            out += _enc_varint(len(body)) + body
    return bytes(out)


def _flatten(fields: list[Field], parent: list[Field], out: list) -> list:
    for f in fields:
        out.append((f, parent))
        if f.kind in SCHEMA:
            _flatten(f.children, f.children, out)
    return out


def _choose(chooser, options):
    return options[chooser.integer(0, len(options) - 1)]


def _semantic(tree: list[Field], chooser) -> None:
    entries = _flatten(tree, tree, [])
    f, parent = _choose(chooser, entries)
    strings = [
        g.value
        for g, _ in entries
        if g.kind == "string" and g.role.endswith(("input", "output", ".name"))
    ] or [b"x"]
    action = chooser.integer(0, 9)
    if action == 0:  # delete the field
        parent.remove(f)
    elif action == 1:  # duplicate it (a repeated entry twice, or a scalar set twice)
        parent.insert(parent.index(f), _copy(f))
    elif f.wire == 0:
        f.value = _choose(
            chooser,
            VARINT_VALUES.get(f.role, [0, 1, -1, 2**63 - 1, -(2**63)])
            + [int(f.value) + 1, int(f.value) - 1],
        )
    elif f.kind == "string":
        if f.role == "NodeProto.op_type":
            f.value = _choose(chooser, OP_TYPES).encode()
        else:
            f.value = _choose(chooser, strings + [b"", b"\xff\xfe", b"n" * 1000])
    elif f.kind in ("bytes", "packed", "raw"):
        v = bytes(f.value)
        f.value = _choose(
            chooser,
            [
                v[:-1],
                v + b"\x00",
                b"",
                v[: len(v) // 2],
                struct.pack("<f", math.nan) * (len(v) // 4),
                struct.pack("<f", math.inf) * (len(v) // 4),
                v[::-1],
            ],
        )
    elif f.kind == "f32":
        f.value = struct.pack(
            "<f", _choose(chooser, [math.nan, math.inf, -math.inf, 0.0, -1.0, 1e-45, 3.4e38])
        )
    elif f.kind in SCHEMA and f.children:  # reorder or empty a message
        if chooser.integer(0, 1):
            f.children.reverse()
        else:
            f.children = []


def _copy(f: Field) -> Field:
    return Field(
        f.number, f.wire, f.value, f.kind, f.role, f.len_pos, [_copy(c) for c in f.children]
    )


def _wire(buf: bytearray, tree: list[Field] | None, chooser) -> bytearray:
    n = len(buf)
    lens = [] if tree is None else [f for f, _ in _flatten(tree, tree, []) if f.len_pos >= 0]
    what = chooser.integer(0, 4)
    if what == 0 and lens:  # a length prefix lies
        f = _choose(chooser, lens)
        old, end = _varint(bytes(buf), f.len_pos)
        new = _choose(chooser, [old + 1, old - 1, 0, n, 2**31 - 1, 2**32, 2**63 - 1, 2**64 - 1])
        return buf[: f.len_pos] + _enc_varint(max(new, 0)) + buf[end:]
    if what == 1 and n:
        return buf[: chooser.integer(0, n - 1)]
    if what == 2 and n:
        buf[chooser.integer(0, n - 1)] ^= 1 << chooser.integer(0, 7)
        return buf
    if what == 3:
        pos = chooser.integer(0, n)
        return buf[:pos] + bytes([chooser.integer(0, 255)]) * chooser.integer(1, 8) + buf[pos:]
    if n:
        pos = chooser.integer(0, n - 1)
        return buf[:pos] + buf[pos + chooser.integer(1, 8) :]
    return buf


def onnx_mutate_once(buf: bytearray, chooser) -> bytearray:
    try:
        tree = parse(bytes(buf))
    except WireError:
        tree = None
    if tree and chooser.integer(0, 2):
        _semantic(tree, chooser)
        return bytearray(serialize(tree))
    return _wire(buf, tree, chooser)
