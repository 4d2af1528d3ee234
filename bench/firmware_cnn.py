"""Benchmark: the generated C header of any graph on emulated Cortex-M, against TFLM and CMSIS-NN.

Standalone:  .venv/bin/python -P bench/firmware_cnn.py [WORK_DIR] [--model NAME=MODEL.tflite]
             prints the tables and writes bench/RESULTS_firmware_cnn.md.
In the suite: bench/run.py calls run(ctx) (with the `cnn` preset's model if the suite has
trained that run folder already).

Models, built here with fixed seeds (models/<name>.tflite in the work folder, reused if there):
DS-CNN 49x10x1, MobileNetV1 0.25 96x96x3 and ResNet-8 32x32x3 from tinyflash.train.architectures
(random weights and BatchNormalization statistics, seed 0, full-int8 per-channel through
quantize_int8 with 32 random-normal calibration rows, as tests/runtime/test_cnn_models.py does),
a small mixed graph (the operators those three do not reach) and the MLPerf Tiny dense
autoencoder 640-128x4-8-128x4-640 (relu).

Measured, not estimated, per model and core:
- tinyflash: the header (tinyflash.firmware_c.generate.generate_header, rounding "tflm") with
  firmware_c/target/driver.c under QEMU and the exact instruction-count plugin: instructions
  of each inference between bench_begin()/bench_end() minus an empty region, the stack
  high-water of an inference (painted), and every output byte against tinyflash.runtime and
  TFLM's host interpreter on the same inputs. Flash: bench/firmware_cnn_footprint.c linked
  with the model minus without it; constants are the data objects the model adds to flash
  (arm-none-eabi-objdump -t), code the rest. Arena: the header's <P>_ARENA_SIZE.
- TFLM with its reference kernels and TFLM with CMSIS-NN on the same .tflite files, in the same
  run: ../shared/peers/tflm/run.sh (or $TFLM_PEERS/tflm/run.sh), from its summary.jsonl. None
  of its code is here; without it the peer columns say "peer skipped: sources not found".
The peer's first run builds TFLM for each core and -O level (minutes each on 2 cores); set
TFLM_BENCH_ROOT to a folder that is kept, and later runs reuse those builds.
Cortex-M0+ code (-mcpu=cortex-m0plus) runs on QEMU's mps2-an385 board, as the peer's does: the
same ARMv6-M instruction stream with 4 MiB of RAM (the micro:bit has 16 KiB).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
PREFIX = "net"
# Instruction counts: (core, -O, path). The DSP path needs a core with it (M4).
RUNS = (
    ("cortex-m4", "-O2", "DSP"),
    ("cortex-m4", "-O2", "portable"),
    ("cortex-m0plus", "-O2", "portable"),
)
SIZES = (
    ("cortex-m4", "-Os"),
    ("cortex-m4", "-O2"),
    ("cortex-m0plus", "-Os"),
    ("cortex-m0plus", "-O2"),
)  # flash per core and -O (default path)
# Inputs per model: 2 extreme rows (all -128, all 127), then random (seed 1); the first run of
# RUNS takes INPUTS of them, the others the first INPUTS_OTHER (emulating the M0+ is slow).
INPUTS, INPUTS_OTHER = 100, 20
SKIPPED = "peer skipped: sources not found"


def _autoencoder() -> Any:
    """MLPerf Tiny anomaly detection, dense: (N, 640) -> 128 x4 -> 8 -> 128 x4 -> (N, 640)."""
    import keras

    x = inp = keras.Input((640,))
    for width in (128,) * 4 + (8,) + (128,) * 4:
        x = keras.layers.Dense(width, activation="relu")(x)
    return keras.Model(inp, keras.layers.Dense(640)(x))


def _mixed() -> Any:
    """BatchNormalization alone, SeparableConv2D, MaxPooling2D SAME, Concatenate, ReLU6 after
    Add: (N, 15, 11, 3) -> (N, 5) softmax (the mixed model of tests/runtime/test_cnn_models.py)."""
    import keras

    L = keras.layers
    inp = keras.Input((15, 11, 3))
    x = L.BatchNormalization()(inp)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    y = L.SeparableConv2D(8, 3, padding="same")(x)
    x = L.ReLU(6.0)(L.Add()([x, y]))
    x = L.MaxPooling2D(3, strides=2, padding="same")(x)
    z = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu")(x)
    x = L.Concatenate()([x, z])
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Dense(5, activation="softmax")(x))


def builders() -> dict[str, Callable[[], Any]]:
    from tinyflash.train import architectures as a

    return {
        "ds_cnn": a.ds_cnn,
        "mobilenet_v1_025": a.mobilenet_v1,
        "resnet8": a.resnet8,
        "mixed": _mixed,
        "autoencoder": _autoencoder,
    }


def build_models(folder: Path, build: dict[str, Callable[[], Any]], log: Any) -> dict[str, Path]:
    """name -> folder/<name>.tflite (int8), converted with fixed seeds unless already there."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, make in build.items():
        path = folder / f"{name}.tflite"
        if not path.is_file():
            import keras

            from tinyflash.atomic import write_bytes
            from tinyflash.train.architectures import quantize_int8, randomize_batch_norm

            keras.backend.clear_session()  # layer names restart, so the bytes do not depend
            keras.utils.set_random_seed(0)  # on what was built before in this process
            model = make()
            rng = np.random.default_rng(0)
            randomize_batch_norm(model, rng)
            shape = tuple(model.inputs[0].shape[1:])
            calibration = rng.normal(0, 1, (32, *shape)).astype(np.float32)
            with contextlib.redirect_stdout(io.StringIO()):  # TF's "Saved artifact" chatter
                data = quantize_int8(model, calibration)
            write_bytes(path, data)
            log(f"  built {path.name} ({path.stat().st_size:,} B)")
        out[name] = path
    return out


