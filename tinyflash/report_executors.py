"""The executors `tinyflash verify` runs: one small adapter each, in an explicit registry.

An executor turns one artifact of a run folder into outputs:

    run(path, x) -> y
        x: (N, features) in the artifact's native input dtype (int8 codes for int8 artifacts,
           float32 pixels / 255 otherwise). y: (N, classes), native output dtype.
    trace(path, x1) -> {tensor name: array}   (optional; x1 is one row, (1, features))
        every intermediate tensor, in execution order, to find the first diverging layer.

Each executor states what it needs (Python modules, command-line tools, an artifact kind) so
`unavailable()` can say why it cannot run here; verify reports it as skipped with that
reason and never leaves it out silently. The adapters only call the other stages' public
functions (tinyflash.export.reference, tinyflash.runtime, tinyflash.firmware_c): they hold no
arithmetic of their own.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["EXECUTORS", "Executor", "unavailable"]

RunFn = Callable[[Path, np.ndarray], np.ndarray]
TraceFn = Callable[[Path, np.ndarray], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Executor:
    """One way of computing a model's outputs.

    name: the id used by --require and in verify.json; label: the report's column title.
    artifact: the artifact kind it runs (see report_runfolder.ARTIFACT_KINDS).
    contract: the CONTRACTS group it must agree with bit-exactly / within tolerance, or None.
    modules / tools: importable modules and executables it needs.
    """

    name: str
    label: str
    artifact: str
    contract: str | None
    modules: tuple[str, ...]
    run: RunFn
    trace: TraceFn | None = None
    tools: tuple[str, ...] = ()


def unavailable(executor: Executor, artifact: Path | None) -> str | None:
    """Why `executor` cannot run on this machine for this run folder, or None if it can."""
    for module in executor.modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"Python module {module} is not available"
    for tool in executor.tools:
        if shutil.which(tool) is None:
            return f"tool {tool} not found on PATH"
    if artifact is None:
        return f"no {executor.artifact} artifact: manifest.json lists none"
    if not artifact.is_file():
        return f"artifact {executor.artifact} ({artifact.name}) is missing from the run folder"
    return None


# ---- adapters ---------------------------------------------------------------------------


def _keras(path: Path, x: np.ndarray) -> np.ndarray:
    import keras

    model = keras.saving.load_model(path, compile=False)
    return np.asarray(model.predict(x, batch_size=1024, verbose=0), dtype=np.float32)


def _litert(kernels: str) -> RunFn:
    def run(path: Path, x: np.ndarray) -> np.ndarray:
        from tinyflash.export.reference import run_litert

        return run_litert(path, x, kernels=kernels)  # type: ignore[arg-type]

    return run


def _tflm(path: Path, x: np.ndarray) -> np.ndarray:
    from tinyflash.export.reference import run_tflm

    return run_tflm(path, x)


def _onnxruntime(path: Path, x: np.ndarray) -> np.ndarray:
    from tinyflash.export.reference import run_onnxruntime

    return run_onnxruntime(path, x, optimize=True)


def _interpreter(rounding: str) -> tuple[RunFn, TraceFn]:
    def load(path: Path):  # type: ignore[no-untyped-def]
        from tinyflash.runtime.interpreter import load as load_model

        return load_model(path, rounding=rounding)

    def run(path: Path, x: np.ndarray) -> np.ndarray:
        return np.asarray(load(path)(x))

    def trace(path: Path, x1: np.ndarray) -> dict[str, np.ndarray]:
        return {name: np.asarray(v) for name, v in load(path).trace(x1).items()}

    return run, trace


def _op_outputs(path: Path) -> list[tuple[int, str]]:
    """(tensor index, name) of every operator output in execution order, from tinyflash's own
    validated reader (the runtimes' public APIs do not list an operator's outputs)."""
    from tinyflash.runtime.tflite import read_tflite

    g = read_tflite(path.read_bytes())
    return [(i, g.tensors[i].name) for op in g.operators for i in op.outputs]


def _litert_trace(path: Path, x1: np.ndarray) -> dict[str, np.ndarray]:
    """Every tensor ai-edge-litert's reference kernels computed for one row, by tensor name."""
    from ai_edge_litert import interpreter as litert

    it = litert.Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x1)
    it.invoke()
    return {name: it.get_tensor(i).copy() for i, name in _op_outputs(path)}


def _tflm_trace(path: Path, x1: np.ndarray) -> dict[str, np.ndarray]:
    """Every tensor TFLM computed for one row (kPreserveAllTensors), by tensor name."""
    from tflite_micro import runtime as tflm

    it = tflm.Interpreter.from_bytes(
        path.read_bytes(), intrepreter_config=tflm.InterpreterConfig.kPreserveAllTensors
    )
    it.set_input(x1, 0)
    it.invoke()
    return {
        name: np.asarray(it.GetTensor(i, 0)["tensor_data"]).copy() for i, name in _op_outputs(path)
    }


