"""MLAS's float32 arithmetic, as onnxruntime computes it on x86-64: the SGEMM summation order
(`matmul`, used by ops/onnx_matmul.py and onnx_gemm.py) and the Sigmoid / Tanh / Softmax
approximations (`sigmoid`, `tanh`, `softmax`, used by ops/onnx_sigmoid.py, onnx_tanh.py,
onnx_softmax.py). Pure functions of float32 arrays; no graph, no params.

MatMul / Gemm reproduce onnxruntime's MLAS SGEMM summation order on x86-64: the K dimension in
blocks of stride_k; inside a block one float32 accumulator per output, updated by a fused
multiply-add per k in order (emulated in float64: a*b is exact there, then one rounding of the
sum to float32); the block sums are added to the output in float32. stride_k is 256 when B is a
constant initializer (MLAS packs it once), else MLAS's rule from N (`mlas_stride_k`). A single
row with a computed B takes MLAS's M=1 kernel instead: per group of 4 k, ((p0 + p1) + p2) + p3
with separately rounded products, then added to the running output (`_matmul_m1`). Measured
bit-identical to onnxruntime 1.32 (x86-64, AVX-512/FMA) for every batch size. This matters for
int8 QDQ files, where one last bit can move a QuantizeLinear rounding.

Sigmoid / Tanh / Softmax reproduce the MLAS kernels onnxruntime runs on x86-64 with AVX-512F
(the same rational / polynomial approximations, constants and float32 evaluation order, every
fused multiply-add rounded once: `_fma32`); measured bit-identical to onnxruntime 1.32 on 1e6
float32 values including +-0, subnormals, +-inf and NaN (tests/runtime/test_onnx.py).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MLAS_PACKED_STRIDE_K", "matmul", "mlas_stride_k", "sigmoid", "softmax", "tanh"]

MLAS_PACKED_STRIDE_K = 256


def mlas_stride_k(n: int, k: int) -> int:
    """MLAS SGEMM's K block for an unpacked B of N columns (StrideN 128, StrideK 128, widened
    towards the smaller of the two dimensions)."""
    stride_n, stride_k = 128, 128
    if n >= k:
        while stride_k // 2 >= k:
            stride_n, stride_k = stride_n * 2, stride_k // 2
    else:
        while stride_n > 16 and stride_n // 2 >= n:
            stride_n, stride_k = stride_n // 2, stride_k * 2
    return stride_k


def _matmul_m1(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(1, K) @ (K, N) -> (1, N) as MLAS's M=1 kernel sums: groups of 4, 2, 1 rows of B."""
    f32 = np.float32
    row, out = a.reshape(-1).astype(f32), np.zeros(b.shape[1], f32)
    k = 0
    for group in (4, 2, 1):
        while b.shape[0] - k >= group:
            partial = row[k] * b[k]
            for j in range(1, group):
                partial = (partial + row[k + j] * b[k + j]).astype(f32)
            out = (partial + out).astype(f32)
            k += group
            if group < 4:
                break
    return out.reshape(*a.shape[:-1], b.shape[1])


def matmul(a: np.ndarray, b: np.ndarray, stride_k: int, packed: bool) -> np.ndarray:
    """(M, K) float32 @ (K, N) float32 -> (M, N) float32 in MLAS's order (module docstring)."""
    if a.shape[-1] != b.shape[0]:  # as numpy's matmul: the load-time dry run reports it
        raise ValueError(f"matmul: A has {a.shape[-1]} columns, B has {b.shape[0]} rows")
    if not packed and int(np.prod(a.shape[:-1])) == 1:
        return _matmul_m1(a, b.astype(np.float32))
    at = np.ascontiguousarray(a.reshape(-1, a.shape[-1]).T, dtype=np.float64)  # (K, N)
    b64 = b.astype(np.float64)
    out = np.zeros((at.shape[1], b.shape[1]), np.float32)
    acc = np.empty_like(out)
    term = np.empty(out.shape, np.float64)
    for k0 in range(0, at.shape[0], stride_k):
        acc[...] = 0
        for k in range(k0, min(k0 + stride_k, at.shape[0])):
            np.multiply(at[k][:, None], b64[k], out=term)  # exact product
            np.add(term, acc, out=term)
            acc[...] = term  # one rounding to float32: the FMA
        out = out + acc if k0 else acc.copy()
    return out.reshape(*a.shape[:-1], b.shape[1])


# MLAS float32 activations (onnxruntime/core/mlas/lib: logistic.cpp + x86_64/LogisticKernelFma3.S,
# tanh.cpp + x86_64/TanhKernelFma3.S, compute.cpp + x86_64/TransKernelAvx512F.S). Our own numpy
# transcription: the constants are MLAS's (float32), each step is one float32 rounding.

_F32, _F64 = np.float32, np.float64


def _c(*values: float) -> tuple:
    return tuple(_F32(v) for v in values)


# logistic(x) = x * P(x^2) / Q(x^2) + 1/2 on x clamped to [-18, 18]; P: alpha_9..alpha_1
# (highest first), Q: beta_10..beta_0.
_LOGISTIC_RANGE = _c(-18.0, 18.0)
_LOGISTIC_P = _c(4.37031012579801e-11, 1.15627324459942e-07, 6.08574864600143e-05,
                 8.51377133304701e-03, 2.48287947061529e-01)  # fmt: skip
_LOGISTIC_Q = _c(6.10247389755681e-13, 5.76102136993427e-09, 6.29106785017040e-06,
                 1.70198817374094e-03, 1.16817656904453e-01, 9.93151921023180e-01)  # fmt: skip
