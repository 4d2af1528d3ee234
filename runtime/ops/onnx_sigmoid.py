"""ONNX Sigmoid, float32, as MLAS's logistic: clamp to [-18, 18], x * P(x^2) / Q(x^2) + 1/2
(onnx_math.sigmoid: bit-identical to onnxruntime on x86-64 with AVX-512F / FMA3, the last bit may
differ on other CPUs; tests/runtime/test_onnx.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops import onnx_math
from tinyflash.runtime.ops.common import arity, tensor

__all__ = ["OnnxSigmoidParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxSigmoidParams:
    """No constants."""


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxSigmoidParams:
    arity(op, (1,))
    tensor(graph, op, 0, "input 0", ("float32",))
    return OnnxSigmoidParams()


def run(p: OnnxSigmoidParams | None, x: np.ndarray) -> np.ndarray:
    """(N, ...) float32 -> same shape."""
    return onnx_math.sigmoid(x)
