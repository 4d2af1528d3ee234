"""Benchmark: tinyflash.runtime int8 interpreter on the MLPerf Tiny CNNs vs litert BUILTIN_REF.

Standalone:  .venv/bin/python -P bench/runtime_cnn.py       prints the table.
In the suite: bench/run.py calls run(ctx).

For each architecture of tinyflash.train.architectures (DS-CNN 49x10x1, MobileNetV1 0.25
96x96x3, ResNet-8 32x32x3; random weights and BatchNormalization statistics, seed 0), converted
once to full-int8 .tflite (per-channel, 32 random representative rows), on random int8 inputs
(seed 1):
  batch 1     one inference (1, H, W, C): best of REPEATS_1;
  batch 100   one call on (100, H, W, C), reported per image: best of REPEATS_100.
Executors, all built beforehand and timed in the same run, interleaved (each repeat times every
executor once, so a slow moment of the machine hits them all): tinyflash.runtime with
rounding="tflm" and rounding="litert", and ai-edge-litert with OpResolverType.BUILTIN_REF
(resized to the batch, allocated; set_tensor + invoke + get_tensor timed). One thread each:
the measurement runs in a child process with OPENBLAS_NUM_THREADS=1 (numpy's BLAS) and
litert's num_threads=1.
Bit-exactness, checked on the same inputs: rounding="litert" against BUILTIN_REF on all 100
rows; rounding="tflm" against TFLM (tinyflash.export.reference.run_tflm) on TFLM_ROWS rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ARCHITECTURES = ("ds_cnn", "mobilenet_v1", "resnet8")  # tinyflash.train.architectures builders
BATCH = 100
REPEATS_1, REPEATS_100 = 50, 7
TFLM_ROWS = 10
LOG_PREFIX = "runtime_cnn: "  # the child's progress lines, among TF's own


def convert(name: str) -> bytes:
    """The architecture `name` with random weights (seed 0) as full-int8 .tflite bytes."""
    import keras

    from tinyflash.train import architectures

    keras.utils.set_random_seed(0)
    model = getattr(architectures, name)()
    rng = np.random.default_rng(0)
    architectures.randomize_batch_norm(model, rng)
    shape = tuple(model.inputs[0].shape[1:])
    calibration = rng.normal(0, 1, (32, *shape)).astype(np.float32)
    return architectures.quantize_int8(model, calibration)


def _builtin_ref(data: bytes, batch: int) -> Any:
    """A persistent BUILTIN_REF interpreter for input (batch, *shape); returns fn(x) -> y."""
    from ai_edge_litert import interpreter as litert

    it = litert.Interpreter(
        model_content=data,
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF,
        num_threads=1,
    )
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    it.resize_tensor_input(inp["index"], [batch, *inp["shape"][1:]])
    it.allocate_tensors()

    def call(x: np.ndarray) -> np.ndarray:
        it.set_tensor(inp["index"], x)
        it.invoke()
        return it.get_tensor(out["index"])

    return call


def _interleaved(executors: dict[str, Any], x: np.ndarray, repeats: int) -> dict[str, float]:
    """Best seconds per call of each executor on x, the executors taking turns each repeat."""
    for fn in executors.values():
        fn(x)  # warm-up
    best = dict.fromkeys(executors, float("inf"))
    for _ in range(repeats):
        for label, fn in executors.items():
            start = time.perf_counter()
            fn(x)
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def measure(name: str, data: bytes) -> dict[str, Any]:
    """Timings (seconds per image) and bit-exactness of one converted architecture."""
    import tinyflash.runtime as rt
    from tinyflash.export.reference import run_tflm

    ours = {f"tinyflash {mode}": rt.load(data, rounding=mode) for mode in ("tflm", "litert")}
    shape = ours["tinyflash tflm"].input.shape
    x = np.random.default_rng(1).integers(-128, 128, (BATCH, *shape)).astype(np.int8)
    per_image = {}
    for batch, repeats in ((1, REPEATS_1), (BATCH, REPEATS_100)):
        executors = {**ours, "litert BUILTIN_REF": _builtin_ref(data, batch)}
        best = _interleaved(executors, x[:batch], repeats)
        per_image[batch] = {label: s / batch for label, s in best.items()}
    ref = _builtin_ref(data, BATCH)(x).copy()
    litert_diff = int(np.sum(ours["tinyflash litert"](x) != ref))
    tflm_diff = int(np.sum(ours["tinyflash tflm"](x[:TFLM_ROWS]) != run_tflm(data, x[:TFLM_ROWS])))
    return {
        "architecture": name,
        "input": list(shape),
        "tflite_bytes": len(data),
        "seconds_per_image": {str(b): v for b, v in per_image.items()},
        "litert_vs_builtin_ref": {"rows": BATCH, "bytes_differing": litert_diff},
        "tflm_vs_tflm": {"rows": TFLM_ROWS, "bytes_differing": tflm_diff},
    }


def measure_all(log: Any = print) -> list[dict[str, Any]]:
    records = []
    for name in ARCHITECTURES:
        start = time.perf_counter()
        data = convert(name)
        log(f"  {name}: converted in {time.perf_counter() - start:.1f} s, timing")
        records.append(measure(name, data))
    return records


def _exact(diff: dict[str, int], peer: str) -> str:
    if diff["bytes_differing"] == 0:
        return f"yes, = {peer} ({diff['rows']} rows)"
    return f"**NO**: {diff['bytes_differing']} bytes differ from {peer} ({diff['rows']} rows)"


def markdown(records: list[dict[str, Any]]) -> str:
    lines = [
        "## Runtime, CNNs: tinyflash.runtime int8 vs ai-edge-litert BUILTIN_REF",
        "",
        "MLPerf Tiny architectures from tinyflash.train.architectures (random weights, seed 0, "
        "full-int8 per-channel), random int8 inputs. Batch 1: one inference, best of "
        f"{REPEATS_1}; batch {BATCH}: one call, per image, best of {REPEATS_100}; executors "
        "interleaved in each repeat, one thread each (OPENBLAS_NUM_THREADS=1, litert "
        "num_threads=1). Speed-up = BUILTIN_REF time / tinyflash time: above 1 tinyflash.runtime "
        f'is faster. Bit-exact: rounding="litert" vs BUILTIN_REF on {BATCH} rows, '
        f'rounding="tflm" vs TFLM on {TFLM_ROWS} rows.',
        "",
        f"| architecture | executor | batch 1 (ms) | speed-up | batch {BATCH} (ms/image) "
        "| speed-up | bit-exact |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in records:
        t1, tn = r["seconds_per_image"]["1"], r["seconds_per_image"][str(BATCH)]
        exact = {
            "tinyflash tflm": _exact(r["tflm_vs_tflm"], "TFLM"),
            "tinyflash litert": _exact(r["litert_vs_builtin_ref"], "BUILTIN_REF"),
            "litert BUILTIN_REF": "(reference)",
        }
        arch = f"{r['architecture']} {'x'.join(map(str, r['input']))}"
        for label in ("tinyflash tflm", "tinyflash litert", "litert BUILTIN_REF"):
            ref1, refn = t1["litert BUILTIN_REF"], tn["litert BUILTIN_REF"]
            lines.append(
                f"| {arch} | {label} | {t1[label] * 1e3:.2f} | {ref1 / t1[label]:.2f} | "
                f"{tn[label] * 1e3:.2f} | {refn / tn[label]:.2f} | {exact[label]} |"
            )
    return "\n".join(lines) + "\n"


def _in_child(work: Path, log: Any = print) -> list[dict[str, Any]]:
    """measure_all in a child process with single-threaded BLAS (numpy may be loaded here)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="runtime-cnn-", dir=work) as tmp:
        out = Path(tmp) / "records.json"
        cmd = [sys.executable, "-P", __file__, "--json", str(out)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)  # TF's chatter
        for line in done.stderr.splitlines():
            if line.startswith(LOG_PREFIX):
                log(line[len(LOG_PREFIX) :])
        if done.returncode != 0:
            tail = " / ".join(done.stderr.strip().splitlines()[-3:])
            raise RuntimeError(f"bench/runtime_cnn.py child failed ({done.returncode}): {tail}")
        return json.loads(out.read_text())


def run(ctx: Any) -> tuple[str, dict[str, Any]]:
    records = _in_child(ctx.work, ctx.log)
    return markdown(records), {"architectures": records}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--json"]:
        log = lambda s: print(LOG_PREFIX + s, file=sys.stderr, flush=True)  # noqa: E731
        Path(sys.argv[2]).write_text(json.dumps(measure_all(log), indent=1))
    else:
        print(markdown(_in_child(Path(tempfile.gettempdir()))))