def count_macs(graph: Any) -> int:
    """Multiply-accumulates of one inference: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED.

    conv: output elements x (kh * kw * in_c), filter (out_c, kh, kw, in_c); depthwise: output
    elements x (kh * kw), filter (1, kh, kw, out_c); dense: rows x (out, in) weights."""
    macs = 0
    for op in graph.operators:
        out = graph.tensors[op.outputs[0]].shape
        w = graph.tensors[op.inputs[1]].shape if len(op.inputs) > 1 else ()
        per_row = int(np.prod(out[1:]))  # dimension 0 is the batch (1, or -1 in some files)
        if op.op == "CONV_2D":
            macs += per_row * w[1] * w[2] * w[3]
        elif op.op == "DEPTHWISE_CONV_2D":
            macs += per_row * w[1] * w[2]
        elif op.op == "FULLY_CONNECTED":
            macs += per_row * w[1]
    return macs


def _inputs(shape: tuple[int, ...], n: int) -> np.ndarray:
    """(n, *shape) int8: all -128, all 127, then uniform random int8 (seed 1)."""
    x = np.random.default_rng(1).integers(-128, 128, (n, *shape)).astype(np.int8)
    x[0] = -128
    x[1] = 127
    return x


def _compile_target(core: str) -> tuple[str, tuple[str, ...]]:
    """(toolchain target, extra flags): M0+ code is built for the M3 board (mps2-an385); the
    later -mcpu wins, so the instruction stream is ARMv6-M."""
    return ("cortex-m3", ("-mcpu=cortex-m0plus",)) if core == "cortex-m0plus" else (core, ())


def _model_flags(header: Path, path: str) -> tuple[str, ...]:
    P = PREFIX.upper()
    portable = (f"-D{P}_PORTABLE",) if path == "portable" else ()
    return (
        f"-I{header.parent}",
        f'-DMODEL_HEADER="{header.name}"',
        f"-D{P}_IMPLEMENTATION",
        *portable,
    )


