"""Run an exported model in its real runtime: the references every other stage is checked against.

Three executors, one contract:

    run_<runtime>(model, x) -> y
        model: a path to the .tflite / .onnx file, or its bytes.
        x: (N, *input shape) in the model's native input dtype, e.g. (N, 784) for a dense
           model, (N, 28, 28, 1) for a CNN: int8 for full-integer models (already quantized
           with the input tensor's scale / zero point), float32 otherwise.
        y: (N, out_features) in the model's native output dtype (int8 or float32), a fresh array.

A wrong rank, shape or dtype raises `ExecutorInputError` naming what was expected and
what was found; the runtimes themselves are never handed an input they would reinterpret.

Integer semantics. The int8 TFLite world has two requantization rules that disagree by a few
LSB on a small fraction of rows:
    "tflm"   - gemmlowp double rounding (SaturatingRoundingDoublingHighMul, then
               RoundingDivideByPOT): `run_tflm`. This is what runs on a microcontroller.
    "litert" - single rounding (one 64-bit multiply, add half, shift):
               `run_litert(..., kernels="reference")` (OpResolverType.BUILTIN_REF).
`run_litert(..., kernels="default")` runs ai-edge-litert's optimized kernels (and delegates),
which belong to no group and are reported only for accuracy. `SEMANTICS` records this.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tinyflash.errors import UserError

__all__ = [
    "SEMANTICS",
    "ExecutorInputError",
    "run_litert",
    "run_onnxruntime",
    "run_tflm",
]

# executor -> integer semantics group (None: optimized kernels, no bit-exactness promised).
SEMANTICS: dict[str, str | None] = {
    "tflm": "tflm",
    "litert_reference": "litert",
    "litert_default": None,
}

ModelSource = str | os.PathLike[str] | bytes


class ExecutorInputError(UserError, ValueError):
    """The input array does not fit the model: wrong rank, shape or dtype."""


def _model_bytes(model: ModelSource) -> bytes:
    if isinstance(model, bytes | bytearray | memoryview):
        return bytes(model)
    path = Path(model)
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    return path.read_bytes()


def _check_input(
    x: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, runtime: str
) -> np.ndarray:
    """Validate x against the model input (N, *shape) of `dtype`; return it C-contiguous."""
    if not isinstance(x, np.ndarray):
        raise ExecutorInputError(f"{runtime}: expected a numpy array, found {type(x).__name__}")
    if x.shape[1:] != shape or x.ndim == 0:
        raise ExecutorInputError(
            f"{runtime}: expected input of shape (N, {', '.join(map(str, shape))}), "
            f"found {tuple(x.shape)}"
        )
    if x.dtype != dtype:
        raise ExecutorInputError(
            f"{runtime}: expected input dtype {np.dtype(dtype).name} (the model's input tensor), "
            f"found {x.dtype.name}; quantize float pixels with the input scale/zero point first"
        )
    return np.ascontiguousarray(x)


def run_litert(
    model: ModelSource,
    x: np.ndarray,
    kernels: Literal["reference", "default"] = "reference",
) -> np.ndarray:
    """Run a .tflite model in ai-edge-litert, the whole batch in one invoke.

    kernels: "reference" = OpResolverType.BUILTIN_REF (the "litert" integer semantics);
             "default" = the interpreter's default optimized kernels.
    x: (N, *input shape) native input dtype. Returns (N, out_features) native output dtype.
    """
    from ai_edge_litert import interpreter as litert

    resolvers = {
        "reference": litert.OpResolverType.BUILTIN_REF,
        "default": litert.OpResolverType.AUTO,
    }
    if kernels not in resolvers:
        raise ValueError(f"kernels: expected one of {sorted(resolvers)}, found {kernels!r}")
    interpreter = litert.Interpreter(
        model_content=_model_bytes(model),
        experimental_op_resolver_type=resolvers[kernels],
        num_threads=1,
    )
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    shape = tuple(int(d) for d in inp["shape"][1:])
    x = _check_input(x, shape, np.dtype(inp["dtype"]), "litert")
    if x.shape[0] == 0:
        return np.empty((0, int(out["shape"][-1])), dtype=out["dtype"])
    interpreter.resize_tensor_input(inp["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(out["index"]).copy()


TFLM_ROWS_PER_THREAD = 1000  # below this, a second interpreter costs more than it saves


def _tflm_rows(interpreter: Any, rows: np.ndarray, y: np.ndarray) -> None:
    """Fill y[i] with the model's output for rows[i] (1, *input shape), one invoke each."""
    set_input, invoke, get_output = (interpreter.set_input, interpreter.invoke,
                                     interpreter.get_output)  # fmt: skip
    for i in range(len(rows)):
        set_input(rows[i], 0)
        invoke()
        y[i] = get_output(0)[0]  # get_output returns a fresh (1, out_features) array


