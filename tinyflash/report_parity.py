"""Parity math: compare executors' output vectors pair by pair, and check the contracts.

An executor's result is an `Outputs`: one output vector per input row, (N, classes), either
float32 probabilities or int8 codes with the output tensor's (scale, zero_point). Two int8
results with the same quantization are compared code by code (differences in LSBs); any
other pair is compared on real values (int8 codes are dequantized: real = scale * (q - zp)).

Contracts name executors that must agree (see CONTRACTS): the int8 executors of one rounding
mode bit-exactly, the float executors within float_tolerance(depth) of the row's magnitude.
Everything else is reported with its measured disagreement and breaks nothing.

The float bound. Two correct float32 executors differ only in how they round: the order of
each sum (SIMD widths, blocking, fused multiply-add) and their exp / tanh. Each operator adds
its own rounding and carries the earlier ones on, so the bound grows with the depth of the model
(runtime Graph.depth: operators on the longest path), and it is relative to max(1, |y|) of the
row, so an output in the hundreds is not held to an absolute bound below its own ULP:

    |y_a - y_b| <= depth x FLOAT_TOLERANCE_PER_OP x max(1, max |y_a|, max |y_b|)  (each row)

FLOAT_TOLERANCE_PER_OP is set from measurements (bench/float_parity.py ->
bench/RESULTS_float_parity.md, 7 float executors, 200 random rows per model, AVX-512 EPYC):
the largest difference per operator of depth is 6.4e-7 (the 784-128-10 MLP on N(0, 1) rows,
3 operators) and 4.1e-7 (MobileNetV1 0.25, 31 operators: Keras, which applies BatchNorm after
the convolution, against the .tflite, where the converter folded it into the weights); the
others stay below 1e-7. The worst case does not grow with depth faster than linearly, and
3.3e-6 per operator leaves a margin of 5x over it and 8x at 31 operators. It is the 1e-5 the
MLP was held to before. A wrong constant still breaks it at once (one classifier bias off by
0.01: tests/verify/test_report_parity.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = [
    "CONTRACTS",
    "FLOAT_TOLERANCE_PER_OP",
    "MLP_DEPTH",
    "Outputs",
    "PairStats",
    "Violation",
    "check_contracts",
    "compare",
    "float_promise",
    "float_tolerance",
    "parity_matrix",
    "tolerance",
]

FLOAT_TOLERANCE_PER_OP = 1e-5 / 3  # relative to max(1, |y|); see the module doc
# FULLY_CONNECTED, FULLY_CONNECTED, SOFTMAX: the MLP the bound was first set on, and the depth
# assumed where no float graph can be read.
MLP_DEPTH = 3

# contract name -> what it promises (the float bound depends on the model: float_tolerance).
CONTRACTS: dict[str, str] = {
    "tflm": "int8, TFLM rounding: bit-exact",
    "litert": "int8, LiteRT reference rounding: bit-exact",
    "float": "float32: within depth x {per_op:.3g} x max(1, |y|)",
}


def float_tolerance(depth: int) -> float:
    """The float contract's bound for a model `depth` operators deep (relative to max(1, |y|))."""
    return max(depth, 1) * FLOAT_TOLERANCE_PER_OP


def float_promise(depth: int | None) -> str:
    """The float contract in words; with the model's depth, its bound too."""
    text = CONTRACTS["float"].format(per_op=FLOAT_TOLERANCE_PER_OP)
    return text if depth is None else f"{text} = {float_tolerance(depth):.3g} ({depth} ops deep)"


def tolerance(contract: str, depth: int) -> float:
    """A contract's bound: 0 (bit-exact codes) for the int8 ones, float_tolerance for float."""
    return float_tolerance(depth) if contract == "float" else 0.0


@dataclass(frozen=True)
class Outputs:
    """One executor's outputs over all inputs.

    values: (N, classes) float32 probabilities, or int8 codes.
    quant: (scale, zero_point) of int8 codes, None for float values.
    """

    values: np.ndarray
    quant: tuple[float, int] | None = None

    def real(self) -> np.ndarray:
        """(N, classes) float64 real values."""
        if self.quant is None:
            return self.values.astype(np.float64)
        scale, zero_point = self.quant
        return scale * (self.values.astype(np.float64) - zero_point)


