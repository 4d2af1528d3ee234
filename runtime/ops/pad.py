"""PAD: constant padding of the non-batch axes; int8 pads with the output zero point (TFLM and
litert: the quantized zero), float32 with 0.0."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, per_tensor, require, tensor

__all__ = ["PadParams", "prepare", "run"]


@dataclass(frozen=True)
class PadParams:
    """widths: ((before, after), ...) per axis, (0, 0) for the batch; value: the fill."""

    widths: tuple[tuple[int, int], ...]
    value: int | float


def prepare(graph: Graph, op: Operator, rounding: str) -> PadParams:
    arity(op, (2,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    pads = const(op, tensor(graph, op, 1, "paddings", ("int32", "int64")), "paddings")
    require(
        pads.shape == (len(x.shape), 2),
        op,
        f"PAD: paddings of shape {pads.shape}, expected ({len(x.shape)}, 2)",
    )
    widths = tuple((int(a), int(b)) for a, b in pads)
    require(all(a >= 0 and b >= 0 for a, b in widths), op, f"PAD: negative paddings {widths}")
    require(widths[0] == (0, 0), op, "PAD: padding the batch axis is not supported", True)
    out = tuple(d + a + b for d, (a, b) in zip(x.shape, widths, strict=True))
    require(
        tuple(y.shape[1:]) == out[1:], op, f"PAD: output declared {y.shape}, paddings give {out}"
    )
    if x.dtype == "float32":
        return PadParams(widths, 0.0)
    in_q, out_q = per_tensor(op, x, "input"), per_tensor(op, y, "output")
    require(
        np.float32(in_q[0]) == np.float32(out_q[0]) and in_q[1] == out_q[1],
        op,
        f"PAD: input quantization {in_q} differs from the output's {out_q}",
        unsupported=True,
    )
    return PadParams(widths, out_q[1])


def run(p: PadParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (N, d1, ...) -> (N, d1 + before1 + after1, ...), same dtype."""
    return np.pad(x, p.widths, mode="constant", constant_values=p.value)
