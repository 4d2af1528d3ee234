"""report.md and report.html from verify's result document (verify.json).

Both hold the same sections: verdict, reproduce commands, executors, contracts, the parity
matrix, accuracy per artifact, footprint per MCU target, latency, training figures. The HTML
is one self-contained file (figures inline as base64 PNG, CSS inline, no script); the
Markdown links the same figures: its own under report/, the training ones where they are.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import json
from pathlib import Path
from typing import Any

__all__ = [
    "footprint_rows",
    "render_html",
    "render_markdown",
    "run_summary_tables",
    "sections",
    "write_reports",
]

# Figures the training stage leaves in the run folder, shown when present.
TRAINING_FIGURES = {
    "training_curves.png": "Training curves",
    "confusion_matrix.png": "Confusion matrix (Keras float, test set)",
    "misclassified.png": "Misclassified test digits",
}
VERSIONS = ("tinyflash", "numpy", "tensorflow-cpu", "keras", "ai-edge-litert", "tflite-micro",
            "onnx", "onnxruntime", "tf2onnx")  # fmt: skip


def _versions() -> dict[str, str]:
    found = {}
    for name in VERSIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"
    return str(v)


FOOTPRINT_COLUMNS = {  # footprint.json row key -> column title
    "core": "core", "opt": "-O", "flash_total": "model flash (B)",
    "constants": "of which constants (B)", "code": "code (B)", "arena_bss": "RAM arena .bss (B)",
    "stack_bytes": "stack high-water (B)",
}  # fmt: skip


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def footprint_rows(run_dir: Path) -> tuple[list[dict[str, Any]], str]:
    """(rows of footprint.json, written by `tinyflash codegen RUN_DIR`; a note).

    No rows when there is no footprint.json or it measured another int8 header than the
    manifest lists; the note then says why (e.g. "skipped: arm-none-eabi-gcc not found").
    """
    data = _read_json(run_dir / "footprint.json")
    if isinstance(data, dict) and isinstance(data.get("targets"), list):
        manifest = _read_json(run_dir / "manifest.json") or {}
        header = manifest.get("artifacts", {}).get("header_int8", {}).get("sha256")
        if header and data.get("header_sha256") not in (None, header):
            return [], ("not shown: footprint.json measured another int8 header; "
                        "`tinyflash codegen RUN_DIR` measures this one")  # fmt: skip
        rows = [r for r in data["targets"] if isinstance(r, dict)]
        if rows:
            return rows, str(data.get("toolchain", "toolchain not recorded"))
    codegen = (_read_json(run_dir / "pipeline.json") or {}).get("codegen", {})
    recorded = codegen.get("footprint", "") if isinstance(codegen, dict) else ""
    if recorded.startswith(("footprint skipped", "footprint failed")):
        return [], recorded.removeprefix("footprint ")
    from tinyflash.firmware_c.footprint import skip_reason

    return [], skip_reason() or (
        "not measured: footprint.json is written by `tinyflash codegen RUN_DIR` (and the "
        "codegen stage of `tinyflash run`)"
    )


def _footprint_section(
    run_dir: Path, doc: dict[str, Any]
) -> tuple[str, list[str], list[list[str]]]:
    rows, note = footprint_rows(run_dir)
    if rows:
        keys = [k for k in FOOTPRINT_COLUMNS if any(k in r for r in rows)]
        table = [[f"{r[k]:,}" if isinstance(r.get(k), int) else _fmt(r.get(k)) for k in keys]
                 for r in rows]  # fmt: skip
        return (f"Footprint per MCU target ({note})", [FOOTPRINT_COLUMNS[k] for k in keys], table)
    header = next((run_dir / e["file"] for e in doc.get("executors", [])
                   if e["artifact"] == "header_int8" and "file" in e), None)  # fmt: skip
    stated = header_footprint(header) if header else None
    table = [[f"per core: {note}", "-", "-", "-", "-"]]
    if stated:
        table.append(["any core (as the int8 header states it)", f"{stated['constants']:,}",
                      "-", f"{stated['arena']:,}", f"{stated['macs']:,}"])  # fmt: skip
    return ("Footprint per MCU target",
            ["target", "flash constants (B)", "code (B)", "RAM arena (B)", "multiply-accumulates"],
            table)  # fmt: skip


def _layers_section(run_dir: Path) -> tuple[str, list[str], list[list[str]]] | None:
    """The int8 model's operators as `tinyflash inspect` counts them (any model: MNIST or not),
    or None when the run folder has no int8 .tflite the inspector can read."""
    from tinyflash.inspect import inspect_model

    entry = (_read_json(run_dir / "manifest.json") or {}).get("artifacts", {}).get("tflite_int8")
    if not isinstance(entry, dict) or not (run_dir / str(entry.get("file"))).is_file():
        return None
    try:
        info = inspect_model(run_dir / entry["file"])
    except Exception:  # noqa: BLE001 - the executors report what is wrong with the file
        return None
    rows = [[str(r["index"]), r["op"], "x".join(map(str, r["outputs"][0]["shape"][1:]))
             if r["outputs"] else "-", f"{r['params']:,}", f"{r['int8_bytes']:,}",
             f"{r['macs']:,}"] for r in info["layers"]]  # fmt: skip
    t = info["total"]
    rows.append(["", "total", "", f"{t['params']:,}", f"{t['int8_bytes']:,}", f"{t['macs']:,}"])
    return (f"Layers of {entry['file']} (tinyflash inspect)",
            ["#", "operator", "output", "params", "int8 B", "MACs"], rows)  # fmt: skip


def sections(run_dir: Path, doc: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables: (title, header, rows), shared by both renderers."""
    ex = doc.get("executors", [])
    out = []
    out.append((
        "Executors",
        ["executor", "what", "contract", "status", "accuracy", "max / mean abs error vs float",
         "us/image", "reason"],
        [[e["name"], e["label"], e.get("contract") or "-", e["status"], _fmt(e.get("accuracy")),
          f"{e['error']['max_abs']:.3g} / {e['error']['mean_abs']:.3g} ({e['error']['vs']})"
          if e.get("error") else "-",
          _fmt(e.get("us_per_image"), 1), e.get("reason", "")] for e in ex],
    ))  # fmt: skip
    out.append((
        "Contracts",
        ["contract", "promise", "executors that ran", "verdict"],
        [[k, c["promise"], ", ".join(c["members"]) or "-", c["verdict"]]
         for k, c in doc.get("contracts", {}).items()],
    ))  # fmt: skip
    from tinyflash.report_runfolder import float_vs_int8, int8_executors

    int8 = int8_executors(ex)
    out.append((
        "Parity matrix (every pair of executors that ran)",
        ["a", "b", "identical rows", "rows within tolerance", "max difference",
         "argmax agreement", "first mismatch"],
        [[p["a"], p["b"], _fmt(p["exact"]),
          "n/a (float vs int8)" if float_vs_int8(p["a"], p["b"], int8) else _fmt(p["agree"]),
          f"{_fmt(p['max_diff'], 6)} {p['unit']}", _fmt(p["argmax"]),
          _fmt(p["first_mismatch"])] for p in doc.get("pairs", [])],
    ))  # fmt: skip
    by_artifact: dict[str, list[str]] = {}
    for e in ex:
        if e["status"] == "ran":
            by_artifact.setdefault(e["artifact"], []).append(f"{_measure(e)} ({e['name']})")
    out.append((
        "Accuracy per artifact (test images)" if doc.get("inputs", {}).get("labels", True)
        else "Error per artifact (no labels: max abs difference from float)",
        ["artifact", "per executor"],
        [[k, ", ".join(v)] for k, v in by_artifact.items()],
    ))  # fmt: skip
    out.append(_footprint_section(run_dir, doc))
    layers = _layers_section(run_dir)
    if layers:
        out.append(layers)
    ran = [e for e in ex if e["status"] == "ran"]
    out.append((
        "Latency per executor (whole run incl. loading, divided by rows)",
        ["executor", "seconds", "us/image"],
        [[e["name"], _fmt(e["seconds"], 3), _fmt(e["us_per_image"], 1)] for e in ran],
    ))  # fmt: skip
    out.append(("Versions", ["package", "version"], [[k, v] for k, v in _versions().items()]))
    return out


