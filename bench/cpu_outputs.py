"""Output bytes of every executor that installs on this CPU, saved here and compared elsewhere.

    python -P bench/cpu_outputs.py inputs DIR     write each run's inputs.npz (2,000 MNIST test
                                                  images and 1,000 random int8 rows)
    python -P bench/cpu_outputs.py save DIR       on the reference machine
    python -P bench/cpu_outputs.py compare DIR    on another CPU (.ci/test-aarch64 runs it
                                                  in an emulated Debian arm64 root)

DIR holds exported run folders (model_int8.tflite / .onnx, model_float32.tflite / .onnx) and
an inputs.npz (xq: int8 rows, xf: float rows) in each. numpy, onnxruntime and ai-edge-litert
only: no TensorFlow, which has no wheel for every CPU; an executor that does not install is
reported as not run. Prints one line per (run, executor): identical, or how far apart.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np


def _ort(path: Path, x: np.ndarray, optimize: bool) -> np.ndarray:
    import onnxruntime as rt

    so = rt.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    if not optimize:
        so.graph_optimization_level = rt.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = rt.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


def _litert_ref(path: Path, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert import interpreter as li

    ip = li.Interpreter(
        model_path=str(path), experimental_op_resolver_type=li.OpResolverType.BUILTIN_REF
    )
    i, o = ip.get_input_details()[0], ip.get_output_details()[0]
    ip.resize_tensor_input(i["index"], x.shape)
    ip.allocate_tensors()
    ip.set_tensor(i["index"], x)
    ip.invoke()
    return ip.get_tensor(o["index"]).copy()


def executors(run: Path, xq: np.ndarray, xf: np.ndarray) -> dict:
    import tinyflash.runtime as tr

    return {
        "ort-int8": lambda: _ort(run / "model_int8.onnx", xq, True),
        "ort-int8-unoptimized": lambda: _ort(run / "model_int8.onnx", xq, False),
        "ort-float": lambda: _ort(run / "model_float32.onnx", xf, True),
        "py-int8-tflm": lambda: tr.load(run / "model_int8.tflite", rounding="tflm")(xq),
        "py-int8-litert": lambda: tr.load(run / "model_int8.tflite", rounding="litert")(xq),
        "py-onnx-int8": lambda: tr.load(run / "model_int8.onnx")(xq),
        "py-float": lambda: tr.load(run / "model_float32.tflite")(xf),
        "litert-int8-ref": lambda: _litert_ref(run / "model_int8.tflite", xq),
    }


def compare(y: np.ndarray, want: np.ndarray) -> str:
    if np.array_equal(y, want):
        return "identical"
    if y.dtype.kind == "f":
        return f"max abs diff {float(np.abs(y.astype(np.float64) - want).max()):.3g}"
    d = np.abs(y.astype(np.int64) - want.astype(np.int64))
    return f"{(d > 0).any(axis=1).mean():.2%} of rows differ, max {d.max()} LSB"


def write_inputs(root: Path) -> None:
    import json

    from tinyflash.runtime.quantize import quantize
    from tinyflash.train.data import load_mnist
    from tinyflash.train.model import preprocess

    x = preprocess(load_mnist(allow_download=False).x_test[:2000])  # (2000, 784) float32
    noise = np.random.default_rng(1).integers(-128, 128, (1000, x.shape[1]), dtype=np.int8)
    for run in sorted(p for p in root.iterdir() if (p / "manifest.json").exists()):
        q = json.loads((run / "manifest.json").read_text())["quantization"]["input"]
        xq = np.concatenate([quantize(x, q["scale"], q["zero_point"], "int8"), noise])
        np.savez(run / "inputs.npz", xq=xq, xf=x)


def main(mode: str, root: Path) -> int:
    if mode == "inputs":
        write_inputs(root)
        return 0
    runs = sorted(p for p in root.iterdir() if (p / "inputs.npz").exists())
    print(f"# {platform.machine()}: {len(runs)} runs")
    for run in runs:
        data = np.load(run / "inputs.npz")
        for name, fn in executors(run, data["xq"], data["xf"]).items():
            try:
                y = fn()
            except Exception as exc:  # noqa: BLE001 - an executor that does not run here
                print(f"{run.name:16} {name:22} not run: {type(exc).__name__}: {exc}"[:160])
                continue
            ref = run / f"out_{name}.npy"
            if mode == "save":
                np.save(ref, y)
                print(f"{run.name:16} {name:22} saved")
            else:
                print(f"{run.name:16} {name:22} {compare(y, np.load(ref))}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("inputs", "save", "compare"):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
