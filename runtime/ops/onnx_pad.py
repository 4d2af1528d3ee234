"""ONNX Pad (opset 13+): pad every axis but the batch, mode "constant" (a constant value, default
0), "reflect" or "edge" (numpy's modes of the same names are the ONNX definitions). Exact.

    x (N, d1, ..., dk); pads (2 * rank,) int64 constant [begin_0, ..., begin_k, end_0, ..., end_k]
    (non-negative; the batch axis 0 unpadded); constant_value: optional scalar constant;
    axes (opset 18): refused unless absent.  y (N, d1 + b1 + e1, ...), x's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, require, tensor

__all__ = ["MODES", "OnnxPadParams", "prepare", "run"]

MODES = ("constant", "reflect", "edge")
DTYPES = ("float32", "int8", "uint8")


@dataclass(frozen=True, eq=False)
class OnnxPadParams:
    """widths: ((before, after),) per axis, (0, 0) for the batch; mode; value: the constant."""

    widths: tuple[tuple[int, int], ...]
    mode: str
    value: float | int


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxPadParams:
    arity(op, (2, 3))
    x = tensor(graph, op, 0, "data", DTYPES)
    tensor(graph, op, -1, "output", (x.dtype,))
    mode = op.options.get("mode", "constant")
    require(
        mode in MODES, op, f"Pad: mode {mode!r} is not supported; supported: {list(MODES)}", True
    )
    rank = len(x.shape)
    pads = const(op, tensor(graph, op, 1, "pads", ("int64",)), "pads").astype(np.int64).ravel()
    require(pads.size == 2 * rank, op, f"Pad: {pads.size} pads for a rank-{rank} input")
    widths = tuple((int(pads[i]), int(pads[i + rank])) for i in range(rank))
    require(
        min(pads.tolist()) >= 0,
        op,
        f"Pad: pads {pads.tolist()}: negative pads (cropping) are not supported",
        unsupported=True,
    )
    require(
        widths[0] == (0, 0),
        op,
        f"Pad: pads {pads.tolist()} pad the batch axis; supported: 0 on axis 0",
        unsupported=True,
    )
    value: float | int = 0
    if len(op.inputs) == 3 and op.inputs[2] != -1:
        v = const(op, tensor(graph, op, 2, "constant_value", (x.dtype,)), "constant_value")
        require(v.size == 1, op, f"Pad: constant_value of shape {v.shape}, expected a scalar")
        value = v.reshape(()).item()
    return OnnxPadParams(widths, mode, value)


def run(p: OnnxPadParams, x: np.ndarray, *_constants) -> np.ndarray:
    """(N, d1, ...) -> (N, d1 + b1 + e1, ...), same dtype."""
    if p.mode == "constant":
        return np.pad(x, p.widths, mode="constant", constant_values=p.value)
    if p.mode == "edge":
        return np.pad(x, p.widths, mode="edge")
    return np.pad(x, p.widths, mode="reflect")