def commands(run_dir: Path, doc: dict[str, Any]) -> list[str]:
    """The exact commands that reproduce this report."""
    limit = doc.get("inputs", {}).get("test_images")
    extra = "" if limit in (None, 10000) else f" --limit {limit}"
    return [
        f"tinyflash verify {run_dir}{extra}",
        f"tinyflash run --out {run_dir} --from verify",
        f"tinyflash run --out NEW_DIR --config {run_dir / 'config.toml'}   # retrain from scratch",
        "tinyflash verify "
        + f"{run_dir} --require "
        + ",".join(e["name"] for e in doc.get("executors", []) if e["status"] == "ran"),
    ]


def _figures(run_dir: Path, doc: dict[str, Any]) -> list[tuple[str, str, bytes]]:
    """(path relative to the run folder, caption, PNG bytes) of every figure in the report.

    The report's own figures go under report/; the training stage's are used where they are.
    """
    from tinyflash.report_plots import latency_png, parity_png

    names = [e["name"] for e in doc.get("executors", []) if e["status"] == "ran"]
    figs = []
    if len(names) >= 2:
        from tinyflash.report_runfolder import int8_executors

        int8 = int8_executors(doc["executors"])
        figs.append(("report/parity.png", "Parity matrix", parity_png(names, doc["pairs"], int8)))
    if names:
        figs.append(("report/latency.png", "Latency per executor", latency_png(doc["executors"])))
    for name, caption in TRAINING_FIGURES.items():
        if (run_dir / name).is_file():
            figs.append((name, caption, (run_dir / name).read_bytes()))
    return figs


