"""SHAPE, STRIDED_SLICE and PACK on small int32 shape vectors: what the converter emits for
Flatten with a dynamic batch (SHAPE -> STRIDED_SLICE [0:1] -> PACK [n, -1] -> RESHAPE).
SHAPE reports the real batch, so the RESHAPE it feeds sees (N, ...); its output is not a
batched activation (ops.__init__ marks it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, require, tensor

__all__ = ["PackParams", "SliceParams", "prepare_pack", "prepare_shape", "prepare_slice"]

ANY = ("float32", "int8", "uint8", "int16", "int32", "int64")


def prepare_shape(graph: Graph, op: Operator, rounding: str) -> str:
    arity(op, (1,))
    tensor(graph, op, 0, "input", ANY)
    return tensor(graph, op, -1, "output", ("int32", "int64")).dtype


def run_shape(dtype: str, x: np.ndarray) -> np.ndarray:
    """x: any -> (rank,) its shape."""
    return np.array(x.shape, dtype)


@dataclass(frozen=True)
class SliceParams:
    """One 1-D slice x[begin:end:stride] (a scalar when shrink)."""

    begin: int | None
    end: int | None
    stride: int
    shrink: bool


def prepare_slice(graph: Graph, op: Operator, rounding: str) -> SliceParams:
    arity(op, (4,))
    x = tensor(graph, op, 0, "input", ("int32", "int64"))
    require(len(x.shape) == 1, op, "STRIDED_SLICE: only 1-D shape vectors are supported", True)
    begin, end, stride = (
        int(const(op, tensor(graph, op, i, r, ("int32",)), r).reshape(-1)[0])
        for i, r in ((1, "begin"), (2, "end"), (3, "strides"))
    )
    o = op.options
    require(
        not (o.get("ellipsis_mask") or o.get("new_axis_mask") or o.get("offset")),
        op,
        "STRIDED_SLICE: ellipsis_mask / new_axis_mask / offset are not supported",
        True,
    )
    require(stride != 0, op, "STRIDED_SLICE: stride 0")
    shrink = bool(o.get("shrink_axis_mask", 0) & 1)
    if shrink:
        return SliceParams(begin, None, 1, True)
    return SliceParams(
        None if o.get("begin_mask", 0) & 1 else begin,
        None if o.get("end_mask", 0) & 1 else end,
        stride,
        False,
    )


def run_slice(p: SliceParams, x: np.ndarray, *_constants) -> np.ndarray:
    if p.shrink:
        return np.asarray(x[p.begin])
    return x[p.begin : p.end : p.stride].copy()


@dataclass(frozen=True)
class PackParams:
    axis: int


def prepare_pack(graph: Graph, op: Operator, rounding: str) -> PackParams:
    require(len(op.inputs) >= 1 and len(op.outputs) == 1, op, "PACK: bad arity")
    y = tensor(graph, op, -1, "output", ("int32", "int64"))
    for i in range(len(op.inputs)):
        tensor(graph, op, i, f"input {i}", (y.dtype,))
    count = op.options.get("values_count", len(op.inputs))
    require(count == len(op.inputs), op, f"PACK: values_count {count}, {len(op.inputs)} inputs")
    return PackParams(op.options.get("axis", 0))


def run_pack(p: PackParams, *xs: np.ndarray) -> np.ndarray:
    return np.stack([np.asarray(x) for x in xs], axis=p.axis)