def run_tflm(model: ModelSource, x: np.ndarray, threads: int | None = None) -> np.ndarray:
    """Run a .tflite model in TensorFlow Lite Micro's C++ interpreter (the "tflm" semantics).

    TFLM has a fixed batch of 1, so each row is one set_input / invoke / get_output. Invoke
    releases the GIL, so the rows are split over `threads` interpreters (default: the usable
    cores, at most one per TFLM_ROWS_PER_THREAD rows); rows are independent, so the result
    does not depend on the split.
    x: (N, *input shape) native input dtype. Returns (N, out_features) native output dtype.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tflite_micro import runtime as tflm

    data = _model_bytes(model)
    interpreter = tflm.Interpreter.from_bytes(data)
    inp = interpreter.get_input_details(0)
    out = interpreter.get_output_details(0)
    in_shape = tuple(int(d) for d in inp["shape"])
    if len(in_shape) < 2 or in_shape[0] != 1:
        raise UserError(f"tflm: expected a model input of shape (1, ...), found {in_shape}")
    x = _check_input(x, in_shape[1:], np.dtype(inp["dtype"]), "tflm")
    y = np.empty((x.shape[0], int(out["shape"][-1])), dtype=out["dtype"])
    rows = x[:, None]  # (N, 1, *shape): each row already has the model's input shape
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    threads = max(1, min(threads, len(rows) // TFLM_ROWS_PER_THREAD))
    if threads == 1:
        _tflm_rows(interpreter, rows, y)
        return y
    bounds = np.linspace(0, len(rows), threads + 1).astype(int)
    interpreters = [interpreter] + [tflm.Interpreter.from_bytes(data) for _ in range(threads - 1)]
    with ThreadPoolExecutor(threads) as pool:
        jobs = [
            pool.submit(_tflm_rows, it, rows[a:b], y[a:b])
            for it, a, b in zip(interpreters, bounds[:-1], bounds[1:], strict=True)
        ]
        for job in jobs:
            job.result()
    return y


def run_onnxruntime(model: ModelSource, x: np.ndarray, optimize: bool = True) -> np.ndarray:
    """Run an .onnx model in onnxruntime (CPU, one thread), the whole batch in one call.

    optimize: False sets GraphOptimizationLevel.ORT_DISABLE_ALL (the graph exactly as stored).
    A model whose batch is fixed at 1 (the int8 ONNX of a dilated CNN, converted from a .tflite
    with batch 1) runs one row per call.
    x: (N, *input shape) native input dtype. Returns (N, out_features) native output dtype.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        _model_bytes(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    (inp,) = session.get_inputs()
    dtypes = {"tensor(float)": np.float32, "tensor(int8)": np.int8, "tensor(uint8)": np.uint8}
    if inp.type not in dtypes:
        raise UserError(f"onnxruntime: unsupported input type {inp.type}, supported {list(dtypes)}")
    shape = tuple(inp.shape[1:])
    if not shape or not all(isinstance(d, int) for d in shape):
        raise UserError(f"onnxruntime: expected static sizes after the batch, found {inp.shape}")
    x = _check_input(x, shape, np.dtype(dtypes[inp.type]), "onnxruntime")
    if inp.shape[0] == 1 and len(x) != 1:  # a fixed batch of 1 (dilated CNN): row by row
        rows = [session.run(None, {inp.name: x[i : i + 1]})[0] for i in range(len(x))]
        (out,) = session.get_outputs()
        empty = np.empty((0, *out.shape[1:]), dtype=dtypes[out.type])
        return np.concatenate(rows) if rows else empty
    (y,) = session.run(None, {inp.name: x})
    return np.asarray(y)