def inputs_text(doc: dict[str, Any]) -> str:
    """One sentence describing the inputs every executor saw."""
    i = doc.get("inputs", {})
    if not i:
        return ""
    return (
        f"Inputs: {i['test_images']:,} test images (pixels / 255) and {i['hostile']} hostile "
        "rows: all -128, all 127, two -128/127 checkerboards, then uniform random int8 codes "
        f"(seed {i['seed']}); float executors get their dequantized values "
        f"(input scale {i['input_quant'][0]:.6g}, zero point {i['input_quant'][1]})."
    )


ONNX_INT8_NOTE = (
    "ort-int8 runs onnxruntime's fused integer kernels, which it picks by CPU; "
    "model_int8.onnx stores its weights as uint8 (w + 128, the same values) so that they give "
    "the same bytes on AVX2 and AVX-512 CPUs (export/README.md, 'int8 ONNX on every CPU'). "
    "Against int8 TFLite it differs on some rows, by 1 LSB where it rounds a requantization "
    "the other way (in float, half to even, not with TFLite's fixed-point multiplier) and by "
    "more after later layers amplify that, so it joins no contract."
)


def notes(doc: dict[str, Any]) -> list[str]:
    """The manifest's notes, and what a reader needs to know about the executors that ran."""
    found = list(doc.get("manifest", {}).get("notes", []))
    ran = {e["name"] for e in doc.get("executors", []) if e.get("status") != "skipped"}
    if "ort-int8" in ran:
        found.append(ONNX_INT8_NOTE)
    return found


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def render_markdown(run_dir: Path, doc: dict[str, Any], figures: list[tuple[str, str]]) -> str:
    parts = [
        f"# tinyflash verify: {doc['verdict'].upper()}",
        "",
        doc.get("summary", ""),
        "",
        inputs_text(doc),
        "",
    ]
    parts += [f"- FAIL: {f}" for f in doc["failures"]] + ([""] if doc["failures"] else [])
    found = notes(doc)
    parts += [f"- note: {n}" for n in found] + ([""] if found else [])
    parts += ["## Reproduce", "", "```sh", *commands(run_dir, doc), "```", ""]
    for title, header, rows in sections(run_dir, doc):
        parts += [f"## {title}", "", _md_table(header, rows), ""]
    parts += ["## Figures", ""] + [f"![{cap}]({name})" for name, cap in figures] + [""]
    return "\n".join(parts)