# tanh(x) = x * P(x^2) / Q(x^2) on x clamped to [-9, 9]; P: alpha_13..alpha_1, Q: beta_6..beta_0.
_TANH_RANGE = _c(-9.0, 9.0)
_TANH_P = _c(-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
             5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
             4.89352455891786e-03)  # fmt: skip
_TANH_Q = _c(1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
             4.89352518554385e-03)  # fmt: skip
# exp(x) = 2^m * P(r): m = round(x / ln 2) by the 1.5 * 2^23 bias, r = x - m ln2 (high, low);
# P: poly_0..poly_4 then poly_56 (= 1) twice; x clamped below at -150 ln 2.
_EXP_LOWER = _F32(-103.9720840454)
_EXP_BIAS, _EXP_LOG2E = _c(12582912.0, 1.44269504088896341)
_EXP_LN2 = _c(-6.93145752e-1, -1.42860677e-6)
_EXP_P = _c(*(float.fromhex(h) for h in ("0x1.694p-10", "0x1.125edcp-7", "0x1.555b5ap-5",
                                          "0x1.55545p-3", "0x1.fffff6p-2", "1", "1")))  # fmt: skip


def _fma32(a, b, c) -> np.ndarray:
    """float32 a * b + c rounded once, as vfmadd: the product is exact in float64; the float64
    sum's rounding error (TwoSum) breaks the rare tie a second rounding to float32 would get
    wrong. a, b, c: float32 arrays or scalars (broadcast). Returns float32."""
    p = np.asarray(a, _F32).astype(_F64) * np.asarray(b, _F32)
    c = np.asarray(c, _F32).astype(_F64)
    s = p + c
    bp = s - c
    err = (p - bp) + (c - (s - bp))  # p + c == s + err exactly
    r = s.astype(_F32)
    other = np.nextafter(r, np.where(s > r, _F32(np.inf), _F32(-np.inf)))
    tie = ((r.astype(_F64) + other) / 2 == s) & (err != 0)
    if tie.any():  # s is a float32 midpoint only because of the float64 rounding
        toward = np.where(err > 0, np.inf, -np.inf)  # s + err may round back to s
        r = np.where(tie, np.nextafter(s, toward).astype(_F32), r)
    return r


def _horner(x2: np.ndarray, coefficients: tuple) -> np.ndarray:
    """c0 * x2^n + ... + cn, highest first, one fused multiply-add per step (float32)."""
    acc = _fma32(x2, coefficients[0], coefficients[1])
    for c in coefficients[2:]:
        acc = _fma32(x2, acc, c)
    return acc


def _clamp(x: np.ndarray, bounds: tuple) -> np.ndarray:
    """max then min with the constant first, as vmaxps / vminps: a NaN input passes through."""
    lo, hi = bounds
    x = np.where(x < lo, lo, x)
    return np.where(x > hi, hi, x).astype(_F32)


def _exp_avx512(x: np.ndarray) -> np.ndarray:
    """MLAS's AVX-512F exp kernel (TransKernelAvx512F.S) on float32 x <= 0 (softmax inputs)."""
    x = np.where(x < _EXP_LOWER, _EXP_LOWER, x).astype(_F32)
    m = _fma32(x, _EXP_LOG2E, _EXP_BIAS) - _EXP_BIAS  # round to an integer, exact
    r = _fma32(m, _EXP_LN2[1], _fma32(m, _EXP_LN2[0], x))
    p = np.full_like(r, _EXP_P[0])
    for c in _EXP_P[1:]:
        p = _fma32(p, r, c)
    return (p.astype(_F64) * np.exp2(np.floor(m).astype(_F64))).astype(_F32)  # vscalefps


def sigmoid(x: np.ndarray) -> np.ndarray:
    """(N, ...) float32, MLAS's logistic: clamp, x * P(x^2) / Q(x^2) + 1/2, max with 0."""
    with np.errstate(invalid="ignore"):
        v = _clamp(x, _LOGISTIC_RANGE)
        v2 = v * v
        y = (v * _horner(v2, _LOGISTIC_P)) / _horner(v2, _LOGISTIC_Q) + _F32(0.5)
        return np.where(y < 0, _F32(0), y).astype(_F32)  # vmaxps(0, y): NaN passes


def tanh(x: np.ndarray) -> np.ndarray:
    """(N, ...) float32, MLAS's tanh: clamp, x * P(x^2) / Q(x^2)."""
    with np.errstate(invalid="ignore"):
        v = _clamp(x, _TANH_RANGE)
        v2 = v * v
        return ((_horner(v2, _TANH_P) * v) / _horner(v2, _TANH_Q)).astype(_F32)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis of (N, ..., D) float32 as MLAS (compute.cpp): e = exp(x - max);
    the sum in 16 lanes (lane i adds e[i], e[i+16], ... in order), reduced as the AVX-512F kernel
    does (i + i+8, then pairwise within 128-bit halves, then the two halves); e * (1 / sum)."""
    x = np.asarray(x, _F32)
    d = x.shape[-1]
    with np.errstate(invalid="ignore", over="ignore"):
        e = _exp_avx512(x - x.max(axis=-1, keepdims=True))
        lanes = np.zeros((*x.shape[:-1], -(-d // 16) * 16), _F32)
        lanes[..., :d] = e
        acc = lanes[..., :16].copy()
        for k in range(16, lanes.shape[-1], 16):
            acc += lanes[..., k : k + 16]
        s8 = acc[..., :8] + acc[..., 8:]
        s4 = s8[..., 0::2] + s8[..., 1::2]  # (0+1), (2+3) | (4+5), (6+7)
        total = (s4[..., 0] + s4[..., 1]) + (s4[..., 2] + s4[..., 3])
        return e * (_F32(1) / total)[..., None]
