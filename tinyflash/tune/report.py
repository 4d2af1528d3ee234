"""What a tune study found: the Pareto front, plots, report.html, best.toml.

    rows = trial_rows(study)                 # one Row per completed, counted trial
    front = pareto(rows)                     # no other row is as good in all four objectives
    paths = write_report(out, study, budget)   # tune.json, report.md, report.html, *.png,
                                               # best.toml (if a trial meets the budget)

A row dominates another when its accuracy is >= and its flash, RAM and instructions are <=,
one of them strictly. The best model is the feasible row (every figure within the budget) of
the highest int8 accuracy, then the least flash.
"""

from __future__ import annotations

import base64
import html
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tinyflash.tune.budget import Budget

__all__ = ["Row", "best", "pareto", "table_lines", "trial_rows", "write_report"]


@dataclass(frozen=True)
class Row:
    """One completed trial, as the report shows it."""

    number: int
    model: str
    accuracy: float
    flash: int
    ram: int
    instructions: int
    feasible: bool
    estimated: bool
    run_dir: str
    config_toml: str

    def dominates(self, other: Row) -> bool:
        mine = (-self.accuracy, self.flash, self.ram, self.instructions)
        theirs = (-other.accuracy, other.flash, other.ram, other.instructions)
        return all(a <= b for a, b in zip(mine, theirs, strict=True)) and mine != theirs


def trial_rows(study: Any) -> list[Row]:
    """Completed trials (surplus and pruned ones have no measurement), by trial number."""
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        m = t.user_attrs.get("measured")
        if m is None or t.user_attrs.get("surplus"):
            continue
        sources = (m["flash_source"], m["ram_source"], m["instructions_source"])
        rows.append(Row(
            number=t.number, model=t.user_attrs.get("model", "?"), accuracy=m["accuracy"],
            flash=m["flash"], ram=m["ram"], instructions=m["instructions"],
            feasible=max(t.user_attrs.get("constraints", [1.0])) <= 0,
            estimated=any("estimated" in s for s in sources),
            run_dir=t.user_attrs.get("run_dir", ""), config_toml=t.user_attrs["config_toml"],
        ))  # fmt: skip
    return sorted(rows, key=lambda r: r.number)


def pareto(rows: list[Row]) -> list[Row]:
    """The rows no other row dominates, by flash then accuracy."""
    front = [r for r in rows if not any(o.dominates(r) for o in rows)]
    return sorted(front, key=lambda r: (r.flash, -r.accuracy))


def best(rows: list[Row]) -> Row | None:
    """The feasible row of the highest accuracy (ties: least flash), or None."""
    feasible = [r for r in rows if r.feasible]
    return min(feasible, key=lambda r: (-r.accuracy, r.flash, r.number), default=None)


HEADER = ("trial", "model", "int8 acc %", "flash B", "RAM B", "instructions", "fits", "figures")


def cells(r: Row) -> tuple[str, ...]:
    return (str(r.number), r.model, f"{100 * r.accuracy:.2f}", f"{r.flash:,}", f"{r.ram:,}",
            f"{r.instructions:,}", "yes" if r.feasible else "no",
            "estimated" if r.estimated else "measured")  # fmt: skip


