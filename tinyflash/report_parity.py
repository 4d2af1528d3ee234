"""Parity math: compare executors' output vectors pair by pair, and check the contracts.

An executor's result is an `Outputs`: one output vector per input row, (N, classes), either
float32 probabilities or int8 codes with the output tensor's (scale, zero_point). Two int8
results with the same quantization are compared code by code (differences in LSBs); any
other pair is compared on real values (int8 codes are dequantized: real = scale * (q - zp)).

Contracts name executors that must agree (see CONTRACTS): the int8 executors of one rounding
mode bit-exactly, the float executors within FLOAT_TOLERANCE. Everything else is reported with
its measured disagreement and breaks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = [
    "CONTRACTS",
    "FLOAT_TOLERANCE",
    "Outputs",
    "PairStats",
    "Violation",
    "check_contracts",
    "compare",
    "parity_matrix",
]

# Absolute tolerance of the float contract, on softmax probabilities in [0, 1]. Float32
# executors may sum the 784-term dot products in different orders (SIMD widths, fused
# kernels), which moves the result by a few ULPs, ~1e-7 here; 1e-5 leaves a margin of 100x
# yet catches a wrong weight or a missing bias at once.
FLOAT_TOLERANCE = 1e-5

# contract name -> (what it promises, tolerance: 0 means bit-exact int8 codes).
CONTRACTS: dict[str, tuple[str, float]] = {
    "tflm": ("int8, TFLM rounding: bit-exact", 0.0),
    "litert": ("int8, LiteRT reference rounding: bit-exact", 0.0),
    "float": (f"float32: within {FLOAT_TOLERANCE:g} absolute", FLOAT_TOLERANCE),
}


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
    agree: fraction of rows that agree: identical int8 codes, or real values within
        FLOAT_TOLERANCE (for int8 vs float pairs this is near 0: quantization error).
    argmax: fraction of rows with the same predicted class.
    first_mismatch: index of the first row that is not identical, or None.
    row_diff: (N,) float64, the largest difference in each row (not written to JSON).
    """

    a: str
    b: str
    n: int
    exact: float
    max_diff: float
    unit: str
    agree: float
    argmax: float
    first_mismatch: int | None
    row_diff: np.ndarray

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "row_diff"}


def compare(a_name: str, a: Outputs, b_name: str, b: Outputs) -> PairStats:
    """Compare two executors' outputs row by row (both (N, classes), same N)."""
    if a.values.shape != b.values.shape:
        raise ValueError(
            f"{a_name} vs {b_name}: output shapes differ: {a.values.shape} vs {b.values.shape}"
        )
    if a.quant is not None and a.quant == b.quant:
        diff = np.abs(a.values.astype(np.int64) - b.values.astype(np.int64))
        unit = "LSB"
    else:
        diff = np.abs(a.real() - b.real())
        unit = "abs"
    same = ~np.any(a.values != b.values, axis=1) if unit == "LSB" else ~np.any(diff != 0, axis=1)
    mismatches = np.flatnonzero(~same)
    n = len(same)
    row_diff = diff.max(axis=1).astype(np.float64) if n else np.zeros(0)
    return PairStats(
        a=a_name,
        b=b_name,
        n=n,
        exact=float(same.mean()) if n else 1.0,
        max_diff=float(diff.max()) if diff.size else 0.0,
        unit=unit,
        agree=float((row_diff <= (0 if unit == "LSB" else FLOAT_TOLERANCE)).mean()) if n else 1.0,
        argmax=float((a.values.argmax(1) == b.values.argmax(1)).mean()) if n else 1.0,
        first_mismatch=int(mismatches[0]) if len(mismatches) else None,
        row_diff=row_diff,
    )


def parity_matrix(outputs: dict[str, Outputs]) -> list[PairStats]:
    """Every unordered pair of executors, in the order the executors were given."""
    return [compare(a, outputs[a], b, outputs[b]) for a, b in combinations(outputs, 2)]


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


def check_contracts(pairs: list[PairStats], contract_of: dict[str, str | None]) -> list[Violation]:
    """The pairs inside one contract that break it: not bit-exact, or beyond the tolerance.

    contract_of: executor name -> contract name (a key of CONTRACTS) or None for none.
    """
    broken = []
    for p in pairs:
        contract = contract_of.get(p.a)
        if contract is None or contract != contract_of.get(p.b):
            continue
        tolerance = CONTRACTS[contract][1]
        over = np.flatnonzero(p.row_diff > tolerance)
        if len(over):
            broken.append(Violation(contract, p.a, p.b, int(over[0]), p.max_diff, p.unit))
    return broken
