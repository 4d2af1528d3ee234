"""Benchmark: export time per artifact, file sizes, accuracy per artifact and runtime, parity.

Standalone:  .venv/bin/python -P bench/export.py RUN_DIR [RUN_DIR ...]   prints the tables.
In the suite: bench/run.py calls run(ctx); each preset's trained model (ctx.run_dir) is
exported again into ctx.work with timings on, so the times are this machine's, in one process
that has already imported TensorFlow (import time is not counted).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

PRESETS = ("classic", "default", "tiny")
KINDS = ("tflite_float", "tflite_int8", "onnx_float", "onnx_int8")


def measure(source: Path, work: Path, data: Any = None) -> dict[str, Any]:
    """Export source/model.keras into work/ with timings; return the bench record."""
    from tinyflash.export.pipeline import export_run

    work.mkdir(parents=True, exist_ok=True)
    for name in ("model.keras", "config.toml"):
        if (source / name).is_file():
            shutil.copy(source / name, work / name)
    timings: dict[str, float] = {}
    manifest = export_run(work, log=lambda s: None, data=data, timings=timings)
    arts = manifest["artifacts"]
    keras_acc = arts["keras"]["evaluation"]["keras"]["accuracy"]
    rows = []
    for kind in KINDS:
        entry = arts[kind]
        for executor, ev in entry["evaluation"].items():
            rows.append({
                "artifact": entry["file"],
                "bytes": entry["bytes"],
                "convert_seconds": timings[f"convert/{kind}"],
                "executor": executor,
                "semantics": ev.get("semantics"),
                "accuracy": ev["accuracy"],
                "drop_pp": ev["accuracy_drop_pp"],
                "eval_seconds": timings[f"eval/{kind}/{executor}"],
            })  # fmt: skip
    config = (manifest.get("config") or {}).get("train", {})
    return {
        "preset": config.get("preset", source.name),
        "network": "-".join(map(str, [784, *config.get("hidden", []), 10])),
        "activation": config.get("activation"),
        "keras_accuracy": keras_acc,
        "keras_eval_seconds": timings["eval/keras"],
        "rows": rows,
        "parity": manifest["parity"],
    }


def tables(records: list[dict[str, Any]]) -> str:
    out = []
    for r in records:
        out.append(
            f"**{r['preset']}** ({r['network']}, {r['activation']}): Keras float accuracy "
            f"{r['keras_accuracy']:.4f} (predict {r['keras_eval_seconds']:.2f} s)\n"
        )
        out.append("| artifact | bytes | convert (s) | runtime | semantics | accuracy | drop (pp) "
                   "| eval 10k (s) |")  # fmt: skip
        out.append("|---|---:|---:|---|---|---:|---:|---:|")
        for x in r["rows"]:
            out.append(
                f"| {x['artifact']} | {x['bytes']:,} | {x['convert_seconds']:.2f} "
                f"| {x['executor']} | {x['semantics'] or ''} | {x['accuracy']:.4f} "
                f"| {x['drop_pp']:+.2f} "
                f"| {x['eval_seconds']:.3f} |"
            )
        out.append("")
        out.append("| int8 parity (10,000 test images) | rows exact | rows differing | max LSB "
                   "| argmax differing |")  # fmt: skip
        out.append("|---|---:|---:|---:|---:|")
        for name, p in r["parity"].items():
            if "rows" in p:
                out.append(
                    f"| {name} | {p['rows_exact_match']:.4f} | {p['rows_differing']} "
                    f"| {p['max_abs_diff_lsb']} | {p['argmax_differing']} |"
                )
        floats = r["parity"]["float max abs diff vs keras"]
        out.append("")
        out.append("float artifacts, max |output - Keras| on softmax outputs: " + ", ".join(
            f"{k} {v:.1e}" for k, v in floats.items()))  # fmt: skip
        out.append("")
    return "\n".join(out)


def run(ctx: Any) -> tuple[str, dict[str, Any]]:
    records = []
    for preset in PRESETS:
        ctx.log(f"  export {preset}")
        records.append(measure(Path(ctx.run_dir(preset)), ctx.work / preset, data=ctx.data()))
    text = (
        "Each preset's model.keras exported again with timings (TensorFlow already imported). "
        "Accuracy on all 10,000 MNIST test images with each artifact's real runtime; drop = "
        "Keras float minus artifact, in percentage points. TFLM runs one image per invoke "
        "(rows split over the usable cores); litert and onnxruntime run the batch at once, "
        "one thread.\n\n" + tables(records)
    )
    return text, {"presets": records}


def main(argv: list[str]) -> int:
    import tempfile

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, run_dir in enumerate(argv):
            records.append(measure(Path(run_dir), Path(tmp) / str(i)))
    print(tables(records))
    print(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
