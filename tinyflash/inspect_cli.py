"""`tinyflash inspect MODEL`: operators, shapes, parameters, MACs, arena, what is unsupported.

    tinyflash inspect artifacts/model_int8.tflite
    tinyflash inspect sine.tflite --json
    tinyflash inspect my.keras           # converted in memory (tinyflash/inspect_keras.py)

The numbers come from tinyflash.inspect.inspect_model; this module prints them as a table (or
the document as JSON). Standard library only at import time.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_arguments", "render", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .tflite, .onnx or .keras file")
    parser.add_argument("--json", action="store_true", help="print the document as JSON")
    parser.add_argument(
        "--no-flash",
        action="store_true",
        help="do not build the C for each Cortex-M core (no flash figures)",
    )


def _shape(shape: list[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _tensor(t: dict[str, Any] | None) -> str:
    if not t:
        return "?"
    q = "" if t.get("scale") is None else f", scale {t['scale']:.6g}, zero point {t['zero_point']}"
    return f"{t['name']} {_shape(list(t['shape']))} {t['dtype']}{q}"


def render(doc: dict[str, Any]) -> str:
    """The document as the text `tinyflash inspect` prints."""
    lines = [f"{doc['file']}: {doc['format']}, {doc['bytes']:,} bytes, sha256 {doc['sha256']}"]
    if "keras" in doc:
        lines += [f"converted {doc['keras']['converted']}", doc["keras"]["int8"]]
        lines += [doc["keras"]["params_note"]] if "params_note" in doc["keras"] else []
    if "input" in doc:
        lines += [f"input:  {_tensor(doc['input'])} per row", f"output: {_tensor(doc['output'])}"]
    head = f"{'#':>3}  {'operator':<18} {'input':<16} {'output':<16} {'params':>9} " \
           f"{'int8 B':>9} {'MACs':>11}"  # fmt: skip
    lines += ["", head]
    for r in doc["layers"]:
        act = [t for t in r["inputs"] if not t["const"]]
        shape_in = _shape(act[0]["shape"]) if act else "-"
        shape_out = _shape(r["outputs"][0]["shape"]) if r["outputs"] else "-"
        lines.append(
            f"{r['index']:>3}  {r['op']:<18} {shape_in:<16} {shape_out:<16} {r['params']:>9,} "
            f"{r['int8_bytes']:>9,} {r['macs']:>11,}"
        )
    t = doc["total"]
    lines.append(f"{'':>3}  {'total':<52} {t['params']:>9,} {t['int8_bytes']:>9,} {t['macs']:>11,}")
    lines.append(
        f"constants stored in the file: {t['stored_bytes']:,} B (int8 B: weights 1 B each, "
        "biases 4 B each, as a full-integer model stores them)"
    )
    arena = doc["arena"]
    if arena.get("bytes") is not None:
        lines.append(f"arena of the generated C: {arena['bytes']:,} B ({arena['by']})")
    else:
        lines.append(f"arena of the generated C: none: {arena['reason']}")
    lines += _flash(doc.get("flash"))
    if not doc["unsupported"]:
        lines.append("supported: every operator runs in the Python interpreter and in the C")
    groups: dict[tuple[str, str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for u in doc["unsupported"]:
        groups.setdefault((u["stage"], u["reason"], tuple(u["supported"])), []).append(u)
    for (stage, reason, supported), entries in groups.items():
        who = "Python interpreter" if stage == "runtime" else "C generator"
        ops = ", ".join(f"{u['op']} (operator {u['index']})" for u in entries if "op" in u)
        also = f"; supported: {', '.join(supported)}" if supported else ""
        lines.append(f"not supported by the {who}: {ops + ': ' if ops else ''}{reason}{also}")
    return "\n".join(lines)


def _flash(flash: dict[str, Any] | None) -> list[str]:
    if flash is None:
        return []
    if not flash["measured"]:
        return [f"flash of the generated C: {flash['estimate']} ({flash['reason']})"]
    lines = [f"flash of the generated C, measured at {flash['opt']} ({flash['by']}):"]
    for r in flash["cores"]:
        if "error" in r:
            lines.append(f"  {r['core']:<14} {r['error']}")
            continue
        lines.append(f"  {r['core']:<14} {r['flash_total']:>9,} B (constants {r['constants']:,}"
                     f" B, code {r['code']:,} B), arena {r['arena_bss']:,} B in .bss")  # fmt: skip
    return lines


def run(args: argparse.Namespace) -> int:
    from tinyflash.inspect import inspect_model

    doc = inspect_model(args.model, flash=not args.no_flash)
    print(json.dumps(doc, indent=2) if args.json else render(doc))
    return 0