_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}
.pass{color:#060}.fail{color:#b00}figure{display:inline-block;margin:0 1em 1em 0}
img{max-width:100%;border:1px solid #ddd}"""


def render_html(run_dir: Path, doc: dict[str, Any], figures: list[tuple[str, str, bytes]]) -> str:
    e = html.escape
    verdict = doc["verdict"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>tinyflash verify: {e(verdict)}</title><style>{_CSS}</style></head><body>",
        f'<h1>tinyflash verify: <span class="{e(verdict)}">{e(verdict.upper())}</span></h1>',
        f"<p>{e(doc.get('summary', ''))}</p>",
        f"<p>{e(inputs_text(doc))}</p>",
    ]
    if doc["failures"]:
        parts.append('<ul class="fail">' + "".join(f"<li>{e(f)}</li>" for f in doc["failures"]))
        parts.append("</ul>")
    found = notes(doc)
    if found:
        parts.append("<ul>" + "".join(f"<li>note: {e(n)}</li>" for n in found) + "</ul>")
    parts.append("<h2>Reproduce</h2><pre>" + e("\n".join(commands(run_dir, doc))) + "</pre>")
    for k, (title, header, rows) in enumerate(sections(run_dir, doc)):
        if k == 2:  # figures after the executors and contracts, before the long tables
            parts.append("<h2>Figures</h2>")
            for _, caption, png in figures:
                data = base64.b64encode(png).decode("ascii")
                parts.append(f'<figure><img alt="{e(caption)}" src="data:image/png;base64,'
                             f'{data}"><figcaption>{e(caption)}</figcaption></figure>')  # fmt: skip
        parts.append(f"<h2>{e(title)}</h2><table><tr>")
        parts.append("".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        for r in rows:
            cells = (f'<td class="{c}">{c}</td>' if c in ("pass", "fail")
                     else f"<td>{e(str(c))}</td>" for c in r)  # fmt: skip
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_reports(run_dir: Path, doc: dict[str, Any], *_unused: Any) -> tuple[Path, Path]:
    """Write report.md (+ report/*.png) and the self-contained report.html; return both."""
    from tinyflash.atomic import write_bytes, write_text

    figures = _figures(run_dir, doc)
    for name, _, png in figures:
        if name.startswith("report/"):
            write_bytes(run_dir / name, png)
    md = write_text(
        run_dir / "report.md", render_markdown(run_dir, doc, [(n, c) for n, c, _ in figures])
    )
    page = write_text(run_dir / "report.html", render_html(run_dir, doc, figures))
    return md, page


def _measure(e: dict[str, Any]) -> str:
    """An executor's figure: its accuracy where there were labels, else its error from float
    (verify's "error"; export's difference from Keras), else "-"."""
    if isinstance(e.get("accuracy"), int | float):
        return f"{e['accuracy']:.4f}"
    error = e.get("error") or {}
    if "max_abs" in error:
        return f"max |d| {error['max_abs']:.3g}"
    if "max_abs_diff_vs_keras" in e:
        return f"max |d| {e['max_abs_diff_vs_keras']:.3g}"
    return "-"


def run_summary_tables(out: Path) -> list[Any]:
    """rich Tables closing `tinyflash run`: accuracy per artifact, parity verdicts, footprint.

    Read from the run folder's manifest.json, verify.json and footprint.json (when present).
    """
    from rich.table import Table

    tables = []
    manifest_path, verify_path = out / "manifest.json", out / "verify.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    doc = json.loads(verify_path.read_text()) if verify_path.is_file() else {}
    accuracy: dict[str, list[str]] = {}
    for e in doc.get("executors", []):
        if e.get("status") == "ran":
            accuracy.setdefault(e["artifact"], []).append(f"{e['name']} {_measure(e)}")
    if manifest.get("artifacts"):
        n = doc.get("inputs", {}).get("test_images")
        where = f"{n:,} test images, verify" if n else "test images, export"
        t = Table(title=f"accuracy per artifact ({where})", title_justify="left")
        for column in ("artifact", "file", "bytes", "accuracy (executor)"):
            t.add_column(column, justify="right" if column == "bytes" else "left")
        from tinyflash.report_runfolder import ARTIFACT_KINDS

        order = {k: i for i, k in enumerate(ARTIFACT_KINDS)}
        entries = sorted(manifest["artifacts"].items(), key=lambda kv: order.get(kv[0], 99))
        for kind, entry in entries:
            measured = accuracy.get(kind) or [
                f"{name} {_measure(ev)}" for name, ev in entry.get("evaluation", {}).items()
            ]
            t.add_row(kind, entry.get("file", "?"), f"{entry.get('bytes', 0):,}",
                      ", ".join(measured) or "-")  # fmt: skip
        tables.append(t)
    if doc.get("contracts"):
        t = Table(title=f"parity: {doc['verdict'].upper()} ({doc.get('summary', '')})",
                  title_justify="left")  # fmt: skip
        for column in ("contract", "promise", "executors", "verdict"):
            t.add_column(column)
        for name, c in doc["contracts"].items():
            style = {"pass": "green", "fail": "bold red"}.get(c["verdict"], "yellow")
            t.add_row(name, c["promise"], ", ".join(c["members"]) or "-",
                      f"[{style}]{c['verdict']}[/]")  # fmt: skip
        skipped = [e["name"] for e in doc.get("executors", []) if e.get("status") != "ran"]
        if skipped:
            t.caption = f"not run here: {', '.join(skipped)} (reasons in report.md)"
        tables.append(t)
    rows, note = footprint_rows(out)
    if rows:
        t = Table(title="footprint per MCU target", title_justify="left")
        keys = [k for k in FOOTPRINT_COLUMNS if any(k in r for r in rows)]
        short = {"opt": "-O", "flash_total": "flash B", "constants": "constants B",
                 "code": "code B", "arena_bss": "arena B", "stack_bytes": "stack B"}  # fmt: skip
        for k in keys:
            left = k in ("core", "opt")
            t.add_column(short.get(k, k), justify="left" if left else "right", no_wrap=left)
        for r in rows:
            t.add_row(*(f"{r[k]:,}" if isinstance(r.get(k), int) else str(r.get(k, "-"))
                        for k in keys))  # fmt: skip
        tables.append(t)
    elif "header_int8" in manifest.get("artifacts", {}):
        banner = header_footprint(out / manifest["artifacts"]["header_int8"]["file"])
        if banner:
            t = Table(title="footprint of the int8 header (as its banner states it)",
                      title_justify="left", caption=f"per MCU target: {note}")  # fmt: skip
            for column in ("flash constants (B)", "RAM arena (B)", "multiply-accumulates"):
                t.add_column(column, justify="right")
            t.add_row(*(f"{banner[k]:,}" for k in ("constants", "arena", "macs")))
            tables.append(t)
    return tables


def header_footprint(header: Path) -> dict[str, int] | None:
    """Constants, arena and MAC counts stated in a generated header's banner, or None."""
    import re

    if not header.is_file():
        return None
    with open(header, encoding="utf-8", errors="replace") as f:
        head = f.read(65536)  # the banner (one line per step) and the macros after it
    found = {key: re.search(pattern, head, re.M) for key, pattern in (
        ("constants", r"Footprint: (\d+) B of constant"),
        ("arena", r"^#define \w+_ARENA_SIZE (\d+)$"),
        ("macs", r"^#define \w+_MACS (\d+)$"))}  # fmt: skip
    if not all(found.values()):
        return None
    return {key: int(m.group(1)) for key, m in found.items() if m}