def table_lines(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|" + "---:|" * 4 + "---|---|"]
    return lines + ["| " + " | ".join(cells(r)) + " |" for r in rows]


def _plot(rows: list[Row], front: list[Row], x: str, limit: int | None, path: Path) -> Path:
    """int8 accuracy (y) against flash or instructions (x, log): within the budget blue, over
    it grey, estimated figures as triangles; the front ringed; the limit a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for feasible, colour, fits in ((True, "tab:blue", "fits"), (False, "tab:gray", "over budget")):
        for estimated, marker in ((False, "o"), (True, "^")):
            pts = [r for r in rows if r.feasible == feasible and r.estimated == estimated]
            if pts:
                label = f"{fits}, {'estimated' if estimated else 'measured'}"
                ax.scatter([getattr(r, x) for r in pts], [100 * r.accuracy for r in pts], s=18,
                           color=colour, marker=marker, label=label)  # fmt: skip
    # the front is over four objectives: in this 2-D view its points are ringed, not joined
    ax.scatter([getattr(r, x) for r in front], [100 * r.accuracy for r in front], s=70,
               facecolors="none", edgecolors="tab:red", label="Pareto front")  # fmt: skip
    if limit is not None:
        ax.axvline(limit, color="black", linestyle="--", linewidth=1, label=f"limit {limit:,}")
    ax.set_xscale("log")
    ax.set_xlabel({"flash": "flash (bytes)", "instructions": "instructions per inference"}[x])
    ax.set_ylabel("int8 test accuracy (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def _html(title: str, summary: list[str], rows: list[Row], front: list[Row],
          images: list[Path]) -> str:  # fmt: skip
    def table(items: list[Row]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells(r)) + "</tr>"
                       for r in items)  # fmt: skip
        return f"<table><tr>{head}</tr>{body}</table>"

    pictures = "".join(
        f'<img alt="{p.stem}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}">'
        for p in images
    )
    items = "".join(f"<li>{html.escape(s)}</li>" for s in summary)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><ul>{items}</ul><h2>Pareto front</h2>{table(front)}"
        f"{pictures}<h2>All completed trials</h2>{table(rows)}</body></html>\n"
    )


def write_report(out: Path, study: Any, budget: Budget) -> dict[str, Any]:
    """Write the report files into out; returns {"rows", "front", "best", "files"}."""
    from optuna.trial import TrialState

    from tinyflash import atomic

    out = Path(out)
    rows = trial_rows(study)
    front = pareto(rows)
    chosen = best(rows)
    trials = study.get_trials(deepcopy=False)
    pruned = [t for t in trials if t.state == TrialState.PRUNED and not t.user_attrs.get("surplus")]
    summary = [
        f"budget: {budget.describe()}",
        f"{len(rows)} trials trained and measured, {len(pruned)} pruned before training "
        f"(cannot fit), {sum(r.feasible for r in rows)} within the budget",
        "best within the budget: "
        + (f"trial {chosen.number}, {chosen.model}, int8 {100 * chosen.accuracy:.2f} %, "
           f"{chosen.flash:,} B flash, {chosen.ram:,} B RAM, {chosen.instructions:,} "
           f"instructions ({chosen.run_dir}; best.toml)" if chosen else "none"),
    ]  # fmt: skip
    files: list[Path] = []
    if rows:
        files.append(_plot(rows, front, "flash", budget.flash, out / "accuracy_vs_flash.png"))
        files.append(_plot(rows, front, "instructions", budget.max_instructions,
                           out / "accuracy_vs_instructions.png"))  # fmt: skip
    title = f"tinyflash tune: {study.study_name}"
    md = [f"# {title}", "", *[f"- {s}" for s in summary], "", "## Pareto front", "",
          *table_lines(front), "", "## All completed trials", "", *table_lines(rows),
          ""]  # fmt: skip
    pictures = list(files)
    files.append(atomic.write_text(out / "report.md", "\n".join(md)))
    page = _html(title, summary, rows, front, pictures)
    files.append(atomic.write_text(out / "report.html", page))
    doc = {"budget": budget.to_dict(), "summary": summary, "best": chosen and asdict(chosen),
           "front": [r.number for r in front], "trials": [asdict(r) for r in rows]}  # fmt: skip
    files.append(atomic.write_json(out / "tune.json", doc))
    if chosen is not None:
        files.append(atomic.write_text(out / "best.toml", chosen.config_toml))
    else:
        (out / "best.toml").unlink(missing_ok=True)  # an earlier study's
    return {"rows": rows, "front": front, "best": chosen, "summary": summary, "files": files}
