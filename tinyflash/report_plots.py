"""The report's own figures, as PNG bytes (matplotlib, Agg, no timestamps in the file)."""

from __future__ import annotations

import io
from collections.abc import Collection
from typing import Any

import numpy as np

from tinyflash.report_runfolder import float_vs_int8

__all__ = ["cell_text", "color_floor", "latency_png", "parity_png", "parity_rates"]

_PNG_METADATA = {"Software": None}  # no matplotlib version or date: same data, same bytes


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata=_PNG_METADATA)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def parity_rates(
    names: list[str], pairs: list[dict[str, Any]], int8: Collection[str] = ()
) -> np.ndarray:
    """(len(names), len(names)) float64 agreement rates, 1.0 on the diagonal, NaN where one
    executor is float and the other int8 (names in `int8`): no contract to agree on."""
    index = {n: i for i, n in enumerate(names)}
    rate = np.eye(len(names))
    for p in pairs:
        i, j = index[p["a"]], index[p["b"]]
        mixed = float_vs_int8(p["a"], p["b"], int8)
        rate[i, j] = rate[j, i] = np.nan if mixed else p["agree"]
    return rate


def cell_text(rate: float) -> str:
    """A heat-map cell: "1" only for exact agreement; else 4 decimals rounded down, so 0.99995
    reads 0.9999 (never 1.0000); "n/a" for NaN."""
    if np.isnan(rate):
        return "n/a"
    return "1" if rate == 1.0 else f"{np.floor(rate * 1e4) / 1e4:.4f}"


def color_floor(rate: np.ndarray) -> float:
    """The colour scale's lower end: just below the lowest rate (in steps of 0.001), so 0.998
    and 1.000 get different colours; 0.99 when every compared pair agrees exactly."""
    low = float(np.nanmin(rate)) if np.isfinite(rate).any() else 1.0
    return 0.99 if low >= 1.0 else max(0.0, float(np.floor(low * 1000)) / 1000 - 0.001)


def parity_png(names: list[str], pairs: list[dict[str, Any]], int8: Collection[str] = ()) -> bytes:
    """Heat map of agreement rates (executors x executors), 1.0 on the diagonal.

    Agreement: identical int8 codes, or real values within the float tolerance. A float
    executor and an int8 one (names in `int8`) have no such contract (their difference is the
    quantization error): the cell says "n/a" in grey, so red is only a real disagreement.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rate = parity_rates(names, pairs, int8)
    size = 2.0 + 0.55 * len(names)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#d9d9d9")
    vmin = color_floor(rate)
    image = ax.imshow(np.ma.masked_invalid(rate), vmin=vmin, vmax=1.0, cmap=cmap)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, cell_text(rate[i, j]), ha="center", va="center", fontsize=6)
    ax.set_title(
        "rows that agree: same int8 codes, or float within the float contract's bound\n"
        f"(n/a: float vs int8, not compared; colour scale from {vmin:g})",
        fontsize=10,
    )
    fig.colorbar(image, ax=ax, fraction=0.046)
    return _png(fig)


def latency_png(executors: list[dict[str, Any]]) -> bytes:
    """Horizontal bars: microseconds per image for each executor that ran (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ran = [e for e in executors if e.get("status") == "ran"]
    fig, ax = plt.subplots(figsize=(6, 0.6 + 0.25 * max(len(ran), 1)))
    ax.barh([e["name"] for e in ran], [max(e["us_per_image"], 1e-3) for e in ran])
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("microseconds per image (whole run / rows, incl. load)")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)
