"""PACK: stack small int32/int64 values along a new axis (the converter's Flatten builds the
RESHAPE target [n, -1] with it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import require, tensor

__all__ = ["PackParams", "prepare", "run"]


@dataclass(frozen=True)
class PackParams:
    axis: int


def prepare(graph: Graph, op: Operator, rounding: str) -> PackParams:
    require(len(op.inputs) >= 1 and len(op.outputs) == 1, op, "PACK: bad arity")
    y = tensor(graph, op, -1, "output", ("int32", "int64"))
    for i in range(len(op.inputs)):
        tensor(graph, op, i, f"input {i}", (y.dtype,))
    count = op.options.get("values_count", len(op.inputs))
    require(count == len(op.inputs), op, f"PACK: values_count {count}, {len(op.inputs)} inputs")
    return PackParams(op.options.get("axis", 0))


def run(p: PackParams, *xs: np.ndarray) -> np.ndarray:
    return np.stack([np.asarray(x) for x in xs], axis=p.axis)