@dataclass(frozen=True)
class PairStats:
    """How closely two executors agree over the same N inputs.

    exact: fraction of rows whose output vectors are identical.
    max_diff: largest absolute difference, in `unit` ("LSB" for int8 codes of the same
        quantization, "abs" for real values).
    max_scaled_diff: largest difference relative to max(1, |y|) of its row (= max_diff in LSB).
    agree: fraction of rows that agree: identical int8 codes, or real values within the float
        tolerance given to compare (for int8 vs float pairs near 0: quantization error).
    argmax: fraction of rows with the same predicted class.
    first_mismatch: index of the first row that is not identical, or None.
    row_diff: (N,) float64, the largest difference in each row (not written to JSON).
    row_scaled: (N,) float64, row_diff / max(1, |y| of the row) (LSB: row_diff; not in JSON).
    """

    a: str
    b: str
    n: int
    exact: float
    max_diff: float
    max_scaled_diff: float
    unit: str
    agree: float
    argmax: float
    first_mismatch: int | None
    row_diff: np.ndarray
    row_scaled: np.ndarray

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("row_diff", "row_scaled")}


def compare(
    a_name: str,
    a: Outputs,
    b_name: str,
    b: Outputs,
    float_bound: float = float_tolerance(MLP_DEPTH),
) -> PairStats:
    """Compare two executors' outputs row by row (both (N, classes), same N); float_bound:
    the relative difference a row of real values may have and still agree."""
    if a.values.shape != b.values.shape:
        raise ValueError(
            f"{a_name} vs {b_name}: output shapes differ: {a.values.shape} vs {b.values.shape}"
        )
    size = None  # real values: the largest |y| of each row, in either output
    if a.quant is not None and a.quant == b.quant:
        diff = np.abs(a.values.astype(np.int64) - b.values.astype(np.int64))
        unit = "LSB"
    else:
        ra, rb = a.real(), b.real()
        diff = np.abs(ra - rb)
        unit = "abs"
        size = np.maximum(np.abs(ra).max(axis=1, initial=0), np.abs(rb).max(axis=1, initial=0))
    same = ~np.any(a.values != b.values, axis=1) if unit == "LSB" else ~np.any(diff != 0, axis=1)
    mismatches = np.flatnonzero(~same)
    n = len(same)
    row_diff = diff.max(axis=1).astype(np.float64) if n else np.zeros(0)
    row_scaled = row_diff if size is None else row_diff / np.maximum(size, 1.0)
    return PairStats(
        a=a_name,
        b=b_name,
        n=n,
        exact=float(same.mean()) if n else 1.0,
        max_diff=float(diff.max()) if diff.size else 0.0,
        max_scaled_diff=float(row_scaled.max()) if n else 0.0,
        unit=unit,
        agree=float((row_scaled <= (0 if unit == "LSB" else float_bound)).mean()) if n else 1.0,
        argmax=float((a.values.argmax(1) == b.values.argmax(1)).mean()) if n else 1.0,
        first_mismatch=int(mismatches[0]) if len(mismatches) else None,
        row_diff=row_diff,
        row_scaled=row_scaled,
    )


def parity_matrix(outputs: dict[str, Outputs], depth: int = MLP_DEPTH) -> list[PairStats]:
    """Every unordered pair of executors, in the order the executors were given; float rows
    agree within float_tolerance(depth)."""
    bound = float_tolerance(depth)
    return [compare(a, outputs[a], b, outputs[b], bound) for a, b in combinations(outputs, 2)]


@dataclass(frozen=True)
class Violation:
    """A broken contract: `a` and `b` should agree and do not, first at row `row`."""

    contract: str
    a: str
    b: str
    row: int
    max_diff: float
    unit: str

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def check_contracts(
    pairs: list[PairStats], contract_of: dict[str, str | None], depth: int = MLP_DEPTH
) -> list[Violation]:
    """The pairs inside one contract that break it: not bit-exact, or beyond the float bound
    of a model `depth` operators deep.

    contract_of: executor name -> contract name (a key of CONTRACTS) or None for none.
    """
    broken = []
    for p in pairs:
        contract = contract_of.get(p.a)
        if contract is None or contract != contract_of.get(p.b):
            continue
        over = np.flatnonzero(p.row_scaled > tolerance(contract, depth))
        if len(over):
            broken.append(Violation(contract, p.a, p.b, int(over[0]), p.max_diff, p.unit))
    return broken
