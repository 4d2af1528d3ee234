"""Benchmark: how far apart the float32 executors are, against each model's depth.

Standalone:  .venv/bin/python -P bench/float_parity.py [--rows 200] [--out DIR] [--only A,B]
Writes bench/RESULTS_float_parity.md (not with --only); `make bench` runs it too.

The float contract of `tinyflash verify` (tinyflash/report_parity.py) bounds the difference
between two float32 executors of one model. They differ only in how they round: the order of
each sum (SIMD widths, blocking, fused multiply-add) and their exp / tanh. This bench measures
that difference where it is largest, on the deep models users bring: the MLPerf Tiny
architectures (DS-CNN, MobileNetV1 0.25, ResNet-8) and keras.applications MobileNet 0.25 at
64x64, with seeded random weights (nothing downloads) and each BatchNorm's statistics set from
its input on pixel-like rows U(0, 1) (train/architectures.batch_norm_from_data: with random
statistics the signal dies out within a few layers and every row gives the same output), and
the 784-128-10 MLP the contract was first calibrated on. Those rows calibrate the export.
Each goes through the documented path: `tinyflash export MODEL.keras --calibration-data X.npy`,
`tinyflash codegen`, `tinyflash verify --random N`, whose float executors (Keras, litert
reference kernels, onnxruntime, the interpreter on .tflite and .onnx, the C header on the host
and on an emulated Cortex-M4F) all run on the same rows. Per model: its depth (operators on the
longest path of the float .tflite, tinyflash.runtime Graph.depth), the largest difference over
all float pairs and rows, relative to max(1, |y|) of the row, that difference per operator of
depth, the contract's bound and the margin (bound / measured).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent


def _mlp() -> Any:
    import keras

    L = keras.layers
    inp = keras.Input((784,))
    return keras.Model(inp, L.Dense(10, activation="softmax")(L.Dense(128, "relu")(inp)))


def _keras_mobilenet() -> Any:
    import keras

    return keras.applications.MobileNet(input_shape=(64, 64, 3), alpha=0.25, weights=None,
                                        classes=10)  # fmt: skip


def models() -> dict[str, tuple[Callable[[], Any], str]]:
    """name -> (builder, rows): "pixels" U(0, 1), or "normal" N(0, 1) (larger sums: the MLP's
    worst case)."""
    from tinyflash.train.architectures import ds_cnn, mobilenet_v1, resnet8

    return {"mlp 784-128-10": (_mlp, "pixels"), "mlp 784-128-10 normal rows": (_mlp, "normal"),
            "ds_cnn": (ds_cnn, "pixels"), "resnet8": (resnet8, "pixels"),
            "mobilenet_v1_025": (mobilenet_v1, "pixels"),
            "keras MobileNet 0.25 64x64": (_keras_mobilenet, "pixels")}  # fmt: skip


def measure(
    name: str, build: Callable[[], Any], rows_kind: str, work: Path, rows: int
) -> dict[str, Any]:
    import keras

    import tinyflash.runtime as rt
    from tinyflash import report_parity as rp
    from tinyflash.cli import main
    from tinyflash.train.architectures import batch_norm_from_data
    from tinyflash.verify import verify

    keras.utils.set_random_seed(0)
    model = build()
    rng = np.random.default_rng(0)
    shape = tuple(model.inputs[0].shape[1:])
    draw = (
        rng.uniform(0, 1, (64, *shape)) if rows_kind == "pixels" else rng.normal(0, 1, (64, *shape))
    )
    pixels = draw.astype(np.float32)
    batch_norm_from_data(model, pixels, rng)  # else the signal dies out in a deep random net
    folder = work / "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    folder.mkdir(parents=True)
    model.save(folder / "model.keras")
    np.save(folder / "calibration.npy", pixels)
    run = folder / "run"
    assert main(["export", str(folder / "model.keras"), "--calibration-data",
                 str(folder / "calibration.npy"), "--out", str(run)]) == 0  # fmt: skip
    assert main(["codegen", str(run), "--no-footprint"]) == 0
    doc = verify(run, random=rows, report=False)
    floats = {e["name"] for e in doc["executors"] if e["contract"] == "float"
              and e["status"] == "ran"}  # fmt: skip
    pairs = [p for p in doc["pairs"] if p["a"] in floats and p["b"] in floats]
    worst = max(pairs, key=lambda p: p["max_scaled_diff"])
    depth = rt.load(run / "model_float32.tflite").graph.depth()
    bound = rp.float_tolerance(depth)
    return {"model": name, "depth": depth, "executors": sorted(floats), "rows": rows,
            "worst_pair": f"{worst['a']} vs {worst['b']}", "max_diff": worst["max_scaled_diff"],
            "per_op": worst["max_scaled_diff"] / depth, "bound": bound,
            "margin": bound / worst["max_scaled_diff"] if worst["max_scaled_diff"] else None,
            "verdict": doc["contracts"]["float"]["verdict"]}  # fmt: skip


def _cpu() -> str:
    """The CPU's model name and the widest x86 SIMD its numpy build dispatches to."""
    try:
        import sys

        sys.path.insert(0, str(ROOT))
        from run import describe_machine

        cpu = str(describe_machine()["cpu"])
    except Exception:  # noqa: BLE001 - the bench still runs without the suite's helper
        cpu = platform.processor() or platform.machine()
    from numpy._core import _multiarray_umath

    features = _multiarray_umath.__cpu_features__
    simd = next((f for f in ("AVX512F", "AVX2", "SSE42", "ASIMD") if features.get(f)), "none")
    return f"{cpu} ({simd})"


def table(results: list[dict[str, Any]], rows: int) -> str:
    from tinyflash import report_parity as rp

    lines = ["# Float32 executors against the model's depth", "",
             f"`python -P bench/float_parity.py --rows {rows}` on {_cpu()}, {rows} random "
             "input rows per model; "
             "differences relative to max(1, |y|) of each row.", "",
             f"Contract: {rp.float_promise(None)}.", "",
             "| model | depth (ops) | float executors | worst pair | max diff | per op | bound "
             "| margin | verdict |", "|---|---:|---:|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for r in results:
        margin = f"{r['margin']:.0f}x" if r["margin"] else "exact"
        lines.append(f"| {r['model']} | {r['depth']} | {len(r['executors'])} | {r['worst_pair']} "
                     f"| {r['max_diff']:.2e} | {r['per_op']:.1e} | {r['bound']:.1e} | {margin} "
                     f"| {r['verdict']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def run(ctx: Any) -> tuple[str, dict[str, Any]]:
    """make bench's entry (bench/run.py): every model, 200 rows, in ctx.work."""
    results = [measure(name, *spec, ctx.work, 200) for name, spec in models().items()]
    return table(results, 200), {"models": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--out", help="keep the run folders here (default: a temporary folder)")
    parser.add_argument("--only", help="comma-separated model names")
    args = parser.parse_args()
    chosen = models()
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    with tempfile.TemporaryDirectory(prefix="tinyflash-float-parity-") as tmp:
        work = Path(args.out) if args.out else Path(tmp)
        results = [measure(name, *spec, work, args.rows) for name, spec in chosen.items()]
    text = table(results, args.rows)
    print(text)
    print(json.dumps(results, indent=1))
    if not args.only:
        (ROOT / "RESULTS_float_parity.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
