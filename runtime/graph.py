"""The validated, format-independent model graph: what every reader produces.

Data flows one way: file bytes -> reader (tflite.py / onnx.py) -> `Graph` -> kernels (the
interpreter) or the C generator. A `Graph` is immutable and has been fully validated by the
reader that built it: every index is in range, every constant's byte length matches its shape
and dtype, every quantized tensor has consistent scale/zero-point arrays. Consumers may trust it.

Op names are the format's own: TFLite builtin names ("FULLY_CONNECTED", "SOFTMAX", ...) for
graphs read from .tflite, ONNX op types ("QLinearMatMul", "Gemm", ...) for graphs read from .onnx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Quantization", "Tensor", "Operator", "Graph"]


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale * (q - zero_point).

    scale: (1,) float32 per-tensor, or (C,) float32 per-channel along `axis`.
    zero_point: same shape as scale, int64.
    axis: the quantized dimension for per-channel, None for per-tensor.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    @property
    def per_channel(self) -> bool:
        return self.axis is not None


@dataclass(frozen=True)
class Tensor:
    """One tensor of the graph.

    shape: static shape; the batch dimension of inputs/activations is kept as the file has it
        (TFLite: 1; ONNX: -1 for a symbolic dimension). Kernels batch over axis 0.
    dtype: numpy dtype name: "float32", "int8", "uint8", "int32", "int64".
    data: the constant's value (read-only array of `shape` and `dtype`), or None for
        activations and graph inputs.
    quant: affine quantization parameters, or None for float tensors.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    data: np.ndarray | None = None
    quant: Quantization | None = None


@dataclass(frozen=True)
class Operator:
    """One operator: `outputs = op(inputs)` with its options.

    inputs / outputs: indices into Graph.tensors; -1 marks an absent optional input.
    options: op-specific, already decoded to plain Python values, e.g.
        FULLY_CONNECTED: {"fused_activation": "RELU"}; SOFTMAX: {"beta": 1.0}.
    """

    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class Graph:
    """A whole validated model: tensors, operators in execution order, graph inputs/outputs.

    format: "tflite" or "onnx". sha256: hex digest of the file bytes it was read from.
    """

    format: str
    sha256: str
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)

    def depth(self) -> int:
        """Operators on the longest path from a graph input to a graph output (a chain of N
        operators: N; constants start no path). Float rounding errors add up along such a
        path: tinyflash.report_parity's float contract grows with it."""
        ending: dict[int, int] = {}  # tensor -> operators on the longest path that writes it
        for op in self.operators:  # execution order: every input is written before it is read
            d = 1 + max((ending.get(i, 0) for i in op.inputs if i >= 0), default=0)
            ending.update(dict.fromkeys(op.outputs, d))
        return max((ending.get(o, 0) for o in self.outputs), default=0)
