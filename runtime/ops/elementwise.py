"""Shared machinery for the int8 elementwise kernels (LOGISTIC, TANH, RELU...).

Every int8 -> int8 elementwise op is fully described by its value on the 256 possible inputs.
Each kernel module defines its arithmetic as a function of an int8 array (callable on
`ALL_INT8`, the 256 values -128..127), prepare() tabulates it once, and run() is a lookup.
The C generator can emit the same 256-entry table from `Int8Table.table`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["ALL_INT8", "Int8Table", "lookup"]

ALL_INT8 = np.arange(-128, 128, dtype=np.int8)  # (256,) int8: index = value + 128


@dataclass(frozen=True, eq=False)
class Int8Table:
    """Prepared int8 elementwise op: table (256,) int8, table[q + 128] = op(q).

    details: the op's own prepared constants (multipliers, shifts, radius...), read-only.
    """

    op: str
    table: np.ndarray
    rounding: str
    details: Mapping[str, Any]

    def __post_init__(self) -> None:
        self.table.setflags(write=False)
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))


def lookup(p: Int8Table, x: np.ndarray) -> np.ndarray:
    """x: int8 array, any shape -> int8 array, same shape."""
    return p.table[x.astype(np.int16) + 128]
