"""Helpers shared by the kernels' prepare steps: checked access to an operator's tensors."""

from __future__ import annotations

import numpy as np

from tinyflash.runtime.errors import ModelFormatError, UnsupportedOperatorError
from tinyflash.runtime.graph import Graph, Operator, Quantization, Tensor
from tinyflash.runtime.quantize import round_half_away_from_zero

__all__ = [
    "activation_range",
    "arity",
    "attr",
    "const",
    "per_tensor",
    "quantization",
    "require",
    "tensor",
]


def require(cond: bool, op: Operator, message: str, unsupported: bool = False) -> None:
    """Raise ModelFormatError (or UnsupportedOperatorError) naming the operator unless cond."""
    if not cond:
        cls = UnsupportedOperatorError if unsupported else ModelFormatError
        raise cls(f"{op.name or op.op}: {message}")


def arity(op: Operator, n_in: tuple[int, ...], n_out: int = 1) -> None:
    require(len(op.inputs) in n_in, op, f"expected {n_in} inputs, found {len(op.inputs)}")
    require(len(op.outputs) == n_out, op, f"expected {n_out} outputs, found {len(op.outputs)}")


def tensor(graph: Graph, op: Operator, slot: int, role: str, dtypes: tuple[str, ...]) -> Tensor:
    """The tensor in input slot `slot` (or output slot -1 - slot), dtype-checked."""
    index = op.inputs[slot] if slot >= 0 else op.outputs[-1 - slot]
    require(index != -1, op, f"{role}: required tensor is absent")
    t = graph.tensors[index]
    require(
        t.dtype in dtypes,
        op,
        f"{role} {t.name!r}: dtype {t.dtype}, supported: {list(dtypes)}",
        unsupported=True,
    )
    return t


def broadcast_inputs(graph: Graph, op: Operator) -> tuple[Tensor, Tensor, Tensor]:
    """The two inputs and the output of an element-wise binary operator (ADD, MUL): one dtype
    (int8 or float32), input shapes that broadcast. Returns (input 1, input 2, output)."""
    arity(op, (2,))
    a = tensor(graph, op, 0, "input 1", ("int8", "float32"))
    b = tensor(graph, op, 1, "input 2", (a.dtype,))
    y = tensor(graph, op, -1, "output", (a.dtype,))
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        require(False, op, f"{op.op}: input shapes {a.shape} and {b.shape} do not broadcast")
    return a, b, y


def const(op: Operator, t: Tensor, role: str) -> np.ndarray:
    if t.data is None:
        raise UnsupportedOperatorError(f"{op.name or op.op}: {role} {t.name!r} must be a constant")
    return t.data


def quantization(op: Operator, t: Tensor, role: str) -> Quantization:
    if t.quant is None:
        raise ModelFormatError(f"{op.name or op.op}: {role} {t.name!r} has no quantization")
    return t.quant


def per_tensor(op: Operator, t: Tensor, role: str) -> tuple[float, int]:
    """(scale, zero_point) of a per-tensor quantized tensor."""
    q = quantization(op, t, role)
    require(
        q.scale.size == 1,
        op,
        f"{role} {t.name!r}: expected per-tensor quantization, found {q.scale.size} scales",
        unsupported=True,
    )
    return float(q.scale[0]), int(q.zero_point[0])


def activation_range(fused: str, scale: float, zero_point: int, dtype: str) -> tuple[int, int]:
    """TFLite CalculateActivationRangeQuantized: clamp bounds of a fused activation, quantizing
    0, 6, -1, 1 with round-half-away(f / scale) in float32, intersected with the dtype range."""
    info = np.iinfo(dtype)

    def q(f: float) -> int:
        quotient = np.asarray(np.float32(f) / np.float32(scale))
        return zero_point + int(round_half_away_from_zero(quotient))

    lo, hi = int(info.min), int(info.max)
    if fused == "RELU":
        return max(lo, q(0.0)), hi
    if fused == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if fused == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    assert fused == "NONE", fused
    return lo, hi


FLOAT_RANGES = {
    "NONE": (-np.inf, np.inf),
    "RELU": (0.0, np.inf),
    "RELU6": (0.0, 6.0),
    "RELU_N1_TO_1": (-1.0, 1.0),
}


def attr(op: Operator, name: str, default, kind: type):
    """An option/attribute of `kind` (int or float), or `default` when absent."""
    value = op.options.get(name, default)
    ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
    require(
        ok and not isinstance(value, bool),
        op,
        f"attribute {name!r}: expected {kind.__name__}, found {value!r}",
    )
    return value
