"""SPACE_TO_BATCH_ND: what TF lowers a dilated Conv2D / SeparableConv2D to (with
BATCH_TO_SPACE_ND after the convolution). NHWC, int8 and float32 (padding with 0.0).
int8 padding differs between the references (measured, tests/runtime/ops/test_batch_to_space_nd.py):
litert BUILTIN_REF pads with the output zero point (the quantized 0.0). TFLM's kernel (int8
and float32) never sets SpaceToBatchParams.output_offset (a persistent buffer it allocates
and does not write), so its pad value is whatever that arena memory held: 0 in a fresh
interpreter, which `tflm` mode uses, and anything after other models ran in the process.
`rounding` selects which.

    padded = pad(x, paddings on H and W)                       (N, Hp, Wp, C)
    y[(i * bw + j) * N + n, h, w, c] = padded[n, h * bh + i, w * bw + j, c]
The batch grows by bh * bw (`batch_scale`, read by the interpreter's shape check).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, const, per_tensor, require, tensor

__all__ = ["SpaceToBatchParams", "block_shape", "prepare", "run"]


@dataclass(frozen=True)
class SpaceToBatchParams:
    """block: (bh, bw); pads: ((top, bottom), (left, right)); value: the fill."""

    block: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    value: int | float

    @property
    def batch_scale(self) -> int:
        """Output batch per input batch row (the interpreter's shape check reads it)."""
        return self.block[0] * self.block[1]


def block_shape(graph: Graph, op: Operator) -> tuple[int, int]:
    """The constant (bh, bw) block of a SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (input 1)."""
    b = const(op, tensor(graph, op, 1, "block_shape", ("int32",)), "block_shape").reshape(-1)
    require(
        b.shape == (2,) and bool(np.all(b >= 1)),
        op,
        f"{op.op}: block_shape {b.tolist()} is not supported; supported: two values >= 1 (H, W)",
        unsupported=True,
    )
    return int(b[0]), int(b[1])


def prepare(graph: Graph, op: Operator, rounding: str) -> SpaceToBatchParams:
    arity(op, (3,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    require(len(x.shape) == 4, op, f"SPACE_TO_BATCH_ND: input must be 4-D NHWC, found {x.shape}")
    block = block_shape(graph, op)
    p = const(op, tensor(graph, op, 2, "paddings", ("int32",)), "paddings")
    require(p.shape == (2, 2) and bool(np.all(p >= 0)), op, f"SPACE_TO_BATCH_ND: paddings {p}")
    pads = ((int(p[0, 0]), int(p[0, 1])), (int(p[1, 0]), int(p[1, 1])))
    for axis, (a, b), k in ((1, pads[0], block[0]), (2, pads[1], block[1])):
        require(
            (x.shape[axis] + a + b) % k == 0,
            op,
            f"SPACE_TO_BATCH_ND: padded size {x.shape[axis] + a + b} is not a multiple of {k}",
        )
    value = 0.0 if x.dtype == "float32" else 0
    if x.dtype == "int8" and rounding == "litert":
        value = per_tensor(op, y, "output")[1]
    return SpaceToBatchParams(block, pads, value)


def run(p: SpaceToBatchParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (N, H, W, C) -> (bh * bw * N, Hp / bh, Wp / bw, C), same dtype."""
    (t, b), (left, r) = p.pads
    padded = np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)), constant_values=p.value)
    n, hp, wp, c = padded.shape
    bh, bw = p.block
    blocks = padded.reshape(n, hp // bh, bh, wp // bw, bw, c).transpose(2, 4, 0, 1, 3, 5)
    return blocks.reshape(bh * bw * n, hp // bh, wp // bw, c)
