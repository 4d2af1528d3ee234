"""ONNX QuantizeLinear / DequantizeLinear (opset 13+), as onnxruntime computes them.

DequantizeLinear: y = float32(x - zero_point) * scale            (float32 product)
QuantizeLinear:   y = saturate(round_half_to_EVEN(x / scale) + zero_point)   (float32 division)
Note the rounding: ONNX (and onnxruntime) round half to even, unlike TFLite's QUANTIZE (half away
from zero, runtime/quantize.py). scale / zero_point: scalars, or 1-D along `axis` (per-axis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, const, require, tensor

__all__ = ["QdqParams", "dequantize_linear", "prepare", "quantize_linear"]


@dataclass(frozen=True, eq=False)
class QdqParams:
    """scale: float32 array broadcastable against the data; zero_point: int64, same shape;
    dtype: the quantized dtype ("int8", "uint8", "int32")."""

    scale: np.ndarray
    zero_point: np.ndarray
    dtype: str


def prepare(graph: Graph, op: Operator, rounding: str) -> QdqParams:
    arity(op, (2, 3))
    quantize = op.op == "QuantizeLinear"
    data = tensor(graph, op, 0, "input", ("float32",) if quantize else ("int8", "uint8", "int32"))
    scale_t = tensor(graph, op, 1, "scale", ("float32",))
    scale = const(op, scale_t, "scale").astype(np.float32)
    has_zp = len(op.inputs) == 3 and op.inputs[2] != -1
    if has_zp:
        zp_t = tensor(graph, op, 2, "zero_point", ("int8", "uint8", "int32"))
        zp = const(op, zp_t, "zero_point").astype(np.int64)
        dtype = zp_t.dtype
    else:
        zp, dtype = np.zeros_like(scale, np.int64), ("uint8" if quantize else data.dtype)
    require(
        zp.shape == scale.shape, op, f"zero_point shape {zp.shape} != scale shape {scale.shape}"
    )
    require(bool(np.all(np.isfinite(scale) & (scale > 0))), op, "scales must be finite and > 0")
    if not quantize:
        require(dtype == data.dtype, op, f"zero_point dtype {dtype} != input dtype {data.dtype}")
    if scale.ndim == 1 and scale.size > 1:
        rank = len(data.shape)
        axis = attr(op, "axis", 1, int)
        axis = axis + rank if axis < 0 else axis
        require(
            0 <= axis < rank and data.shape[axis] in (scale.size, -1),
            op,
            f"{scale.size} per-axis scales do not match axis {axis} of shape {data.shape}",
        )
        shape = [1] * rank
        shape[axis] = scale.size
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    else:
        require(scale.size == 1, op, f"scale must be a scalar or 1-D, found shape {scale.shape}")
        scale, zp = scale.reshape(()), zp.reshape(())
    return QdqParams(scale, zp, dtype)


def dequantize_linear(p: QdqParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: integer array -> float32, same shape."""
    return (x.astype(np.int64) - p.zero_point).astype(np.float32) * p.scale


def quantize_linear(p: QdqParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: float32 -> p.dtype, same shape."""
    info = np.iinfo(p.dtype)
    q = np.rint(x.astype(np.float32) / p.scale).astype(np.float64) + p.zero_point
    return np.clip(np.nan_to_num(q), info.min, info.max).astype(p.dtype)
