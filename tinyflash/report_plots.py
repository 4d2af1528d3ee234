"""The report's own figures, as PNG bytes (matplotlib, Agg, no timestamps in the file)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = ["latency_png", "parity_png"]

_PNG_METADATA = {"Software": None}  # no matplotlib version or date: same data, same bytes


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata=_PNG_METADATA)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def parity_png(names: list[str], pairs: list[dict[str, Any]]) -> bytes:
    """Heat map of agreement rates (executors x executors), 1.0 on the diagonal.

    Agreement: identical int8 codes, or real values within the float tolerance.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index = {n: i for i, n in enumerate(names)}
    rate = np.eye(len(names))
    for p in pairs:
        i, j = index[p["a"]], index[p["b"]]
        rate[i, j] = rate[j, i] = p["agree"]
    size = 2.0 + 0.55 * len(names)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(rate, vmin=0.0, vmax=1.0, cmap="RdYlGn")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            text = "1" if rate[i, j] == 1.0 else f"{rate[i, j]:.3f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=6)
    ax.set_title("rows that agree: same int8 codes, or float within 1e-5")
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
