"""ONNX Softmax over the last axis, float32, as MLAS computes it (onnx_math.softmax: exp
polynomial, 16-lane sum; bit-identical to onnxruntime on x86-64 with AVX-512F, the last bit may
differ on other CPUs; tests/runtime/test_onnx.py). Another axis is refused."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops import onnx_math
from tinyflash.runtime.ops.common import arity, attr, require, tensor

__all__ = ["OnnxSoftmaxParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxSoftmaxParams:
    """No constants (the axis is the last, checked)."""


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxSoftmaxParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input 0", ("float32",))
    axis = attr(op, "axis", -1, int)
    require(
        axis in (-1, len(x.shape) - 1),
        op,
        "Softmax over an axis other than the last is not supported",
        unsupported=True,
    )
    return OnnxSoftmaxParams()


def run(p: OnnxSoftmaxParams | None, x: np.ndarray) -> np.ndarray:
    """(N, ..., D) float32 -> same shape, each row over D summing to ~1."""
    return onnx_math.softmax(x)