def run_target(
    header: Path,
    folder: Path,
    run: tuple[str, str, str],
    x: np.ndarray,
    expected: np.ndarray,
    tflm: np.ndarray,
    macs: int,
    warnings: tuple[str, ...],
) -> dict[str, Any]:
    """One (core, -O, path): exact instructions per inference, stack, output rows equal."""
    from tinyflash.firmware_c import toolchain as tc

    core, opt, path = run
    target, extra = _compile_target(core)
    folder.mkdir(parents=True, exist_ok=True)
    flags = (
        "-DBARE_METAL",
        *extra,
        *_model_flags(header, path),
        f"-DMODEL_PREFIX={PREFIX}",
        f"-DMODEL_PREFIX_UPPER={PREFIX.upper()}",
        "-DDRIVER_MODE=0",
    )
    elf = tc.compile_arm(
        [tc.TARGET_DIR / "driver.c"], folder / "driver.elf", target, opt, flags, warnings=warnings
    )
    (folder / "inputs.bin").write_bytes(x.tobytes())
    start = time.perf_counter()
    result = tc.run_qemu(elf, target, cwd=folder, count=True, timeout=3600)
    if result.returncode != 0:
        raise tc.ToolchainError(f"{core} {opt}: QEMU exit {result.returncode}: {result.stdout}")
    stack = re.search(r"^stack (\d+)$", result.stdout, re.M)
    if stack is None:
        raise tc.ToolchainError(f"{core} {opt}: the driver printed no stack line: {result.stdout}")
    out = np.fromfile(folder / "outputs.bin", np.int8).reshape(len(x), -1)
    counts = np.array(result.regions[1:], np.int64) - result.regions[0]
    return {
        "core": core,
        "opt": opt,
        "path": path,
        "inputs": len(x),
        "rows_equal": int((out == expected).all(axis=1).sum()),  # tinyflash.runtime's rows
        "rows_equal_tflm": int((out == tflm).all(axis=1).sum()),  # TFLM's host interpreter
        "instr_per_inference": float(counts.mean()),
        "instr_min": int(counts.min()),
        "instr_max": int(counts.max()),
        "instr_per_mac": float(counts.mean()) / max(macs, 1),
        "stack_bytes": int(stack.group(1)),
        "qemu_seconds": round(time.perf_counter() - start, 1),
    }


