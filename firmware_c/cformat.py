"""C text helpers for the generator: exact literals, array bodies, and the kernel sources.

Literals are exact and byte-reproducible: integers as integers; float32 as the shortest text
that reads back to the same float32 (np.format_float_scientific(unique=True)) with an `f`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

__all__ = ["c_array", "c_float", "c_identifier_ok", "kernel_source"]

HERE = Path(__file__).resolve().parent

# Kernel sources in the order they are inlined; the header first.
INT8_SOURCES = (
    "tfk_kernels.h",
    "tfk_fixedpoint.c",
    "tfk_fully_connected.c",
    "tfk_softmax.c",
    "tfk_lut.c",
)
FLOAT_SOURCES = ("tfk_float.h", "tfk_float.c")

_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while _Bool _Complex _Imaginary".split()
)


def c_identifier_ok(name: str) -> bool:
    """True for a C identifier that is not a keyword and not reserved (_X or __)."""
    return (
        re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) is not None
        and name not in _C_KEYWORDS
        and "__" not in name
    )


def c_float(v: float | np.floating) -> str:
    """float32 value -> shortest exact C literal, e.g. 3.9215687e-03f; never NaN/inf."""
    f = np.float32(v)
    if not np.isfinite(f):
        raise ValueError(f"cannot write non-finite float {f!r} as a C literal")
    return np.format_float_scientific(f, unique=True, exp_digits=2) + "f"


def c_array(values: np.ndarray, per_line: int, fmt=str, indent: str = "    ") -> str:
    """Comma-separated body of a C initializer, `per_line` values a line."""
    flat = [fmt(v) for v in np.asarray(values).reshape(-1).tolist()]
    lines = [
        indent + ", ".join(flat[i : i + per_line]) + ("," if i + per_line < len(flat) else "")
        for i in range(0, len(flat), per_line)
    ]
    return "\n".join(lines)


def kernel_source(names: tuple[str, ...], prefix: str) -> str:
    """The kernel .h/.c files concatenated, with the tfk_/TFK_ placeholder prefix renamed to
    the model's private prefix (`mnist__`, `MNIST__`) and local #include lines dropped."""
    low, up = f"{prefix.lower()}__", f"{prefix.upper()}__"
    parts = []
    for name in names:
        text = (HERE / name).read_text(encoding="utf-8")
        text = re.sub(r'^#include "tfk_[a-z0-9_]+\.h"\n', "", text, flags=re.M)
        # Identifiers only (a letter follows): prose such as `tfk_` or tfk_*.c stays as is.
        text = re.sub(r"\btfk__?(?=[A-Za-z])", low, text)
        text = re.sub(r"\bTFK__?(?=[A-Za-z])", up, text)
        parts.append(f"/* ---- firmware_c/{name} ---- */\n{text.strip()}\n")
    return "\n".join(parts)