def _c_driver(target: str | None) -> RunFn:
    """The generated header compiled with firmware_c's driver.c; host (None) or a Cortex-M core.

    path: <prefix>_model.h (int8: DRIVER_MODE 0) or <prefix>_f32_model.h (float32: mode 2).
    x goes to the driver as inputs.bin (records of the native dtype, little-endian), y comes
    back from outputs.bin. On QEMU the driver reads and writes them through semihosting.
    """

    def run(path: Path, x: np.ndarray) -> np.ndarray:
        import subprocess
        import tempfile

        from tinyflash.firmware_c import toolchain as tc

        prefix = path.name.removesuffix("_model.h")
        flags = (f"-I{tc.TARGET_DIR}", f"-I{path.parent.resolve()}",
                 f'-DMODEL_HEADER="{path.name}"', f"-DMODEL_PREFIX={prefix}",
                 f"-DMODEL_PREFIX_UPPER={prefix.upper()}", f"-D{prefix.upper()}_IMPLEMENTATION",
                 f"-DDRIVER_MODE={2 if x.dtype == np.float32 else 0}")  # fmt: skip
        driver = [tc.TARGET_DIR / "driver.c"]
        with tempfile.TemporaryDirectory(prefix="tinyflash-verify-") as tmp:
            work = Path(tmp)
            little_endian = np.ascontiguousarray(x, dtype=x.dtype.newbyteorder("<"))
            (work / "inputs.bin").write_bytes(little_endian.tobytes())
            if target is None:
                exe = tc.compile_host(driver, work / "driver", flags=flags)
                proc = subprocess.run([str(exe)], cwd=work, capture_output=True, text=True,
                                      timeout=600)  # fmt: skip
                status, text = proc.returncode, proc.stderr
            else:
                elf = tc.compile_arm(driver, work / "driver.elf", target,
                                     flags=(*flags, "-DBARE_METAL"))  # fmt: skip
                # A float CNN on 10,000 images runs minutes under emulation (cnn: 165 s).
                result = tc.run_qemu(elf, target, cwd=work, timeout=3600)
                status, text = result.returncode, result.stdout
            if status != 0:
                raise RuntimeError(f"C driver exited {status}: {text.strip()[:500]}")
            y = np.frombuffer((work / "outputs.bin").read_bytes(), dtype=x.dtype)
        return y.reshape(len(x), -1).copy()

    return run


_py_float, _py_float_trace = _interpreter("litert")
_py_tflm, _py_tflm_trace = _interpreter("tflm")
_py_litert, _py_litert_trace = _interpreter("litert")

_EXPORT = ("tinyflash.export.reference",)
_RUNTIME = ("tinyflash.runtime.interpreter", "tinyflash.runtime.tflite")
_RUNTIME_ONNX = ("tinyflash.runtime.interpreter", "tinyflash.runtime.onnx")
_FIRMWARE = ("tinyflash.firmware_c.toolchain",)

# Explicit, in report column order: float executors, then the int8 ones by contract.
EXECUTORS: tuple[Executor, ...] = (
    Executor("keras", "Keras float", "keras", "float", ("keras",), _keras),
    Executor(
        "litert-float", "TFLite float (reference kernels)", "tflite_float", "float",
        _EXPORT + ("ai_edge_litert",), _litert("reference"),
    ),
    Executor("ort-float", "ONNX float (onnxruntime)", "onnx_float", "float",
             _EXPORT + ("onnxruntime",), _onnxruntime),
    Executor("py-float", "Python interpreter float (TFLite)", "tflite_float", "float",
             _RUNTIME, _py_float, _py_float_trace),
    Executor("py-onnx-float", "Python interpreter float (ONNX)", "onnx_float", "float",
             _RUNTIME_ONNX, _py_float, _py_float_trace),
    Executor("c-host-float", "C header on the host (float)", "header_float", "float",
             _FIRMWARE, _c_driver(None), tools=("gcc",)),
    Executor(
        "c-m4-float", "C header on emulated Cortex-M4 (float, FPU)", "header_float", "float",
        _FIRMWARE, _c_driver("cortex-m4"), tools=("arm-none-eabi-gcc", "qemu-system-arm"),
    ),
    Executor(
        "tflm", "TFLite Micro (tflite-micro)", "tflite_int8", "tflm",
        _EXPORT + ("tflite_micro",), _tflm, _tflm_trace,
    ),
    Executor("py-int8-tflm", "Python interpreter int8 (tflm rounding)", "tflite_int8", "tflm",
             _RUNTIME, _py_tflm, _py_tflm_trace),
    Executor("c-host-int8", "C header on the host (int8)", "header_int8", "tflm",
             _FIRMWARE, _c_driver(None), tools=("gcc",)),
    Executor(
        "c-m4-int8", "C header on emulated Cortex-M4 (int8)", "header_int8", "tflm",
        _FIRMWARE, _c_driver("cortex-m4"), tools=("arm-none-eabi-gcc", "qemu-system-arm"),
    ),
    Executor(
        "litert-int8-ref", "TFLite int8 (reference kernels)", "tflite_int8", "litert",
        _EXPORT + ("ai_edge_litert",), _litert("reference"), _litert_trace,
    ),
    Executor("py-int8-litert", "Python interpreter int8 (litert rounding)", "tflite_int8",
             "litert", _RUNTIME, _py_litert, _py_litert_trace),
    # The int8 ONNX is QDQ: DequantizeLinear -> float MatMul -> QuantizeLinear, a float
    # requantization that cannot match TFLite's integer one bit for bit (measured: 2 rows in
    # 10,256 differ by 1 LSB from litert-int8-ref). So it joins no contract; it is reported.
    Executor("py-onnx-int8", "Python interpreter int8 (ONNX, QDQ)", "onnx_int8", None,
             _RUNTIME_ONNX, _py_litert, _py_litert_trace),
    Executor("litert-int8", "TFLite int8 (default kernels)", "tflite_int8", None,
             _EXPORT + ("ai_edge_litert",), _litert("default")),
    Executor("ort-int8", "ONNX int8 (onnxruntime)", "onnx_int8", None,
             _EXPORT + ("onnxruntime",), _onnxruntime),
)  # fmt: skip