def _flash_objects(elf: Path) -> int:
    """Bytes of data objects (objdump flag O) outside .bss/.data: constants in flash."""
    proc = subprocess.run(
        ["arm-none-eabi-objdump", "-t", str(elf)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    total = 0
    for m in re.finditer(r"^[0-9a-f]{8} (.{7}) (\S+)\s+([0-9a-f]{8}) ", proc.stdout, re.M):
        if "O" in m.group(1) and m.group(2) not in (".bss", ".data", "*COM*"):
            total += int(m.group(3), 16)
    return total


def footprint(
    header: Path,
    folder: Path,
    core: str,
    opt: str,
    sizes: tuple[int, int],
    warnings: tuple[str, ...],
) -> dict[str, Any]:
    """Flash (code, constants) and static RAM the model adds to a minimal firmware."""
    from tinyflash.firmware_c import toolchain as tc

    target, extra = _compile_target(core)
    folder.mkdir(parents=True, exist_ok=True)
    io = (f"-DIN_SIZE={sizes[0]}", f"-DOUT_SIZE={sizes[1]}", f"-DRUN={PREFIX}_run")
    measured = {}
    for label, flags in (
        ("base", io),
        ("model", (*io, "-DWITH_MODEL", *_model_flags(header, "default"))),
    ):
        elf = tc.compile_arm(
            [BENCH / "firmware_cnn_footprint.c"],
            folder / f"fp-{core}{opt}-{label}.elf",
            target,
            opt,
            (*extra, *flags),
            warnings=warnings,
        )
        measured[label] = (tc.arm_size(elf), _flash_objects(elf))
    (base, base_const), (model, model_const) = measured["base"], measured["model"]
    flash = model["text"] + model["data"] - base["text"] - base["data"]
    constants = model_const - base_const
    return {
        "core": core,
        "opt": opt,
        "flash": flash,
        "constants": constants,
        "code": flash - constants,
        "ram_static": model["bss"] + model["data"] - base["bss"] - base["data"],
    }


def measure_ours(
    name: str, path: Path, folder: Path, runs: tuple, sizes: tuple, n: int, log: Any
) -> dict[str, Any]:
    """Everything about one model on our side (no peers); 'unsupported' if codegen refuses it."""
    import tinyflash.runtime as rt
    from tinyflash.export.reference import run_tflm
    from tinyflash.firmware_c.generate import generate_header
    from tinyflash.runtime.errors import UserError

    model = rt.load(path, rounding="tflm")
    x = _inputs(tuple(model.input.shape), n)
    ours = np.asarray(model(x)).reshape(n, -1)
    tflm = np.asarray(run_tflm(path, x)).reshape(n, -1)
    rec: dict[str, Any] = {
        "model": name,
        "tflite_bytes": path.stat().st_size,
        "macs": count_macs(model.graph),
        "inputs": n,
        "runtime_vs_tflm_rows_equal": int((ours == tflm).all(axis=1).sum()),
    }
    try:
        header = generate_header(path, folder / "header", prefix=PREFIX, rounding="tflm")
    except UserError as exc:  # UnsupportedOperatorError and friends: said, not fatal
        rec["unsupported"] = str(exc).splitlines()[0]
        log(f"  {name}: tinyflash: not supported yet: {rec['unsupported']}")
        return rec
    text = header.read_text()
    arena = re.search(rf"^#define {PREFIX.upper()}_ARENA_SIZE \(?(\d+)", text, re.M)
    rec["arena_bytes"] = int(arena.group(1)) if arena else None
    rec["targets"], rec["footprint"], rec["errors"] = [], [], []
    for i, run in enumerate(runs):
        k = n if i == 0 else min(n, INPUTS_OTHER)
        log(f"  {name}: {' '.join(run)}, {k} inputs")
        args = (header, folder / "-".join(run), run, x[:k], ours[:k], tflm[:k], rec["macs"])
        _attempt(run_target, args, rec["targets"], rec["errors"], list(run))
    io = (int(np.prod(model.input.shape)), ours.shape[1])
    for core, opt in sizes:
        args = (header, folder / "fp", core, opt, io)
        _attempt(footprint, args, rec["footprint"], rec["errors"], [core, opt])
    for e in rec["errors"]:
        log(f"  {name}: {' '.join(e['run'])}: {e['error']}")
    return rec


def _attempt(fn: Callable, args: tuple, rows: list, errors: list, run: list[str]) -> None:
    """rows += fn(*args) built with the strict warnings (firmware_c.toolchain.STRICT_C99); if
    that build fails, once more without -Werror, the row keeping the strict build's error as
    "strict_error"; if that fails too, errors += the error."""
    from tinyflash.firmware_c.toolchain import STRICT_C99, ToolchainError

    strict = None
    for warnings in (STRICT_C99, tuple(w for w in STRICT_C99 if w != "-Werror")):
        try:
            row = fn(*args, warnings=warnings)
        except ToolchainError as exc:
            strict = strict or _first_error(str(exc))
            continue
        rows.append({**row, "strict_error": strict} if strict else row)
        return
    errors.append({"run": run, "error": strict})


def _first_error(text: str) -> str:
    """The compiler's first 'error:' line (without its path), else the message's first line."""
    found = re.search(r"error: (.*)", text)
    return found.group(1).strip() if found else text.splitlines()[0]


def find_peers() -> Path | None:
    """The peers folder: $TFLM_PEERS if set, else ../shared/peers beside the repository."""
    user = os.environ.get("TFLM_PEERS")
    folder = Path(user) if user else BENCH.parent.parent / "shared" / "peers"
    return folder if (folder / "tflm" / "run.sh").is_file() else None


def run_peers(
    peers: Path, models: dict[str, Path], root: Path, cpus: list[str], opts: list[str], log: Any
) -> list[dict[str, Any]]:
    """TFLM ref and CMSIS-NN on each model: the rows of the harness's summary.jsonl."""
    env = {
        **os.environ,
        "PY": sys.executable,
        "TFLM_BENCH_ROOT": str(root),
        "CPUS": " ".join(cpus),
        "OPTS": " ".join(opts),
        "VARIANTS": "ref cmsis_nn",
    }
    root.mkdir(parents=True, exist_ok=True)
    log(f"  peers: {peers}/tflm/run.sh ({' '.join(cpus)}; {' '.join(opts)}) in {root}")
    cmd = ["bash", str(peers / "tflm" / "run.sh"), *map(str, models.values())]
    with open(root / "run.log", "w") as out:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=4 * 3600)
    if done.returncode != 0:
        tail = " / ".join((root / "run.log").read_text().strip().splitlines()[-3:])
        raise RuntimeError(f"peer harness exit {done.returncode}: {tail}")
    lines = (root / "out" / "summary.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def measure(
    work: Path,
    build: dict[str, Callable[[], Any]] | None = None,
    runs: tuple = RUNS,
    sizes: tuple = SIZES,
    n: int = INPUTS,
    log: Any = print,
    extra: dict[str, Path] | None = None,
) -> dict[str, Any]:
    """The whole record: our rows per model, the peers' rows (or why there are none).
    extra: name -> an int8 .tflite made elsewhere (e.g. a trained run folder's), copied in."""
    import shutil

    models = build_models(work / "models", build or builders(), log)
    for name, path in (extra or {}).items():
        models[name] = Path(shutil.copyfile(path, work / "models" / f"{name}.tflite"))
    records = [
        measure_ours(name, path, work / name, runs, sizes, n, log) for name, path in models.items()
    ]
    peers = find_peers()
    rec: dict[str, Any] = {"models": records, "runs": [list(r) for r in runs]}
    if peers is None:
        log(f"  {SKIPPED}")
        rec["peers"] = SKIPPED
    else:
        root = Path(os.environ.get("TFLM_BENCH_ROOT") or work / "tflm_peer")
        cpus = sorted({c for c, _, _ in runs} | {c for c, _ in sizes})
        opts = sorted({o for _, o, _ in runs} | {o for _, o in sizes})
        try:
            rec["peers"] = run_peers(peers, models, root, cpus, opts, log)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:  # ours still stand
            rec["peers"] = f"peer failed: {exc}"
            log(f"  {rec['peers']}")
    return rec


def _peer(rec: dict[str, Any], model: str, cpu: str, variant: str, opt: str) -> dict | None:
    if not isinstance(rec["peers"], list):
        return None
    for p in rec["peers"]:
        if (p["model"], p["cpu"], p["variant"], p["opt"]) == (model, cpu, variant, opt):
            return p if p["status"] == "ok" else None
    return None


def _why_not(m: dict[str, Any], run: list[str]) -> str:
    """Why a model has no figures for `run`: codegen refused it, or its build failed."""
    if "unsupported" in m:
        return f"not supported yet: {m['unsupported']}"
    for e in m.get("errors", []):
        if not run or e["run"] == run:
            return f"build failed: {e['error']}"
    return "not measured"


def _n(v: Any, fmt: str = ",.0f") -> str:
    return "-" if v is None else format(v, fmt)


def _target(m: dict[str, Any], run: tuple[str, ...]) -> dict[str, Any] | None:
    return next((t for t in m.get("targets", []) if (t["core"], t["opt"], t["path"]) == run), None)


def _mark(row: dict[str, Any] | None, notes: list[str], model: str) -> str:
    """The mark " +" for a row built without -Werror; the strict build error goes to notes."""
    if not row or not row.get("strict_error"):
        return ""
    note = f"{model}: built without -Werror; the strict build fails: {row['strict_error']}"
    if note not in notes:
        notes.append(note)
    return " +"


def _speed_table(rec: dict[str, Any], notes: list[str]) -> list[str]:
    lines = [
        "| model | MACs | core | -O | path | tinyflash instr | instr/MAC | TFLM ref instr "
        "| TFLM+CMSIS-NN instr | CMSIS-NN instr/MAC | ratio | arena B (TFLM) | stack B (TFLM) |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in rec["models"]:
        said: set[str] = set()  # a reason is written once per model, then "(as above)"
        for core, opt, path in map(tuple, rec["runs"]):
            ref = _peer(rec, m["model"], core, "ref", opt)
            cm = _peer(rec, m["model"], core, "cmsis_nn", opt)
            t = _target(m, (core, opt, path))
            if t is None:
                why = _why_not(m, [core, opt, path])
                cells = ["(as above)" if why in said else f"tinyflash: {why}", "-"]
                said.add(why)
            else:
                low, high = t["instr_min"], t["instr_max"]
                spread = "" if low == high else f" ({low:,}-{high:,})"
                mark = _mark(t, notes, m["model"])
                cells = [
                    f"{t['instr_per_inference']:,.0f}{spread}{mark}",
                    f"{t['instr_per_mac']:.3f}",
                ]
            ratio = cm["instr_per_invoke"] / t["instr_per_inference"] if (cm and t) else None
            arena = f"{_n(m.get('arena_bytes'))} ({_n(cm and cm['arena_used_bytes'])})"
            stack = f"{_n(t and t['stack_bytes'])} ({_n(cm and cm['stack_invoke_bytes'])})"
            lines.append(
                f"| {m['model']} | {m['macs']:,} | {core} | {opt} | {path} | {' | '.join(cells)} "
                f"| {_n(ref and ref['instr_per_invoke'])} | {_n(cm and cm['instr_per_invoke'])} "
                f"| {_n(cm and cm['instr_per_mac'], '.3f')} | {_n(ratio, '.2f')} "
                f"| {arena} | {stack} |"
            )
    return lines


def _flash_table(rec: dict[str, Any], notes: list[str]) -> list[str]:
    lines = [
        "| model | core | -O | tinyflash code | TFLM ref code | TFLM+CMSIS-NN code "
        "| tinyflash constants | .tflite bytes | tinyflash static RAM |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in rec["models"]:
        if not m.get("footprint"):
            lines.append(f"| {m['model']} | - | - | tinyflash: {_why_not(m, [])} | | | | | |")
        for f in m.get("footprint", []):
            ref = _peer(rec, m["model"], f["core"], "ref", f["opt"])
            cm = _peer(rec, m["model"], f["core"], "cmsis_nn", f["opt"])
            lines.append(
                f"| {m['model']} | {f['core']} | {f['opt']} | {f['code']:,}"
                f"{_mark(f, notes, m['model'])} | {_n(ref and ref['tflm_code_bytes'])} "
                f"| {_n(cm and cm['tflm_code_bytes'])} | {f['constants']:,} "
                f"| {m['tflite_bytes']:,} | {f['ram_static']:,} |"
            )
    return lines


def _parity_table(rec: dict[str, Any]) -> list[str]:
    lines = [
        "| model | inputs | runtime = TFLM host | header = runtime (= TFLM host), rows per run "
        "| TFLM target = host (ref, CMSIS-NN; M4 -O2) |",
        "|---|---:|---|---|---|",
    ]
    for m in rec["models"]:
        runs = ", ".join(
            f"{t['core']} {t['opt']} {t['path']}: {t['rows_equal']}/{t['inputs']} "
            f"({t['rows_equal_tflm']}/{t['inputs']})"
            for t in m.get("targets", [])
        )
        peer = [_peer(rec, m["model"], "cortex-m4", v, "-O2") for v in ("ref", "cmsis_nn")]
        peer_eq = ", ".join(p["output_equal_host_tflite_micro"] if p else "-" for p in peer)
        ours = runs or "tinyflash: " + _why_not(m, list(rec["runs"][0]))
        rows = f"{m['runtime_vs_tflm_rows_equal']}/{m['inputs']}"
        lines.append(f"| {m['model']} | {m['inputs']} | {rows} | {ours} | {peer_eq} |")
    return lines


GOALS = "ratio M4 -O2 DSP >= 1.25, ratio M0+ -O2 > 1, code at -Os <= 8 KB, arena <= TFLM's"


def _goals_table(rec: dict[str, Any]) -> list[str]:
    """Issue 13's goals per model, each measured figure beside its bound (- if not measured)."""

    def ratio(m: dict[str, Any], core: str, path: str) -> float | None:
        t, cm = _target(m, (core, "-O2", path)), _peer(rec, m["model"], core, "cmsis_nn", "-O2")
        return cm["instr_per_invoke"] / t["instr_per_inference"] if t and cm else None

    def verdict(value: float | None, ok: bool) -> str:
        return "-" if value is None else ("yes" if ok else "**no**")

    lines = [
        "| model | M4 DSP ratio | >= 1.25 | M0+ ratio | > 1 | max code -Os B | <= 8,192 "
        "| arena B / TFLM | <= |",
        "|---|---:|---|---:|---|---:|---|---:|---|",
    ]
    for m in rec["models"]:
        m4, m0 = ratio(m, "cortex-m4", "DSP"), ratio(m, "cortex-m0plus", "portable")
        codes = [f["code"] for f in m.get("footprint", []) if f["opt"] == "-Os"]
        code = max(codes) if codes else None
        peers = [_peer(rec, m["model"], "cortex-m4", v, "-O2") for v in ("ref", "cmsis_nn")]
        tflm = min((p["arena_used_bytes"] for p in peers if p), default=None)
        arena = m.get("arena_bytes")
        share = arena / tflm if arena is not None and tflm else None
        lines.append(
            f"| {m['model']} | {_n(m4, '.2f')} | {verdict(m4, (m4 or 0) >= 1.25)} "
            f"| {_n(m0, '.2f')} | {verdict(m0, (m0 or 0) > 1)} | {_n(code)} "
            f"| {verdict(code, (code or 0) <= 8192)} | {_n(share, '.2f')} "
            f"| {verdict(share, (share or 0) <= 1)} |"
        )
    return lines


def markdown(rec: dict[str, Any]) -> str:
    """The per-model tables: speed and RAM per run, flash per core and -O, parity."""
    notes: list[str] = []
    peers = "" if isinstance(rec["peers"], list) else f" **{rec['peers']}.**"
    lines = [
        "## Firmware, any graph: generated C header vs TFLM (reference kernels) and TFLM + "
        "CMSIS-NN",
        "",
        "Exact QEMU instruction counts of one inference (ours: mean over the inputs, with the "
        "range where inputs differ; TFLM: one Invoke), the same .tflite files, in the same run. "
        "ratio = TFLM + CMSIS-NN instructions / ours (above 1: ours is faster). Arena: ours "
        "`<P>_ARENA_SIZE` vs TFLM `arena_used_bytes()`; stack: high-water of one inference. "
        "The TFLM columns are the same core and -O level for every path of ours (CMSIS-NN "
        "takes its DSP path on the M4 either way). M0+ code runs on QEMU's mps2-an385, as the "
        "peer's does." + peers,
        "",
        f"Goals of issue 13 ({GOALS}; ratio = TFLM + CMSIS-NN instructions / ours, the arena "
        "against the smaller of TFLM's two on the M4):",
        "",
        *_goals_table(rec),
        "",
        "Per model and run:",
        "",
        *_speed_table(rec, notes),
        "",
        "Flash in bytes: ours = a minimal firmware with the model minus the same without it "
        "(default path: DSP on M4), split into constants (data objects) and code; TFLM = its "
        "interpreter and kernels (`tflm_code_bytes`) and the model flatbuffer (`model_bytes`).",
        "",
        *_flash_table(rec, notes),
        "",
        "Parity on the same inputs (all -128, all 127, then random int8, seed 1): tinyflash."
        "runtime (rounding tflm) against TFLM's host interpreter (`tflite_micro`), and every "
        "output byte of the header under QEMU against tinyflash.runtime; the peers' own check "
        "is their target output against `tflite_micro` on one input of theirs.",
        "",
        *_parity_table(rec),
    ]
    if notes:
        lines += ["", *(f"+ {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def run(ctx: Any) -> tuple[str, dict[str, Any]]:
    from tinyflash.firmware_c import toolchain as tc

    missing = tc.missing_tools("gcc", "arm-none-eabi-gcc", "qemu-system-arm")
    if missing:
        raise RuntimeError(f"missing tools: {', '.join(missing)} (.ci/run installs them)")
    # The MNIST `cnn` preset only if the suite has already trained it (training is not cheap).
    trained = Path(ctx.root) / "runs" / "cnn" / "model_int8.tflite"
    extra = {"mnist_cnn_preset": trained} if trained.is_file() else {}
    rec = measure(Path(ctx.work), log=ctx.log, extra=extra)
    return markdown(rec), rec


def main(argv: list[str]) -> int:
    import argparse

    from tinyflash.atomic import write_text

    parser = argparse.ArgumentParser(prog="bench/firmware_cnn.py", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("work", nargs="?", type=Path, help="scratch folder (default: a new one)")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also measure this int8 .tflite (e.g. a run folder's model_int8)",
    )
    args = parser.parse_args(argv)
    extra = dict((n, Path(p)) for n, _, p in (m.partition("=") for m in args.model))
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-fw-cnn-"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    start = time.perf_counter()
    rec = measure(work, log=lambda s: print(s, file=sys.stderr, flush=True), extra=extra)
    (work / "record.json").write_text(json.dumps(rec, indent=1))
    text = markdown(rec)
    print(text)
    machine = _machine()
    models = "".join(f" --model {n}=..." for n in extra)
    given = "".join(
        f" {n}: {p.name}, sha256 {hashlib.sha256(p.read_bytes()).hexdigest()[:16]}..., as given."
        for n, p in extra.items()
    )
    intro = (
        "# bench/firmware_cnn.py alone\n\nWritten by `.venv/bin/python -P bench/firmware_cnn.py "
        f"WORK_DIR{models}` in {time.perf_counter() - start:.0f} s (`make bench` puts the same "
        f"section in RESULTS.md), {_source()}. Machine: {machine}.{given}\n\n"
    )
    write_text(BENCH / "RESULTS_firmware_cnn.md", intro + text)
    return 0


def _source() -> str:
    """The commit measured, and whether firmware_c/ had uncommitted changes."""
    git = ["git", "-C", str(BENCH.parent)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=30).stdout.strip()  # fmt: skip
        dirty = subprocess.run([*git, "status", "--porcelain", "firmware_c"], capture_output=True,
                               text=True, timeout=30).stdout.strip()  # fmt: skip
    except OSError:
        return "source tree unknown"
    return f"tinyflash at {head}" + (" with uncommitted changes in firmware_c/" if dirty else "")


def _machine() -> str:
    import importlib.util

    spec = importlib.util.spec_from_file_location("tinyflash_bench_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    m = module.describe_machine()
    tools = ", ".join(v for v in m["tools"].values() if v)
    return f"{m['cpu']}, {m['cores']} cores; {m['os']}; Python {m['python']}; {tools}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
