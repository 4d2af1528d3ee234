"""Affine (de)quantization exactly as TFLite's QUANTIZE and DEQUANTIZE reference kernels do it.

    real = scale * (q - zero_point)

QUANTIZE (float32 -> int8/uint8/int16), tflite reference_ops::AffineQuantize, also TFLM:
    q = clamp(round_half_away_from_zero(x / scale) + zero_point, dtype_min, dtype_max)
with the division done in float32 (`x / (float)scale`), as the C++ does.

DEQUANTIZE (int -> float32), reference_ops::Dequantize:
    x = (float)((double)scale * (q - zero_point))
i.e. the product is taken in double and rounded once to float32.

Both are plain functions of numpy arrays, any shape, so the exporter, the interpreter and the
tests share one definition. Note: Python's `round` and `np.rint` round half to EVEN; TFLite
rounds half AWAY from zero (std::round). `round_half_away_from_zero` is the one place we do it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dequantize", "quantize", "round_half_away_from_zero", "QUANT_DTYPES"]

QUANT_DTYPES = ("int8", "uint8", "int16")


def round_half_away_from_zero(v: np.ndarray) -> np.ndarray:
    """std::round: nearest integer, ties away from zero. Returns float64, same shape.

    Computed in float64: for float32 inputs |v| + 0.5 is exact there (float32 has 24 mantissa
    bits, float64 52), so floor(|v| + 0.5) is the exact rounding, unlike the same sum in float32
    (0.49999997f + 0.5f rounds up to 1.0f).
    """
    v64 = np.asarray(v, dtype=np.float64)
    return np.copysign(np.floor(np.abs(v64) + 0.5), v64)


def quantize(x: np.ndarray, scale: float, zero_point: int, dtype: str = "int8") -> np.ndarray:
    """float32 array (any shape) -> `dtype` array of the same shape, TFLite QUANTIZE semantics.

    scale: the output tensor's float32 scale (> 0); zero_point: its integer zero point.
    Values whose quotient lies beyond the int32 range (including +-inf) saturate to the dtype
    limits; NaN maps to zero_point clamped (TFLite's C++ leaves both undefined).
    """
    if dtype not in QUANT_DTYPES:
        raise ValueError(f"quantize: dtype must be one of {QUANT_DTYPES}, found {dtype!r}")
    scale32 = np.float32(scale)
    if not (np.isfinite(scale32) and scale32 > 0):
        raise ValueError(f"quantize: scale must be finite and > 0, found {scale!r}")
    info = np.iinfo(dtype)
    quotient = np.asarray(x, dtype=np.float32) / scale32  # float32 division, as in C++
    rounded = round_half_away_from_zero(quotient)
    rounded = np.nan_to_num(rounded, nan=0.0)
    # Clamp before the integer conversion so nothing can overflow int64.
    q = np.clip(rounded, -(2.0**31), 2.0**31 - 1).astype(np.int64) + int(zero_point)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(
    q: np.ndarray, scale: float | np.ndarray, zero_point: int | np.ndarray
) -> np.ndarray:
    """Integer array (any shape) -> float32 of the same shape: float32(double(scale) * (q - zp)).

    scale / zero_point may be scalars, or arrays broadcastable against q (per-channel).
    """
    scale64 = np.asarray(scale, dtype=np.float32).astype(np.float64)
    diff = np.asarray(q, dtype=np.int64) - np.asarray(zero_point, dtype=np.int64)
    return (scale64 * diff).astype(np.float32)