# When an executor has no trace, the Python interpreter of its contract stands in for it.
STAND_INS = {"tflm": "py-int8-tflm", "litert": "py-int8-litert", "float": "py-float"}


def _tracer(ex: Executor) -> Executor | None:
    if ex.trace is not None:
        return ex
    stand_in = STAND_INS.get(ex.contract or "")
    return next((e for e in EXECUTORS if e.name == stand_in and e.trace is not None), None)


def first_divergence(
    a: Executor, b: Executor, paths: dict[str, Path], row: Callable[[Executor], np.ndarray],
    tolerance: float,
) -> dict[str, object]:  # fmt: skip
    """Trace one input through both executors; name the first tensor that differs.

    paths: artifact kind -> file. row(executor): the input row, (1, features) in that
    executor's native input dtype. An executor without a trace is stood in for by the Python
    interpreter of its contract (STAND_INS), on that interpreter's own artifact. Tensors are
    matched by name, in the execution order of `a`'s trace; a difference counts when it
    exceeds `tolerance` (0 for int8 codes). Returns {"layer": name or None, "layer_text"}.
    """
    ta, tb = _tracer(a), _tracer(b)
    if ta is None or tb is None:
        who = a.name if ta is None else b.name
        return {"layer": None, "layer_text": f"no trace: {who} exposes no intermediate tensors"}
    traceless = " / ".join(x.name for x in (a, b) if x.trace is None)
    if ta.name == tb.name:
        return {
            "layer": None,
            "layer_text": f"no layer: {traceless} exposes no intermediate tensors and its "
            f"stand-in is {ta.name} on both sides; the difference is inside {traceless}",
        }
    try:
        trace_a = ta.trace(paths[ta.artifact], row(ta))  # type: ignore[misc]
        trace_b = tb.trace(paths[tb.artifact], row(tb))  # type: ignore[misc]
    except Exception as exc:  # noqa: BLE001 - a failed trace must not hide the violation
        return {"layer": None, "layer_text": f"tracing failed: {type(exc).__name__}: {exc}"}
    via = "" if (ta, tb) == (a, b) else f" (traced with {ta.name} vs {tb.name})"
    common = [(name, name) for name in trace_a if name in trace_b]
    out_a, out_b = list(trace_a)[-1], list(trace_b)[-1]
    if (out_a, out_b) not in common:  # formats name the graph output differently: pair them
        common.append((out_a, out_b))
    for name_a, name_b in common:
        name = name_a if name_a == name_b else f"{name_a} / {name_b} (graph outputs)"
        va = np.asarray(trace_a[name_a], dtype=np.float64).ravel()
        vb = np.asarray(trace_b[name_b], dtype=np.float64).ravel()
        if va.shape != vb.shape:
            return {"layer": name, "layer_text": f"first diverging tensor: {name} "
                    f"(shapes {va.shape} vs {vb.shape}){via}"}  # fmt: skip
        diff = np.abs(va - vb)
        if diff.max(initial=0.0) > tolerance:
            return {
                "layer": name,
                "layer_text": f"first diverging tensor: {name} (max difference "
                f"{diff.max():g}, at element {int(diff.argmax())}){via}",
            }
    if not common:
        return {"layer": None, "layer_text": f"traces share no tensor names{via}"}
    blame = (f"the difference is inside {traceless} (its artifact or its code)" if traceless else
             "run alone the row agrees, so the difference depends on the batch")  # fmt: skip
    return {"layer": None, "layer_text": f"all {len(common)} traced tensors agree on this "
            f"input{via}: {blame}"}  # fmt: skip
