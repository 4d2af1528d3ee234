"""Benchmark: tinyflash.runtime (pure numpy) against ai-edge-litert and onnxruntime.

Standalone:  .venv/bin/python -P bench/runtime.py RUN_DIR [RUN_DIR ...]   prints the tables.
In the suite: bench/run.py calls run(ctx) on the exported run folders of PRESETS.

For each model file of a run folder (model_int8.tflite, model_float32.tflite, model_int8.onnx,
model_float32.onnx), on the 10,000 MNIST test images in the model's native input dtype:
  batch   one call on the whole (10000, 784) batch, best of REPEATS (interpreters already built:
          ai-edge-litert resized to batch 10000 and allocated, onnxruntime session open);
  single  median latency of one image, (1, 784), over SINGLE_CALLS calls, same persistent objects.
Peers: ai-edge-litert default kernels (XNNPACK/ruy) and reference kernels (BUILTIN_REF), TFLM for
the int8 .tflite (per image only: its batch is one), onnxruntime with default graph optimizations.
Ratios are peer_time / tinyflash_time: > 1 means tinyflash.runtime is faster. One thread each.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

PRESETS = ("default", "tiny")
FILES = ("model_int8.tflite", "model_float32.tflite", "model_int8.onnx", "model_float32.onnx")
REPEATS = 5
SINGLE_CALLS = 300


def _best(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _median_single(fn, rows: np.ndarray) -> float:
    fn(rows[0:1])
    times = []
    for i in range(SINGLE_CALLS):
        row = rows[i : i + 1]
        start = time.perf_counter()
        fn(row)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _litert(path: Path, kind: str, batch: int):
    """A persistent ai-edge-litert interpreter with input batch `batch`; returns fn(x) -> y."""
    from ai_edge_litert import interpreter as litert

    resolver = {
        "reference": litert.OpResolverType.BUILTIN_REF,
        "default": litert.OpResolverType.AUTO,
    }[kind]
    it = litert.Interpreter(
        model_path=str(path), experimental_op_resolver_type=resolver, num_threads=1
    )
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    it.resize_tensor_input(inp, [batch, 784])
    it.allocate_tensors()

    def call(x: np.ndarray) -> np.ndarray:
        it.set_tensor(inp, x)
        it.invoke()
        return it.get_tensor(out)

    return call


def _tflm(path: Path):
    from tflite_micro.python.tflite_micro import runtime as tflm

    it = tflm.Interpreter.from_bytes(path.read_bytes())

    def call(x: np.ndarray) -> np.ndarray:
        it.set_input(x, 0)
        it.invoke()
        return it.get_output(0)

    return call


def _ort(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]


def measure(run_dir: Path, pixels: np.ndarray) -> list[dict[str, Any]]:
    """Time every model file of run_dir; one record per (file, executor)."""
    import tinyflash.runtime as rt
    from tinyflash.runtime.quantize import quantize

    records = []
    for name in FILES:
        path = run_dir / name
        if not path.is_file():
            continue
        ours = {"tinyflash tflm": rt.load(path, rounding="tflm")}
        if ours["tinyflash tflm"].input.dtype != "float32":
            ours["tinyflash litert"] = rt.load(path, rounding="litert")
        model = ours["tinyflash tflm"]
        x = pixels
        if model.input.dtype != "float32":
            x = quantize(pixels, model.input.scale, model.input.zero_point, model.input.dtype)
        peers_batch: dict[str, Any] = {}
        peers_single: dict[str, Any] = {}
        if path.suffix == ".tflite":
            for kind in ("default", "reference"):
                peers_batch[f"litert {kind}"] = _litert(path, kind, len(x))
                peers_single[f"litert {kind}"] = _litert(path, kind, 1)
            if model.input.dtype == "int8":
                peers_single["tflm"] = _tflm(path)
        else:
            peers_batch["onnxruntime"] = peers_single["onnxruntime"] = _ort(path)
        for label, m in ours.items():
            records.append(
                {
                    "file": name,
                    "executor": label,
                    "batch_s": _best(lambda m=m, x=x: m(x)),
                    "single_s": _median_single(m, x),
                }
            )
        for label, fn in peers_single.items():
            batch_fn = peers_batch.get(label)
            records.append({
                "file": name, "executor": label,
                "batch_s": None if batch_fn is None else _best(lambda f=batch_fn, x=x: f(x)),
                "single_s": _median_single(fn, x),
            })  # fmt: skip
    return records


def _ratios(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attach peer / tinyflash ratios (tinyflash tflm mode as the reference row per file)."""
    base = {r["file"]: r for r in records if r["executor"] == "tinyflash tflm"}
    for r in records:
        b = base[r["file"]]
        r["batch_ratio"] = None if r["batch_s"] is None else r["batch_s"] / b["batch_s"]
        r["single_ratio"] = r["single_s"] / b["single_s"]
    return records


def markdown(results: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        "## Runtime: tinyflash.runtime (numpy) vs ai-edge-litert, TFLM and onnxruntime",
        "",
        "10,000 MNIST test images in one batch (best of 5) and single-image latency (median of "
        f"{SINGLE_CALLS}), one thread, interpreters built beforehand. Ratio = executor time / "
        "tinyflash (tflm mode) time: above 1 the peer is slower than tinyflash.runtime.",
    ]
    for preset, records in results.items():
        lines += [
            "",
            f"### preset `{preset}`",
            "",
            "| file | executor | batch 10k (ms) | ratio | single image (us) | ratio |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for r in records:
            batch = "n/a (batch 1)" if r["batch_s"] is None else f"{r['batch_s'] * 1e3:.1f}"
            ratio = "" if r["batch_ratio"] is None else f"{r['batch_ratio']:.2f}"
            lines.append(
                f"| {r['file']} | {r['executor']} | {batch} | {ratio} | "
                f"{r['single_s'] * 1e6:.0f} | {r['single_ratio']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def _pixels(data: Any) -> np.ndarray:
    return data.x_test.reshape(len(data.x_test), -1).astype(np.float32) / np.float32(255)


def run(ctx: Any) -> tuple[str, dict[str, Any]]:
    pixels = _pixels(ctx.data())
    results = {}
    for preset in PRESETS:
        ctx.log(f"  runtime bench on preset {preset}")
        results[preset] = _ratios(measure(Path(ctx.run_dir(preset)), pixels))
    return markdown(results), {"presets": results}


if __name__ == "__main__":
    from tinyflash.train.data import load_mnist

    px = _pixels(load_mnist(allow_download=False))
    out = {Path(d).name: _ratios(measure(Path(d), px)) for d in sys.argv[1:]}
    print(markdown(out))
