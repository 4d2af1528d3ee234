"""Benchmark: the generated C header on emulated Cortex-M cores and on the host.

Standalone:  .venv/bin/python -P bench/firmware.py RUN_DIR [WORK_DIR]   prints the tables.
In the suite: bench/run.py calls run(ctx) with the "default" preset (784-128-10, relu).

Measured, not estimated:
- instructions per inference, exactly, with firmware_c/target/insn_count.c (a QEMU TCG plugin)
  between bench_begin()/bench_end() around each inference of the parity driver, minus an empty
  calibration region; per MAC = per inference / the model's multiply-accumulates. Whole
  inference: input conversion, both FULLY_CONNECTED layers, requantization and SOFTMAX.
- parity: every output byte of every image against the Python interpreter (and TFLM).
- flash: arm-none-eabi-size of a linked firmware with and without the model (same startup);
  the model's constants (nm sizes of its static const arrays) separate from its code
  (tinyflash.firmware_c.footprint, which the codegen stage of `tinyflash run` also uses).
- RAM: the arena (.bss) plus the stack high-water of one inference, measured by painting.
- host latency: the compiled driver over the 10,000 test images, against ai-edge-litert's
  reference and default kernels on the same batch, in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

PRESET = "default"
PREFIX = "mnist"
# (core, -O level, portable): the DSP path wherever the core has it, the portable path too.
CONFIGS = [
    ("cortex-m0plus", "-O2", True), ("cortex-m0plus", "-Os", True),
    ("cortex-m3", "-O2", True),
    ("cortex-m4", "-O2", False), ("cortex-m4", "-Os", False),
    ("cortex-m4", "-O2", True), ("cortex-m4", "-Os", True),
    ("cortex-m7", "-O2", False), ("cortex-m7", "-Os", False), ("cortex-m7", "-O2", True),
]  # fmt: skip
FULL_PARITY = ("cortex-m4", "-O2", False)  # runs all 10,000 images; the others 1,000
TARGETS = {
    "instr/MAC DSP M4 -O2": 1.5,
    "instr/MAC DSP M4 -Os": 2.5,
    "instr/MAC portable M0+ -O2": 5.0,
    "code bytes -Os": 2048,
}
CMSIS_NN = {"cortex-m4 -O2": 1.96, "cortex-m4 -Os": 3.08, "cortex-m0plus -O2": 5.53}


def _flags(header_dir: Path, mode: int) -> tuple[str, ...]:
    return (
        f"-I{header_dir}",
        f'-DMODEL_HEADER="{PREFIX}_model.h"',
        f"-DMODEL_PREFIX={PREFIX}",
        f"-DMODEL_PREFIX_UPPER={PREFIX.upper()}",
        f"-D{PREFIX.upper()}_IMPLEMENTATION",
        f"-DDRIVER_MODE={mode}",
    )


def _inputs(run_dir: Path, data: Any) -> tuple[np.ndarray, np.ndarray]:
    import tinyflash.runtime as rt
    from tinyflash.runtime.quantize import quantize

    model = rt.load(run_dir / "model_int8.tflite")
    pixels = data.x_test.reshape(len(data.x_test), -1)
    x = quantize(
        pixels.astype(np.float32) / np.float32(255.0),
        model.input.scale,
        model.input.zero_point,
        "int8",
    )
    return x, model(x)


def measure_target(
    header_dir: Path,
    work: Path,
    core: str,
    opt: str,
    portable: bool,
    x: np.ndarray,
    expected: np.ndarray,
    macs: int,
) -> dict[str, Any]:
    from tinyflash.firmware_c import toolchain as tc

    name = f"{core}{opt}{'-portable' if portable else ''}"
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    extra = (f"-D{PREFIX.upper()}_PORTABLE",) if portable else ()
    elf = tc.compile_arm(
        [tc.TARGET_DIR / "driver.c"],
        folder / "driver.elf",
        core,
        opt,
        ("-DBARE_METAL", *_flags(header_dir, 0), *extra),
    )
    (folder / "inputs.bin").write_bytes(x.tobytes())
    start = time.perf_counter()
    result = tc.run_qemu(elf, core, cwd=folder, count=True, timeout=1800)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{name}: QEMU exit {result.returncode}: {result.stdout[-500:]}")
    out = np.fromfile(folder / "outputs.bin", np.int8).reshape(-1, expected.shape[1])
    counts = np.array(result.regions[1:], np.int64) - result.regions[0]
    stack = int(result.stdout.split("stack ")[1].split()[0])
    dsp = tc.TARGETS[core].dsp and not portable
    return {
        "core": core,
        "opt": opt,
        "path": "DSP" if dsp else "portable",
        "images": len(x),
        "rows_equal": int((out == expected).all(axis=1).sum()),
        "instr_per_inference": float(counts.mean()),
        "instr_min": int(counts.min()),
        "instr_max": int(counts.max()),
        "instr_per_mac": float(counts.mean() / macs),
        "stack_bytes": stack,
        "qemu_seconds": round(seconds, 2),
    }


def host_latency(header_dir: Path, work: Path, run_dir: Path, x: np.ndarray) -> dict[str, Any]:
    from tinyflash.export import reference
    from tinyflash.firmware_c import toolchain as tc

    exe = tc.compile_host(
        [tc.TARGET_DIR / "driver.c"],
        work / "host-driver",
        opt="-O2",
        flags=(f"-I{tc.TARGET_DIR}", *_flags(header_dir, 0)),
    )
    (work / "inputs.bin").write_bytes(x.tobytes())
    best: dict[str, float] = {}
    for _ in range(3):
        proc = subprocess.run(
            [str(exe)], cwd=work, check=True, timeout=600, capture_output=True, text=True
        )
        times = {"c_header_O2": float(proc.stderr.split("cpu_seconds")[1].split()[0])}
        for kernels in ("reference", "default"):
            start = time.perf_counter()
            reference.run_litert(run_dir / "model_int8.tflite", x, kernels)
            times[f"litert_{kernels}"] = time.perf_counter() - start
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    per = {k: v / len(x) * 1e6 for k, v in best.items()}
    return {
        "microseconds_per_inference": per,
        "litert_reference_over_c": per["litert_reference"] / per["c_header_O2"],
        "litert_default_over_c": per["litert_default"] / per["c_header_O2"],
        "note": "C: processor time inside the inference calls (portable path, one image at "
        "a time, clock() around each call); litert: wall time of one batched call "
        "of all 10,000 images (its interpreter setup included)",
    }


def measure(run_dir: Path, work: Path, data: Any, log: Any = print) -> dict[str, Any]:
    import tinyflash.runtime as rt
    from tinyflash.export import reference
    from tinyflash.firmware_c import footprint
    from tinyflash.firmware_c.generate import generate
    from tinyflash.firmware_c.plan import plan_int8

    work.mkdir(parents=True, exist_ok=True)
    header_dir = work / "header"
    generate(run_dir, prefix=PREFIX, out_dir=header_dir)
    plan = plan_int8(rt.load(run_dir / "model_int8.tflite"))
    x, expected = _inputs(run_dir, data)
    tflm_equal = int(
        (reference.run_tflm(run_dir / "model_int8.tflite", x) == expected).all(1).sum()
    )
    targets = []
    for core, opt, portable in CONFIGS:
        n = len(x) if (core, opt, portable) == FULL_PARITY else 1000
        log(f"  firmware {core} {opt} {'portable' if portable else 'default'}: {n} images")
        targets.append(
            measure_target(header_dir, work, core, opt, portable, x[:n], expected[:n], plan.macs)
        )
    # Flash and RAM of the model alone: firmware with the model minus the same without.
    sizes = footprint.measure(
        header_dir / f"{PREFIX}_model.h",
        PREFIX,
        work,
        cores=("cortex-m0plus", "cortex-m4", "cortex-m7"),
        opts=("-Os", "-O2"),
    )
    return {
        "model": f"{plan.n_in}-"
        + "-".join(str(la.n_out) for la in plan.layers if hasattr(la, "n_in16")),
        "macs": plan.macs,
        "arena_bytes": plan.arena_bytes,
        "python_vs_tflm_rows_equal": tflm_equal,
        "targets": targets,
        "footprint": sizes,
        "host": host_latency(header_dir, work, run_dir, x),
    }


def _find(rec: dict[str, Any], core: str, opt: str, path: str) -> dict[str, Any] | None:
    for t in rec["targets"]:
        if (t["core"], t["opt"], t["path"]) == (core, opt, path):
            return t
    return None


def tables(rec: dict[str, Any]) -> str:
    lines = [
        f"Model {rec['model']} ({rec['macs']:,} MACs), header generated with rounding tflm. "
        f"Python interpreter equals TFLM on {rec['python_vs_tflm_rows_equal']:,} of 10,000 rows.",
        "",
        "| core | -O | path | images | rows bit-exact | instr/inference | instr/MAC | stack B |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for t in rec["targets"]:
        lines.append(
            f"| {t['core']} | {t['opt']} | {t['path']} | {t['images']:,} | "
            f"{t['rows_equal']:,} | {t['instr_per_inference']:,.0f} | "
            f"{t['instr_per_mac']:.3f} | {t['stack_bytes']} |"
        )
    lines += [
        "",
        "| core | -O | model flash B | of which constants | code B | arena (.bss) B |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for f in rec["footprint"]:
        lines.append(
            f"| {f['core']} | {f['opt']} | {f['flash_total']:,} | {f['constants']:,} | "
            f"{f['code']:,} | {f['arena_bss']:,} |"
        )
    checks = []
    for label, (core, opt, path) in {
        "instr/MAC DSP M4 -O2": ("cortex-m4", "-O2", "DSP"),
        "instr/MAC DSP M4 -Os": ("cortex-m4", "-Os", "DSP"),
        "instr/MAC portable M0+ -O2": ("cortex-m0plus", "-O2", "portable"),
    }.items():
        t = _find(rec, core, opt, path)
        if t is not None:
            anchor = CMSIS_NN.get(f"{core} {opt}")
            checks.append(
                f"| {label} | {t['instr_per_mac']:.3f} | <= {TARGETS[label]} | "
                f"{anchor if anchor else '-'} |"
            )
    worst_code = max(f["code"] for f in rec["footprint"] if f["opt"] == "-Os")
    checks.append(
        f"| code bytes -Os (worst core) | {worst_code} | < {TARGETS['code bytes -Os']} | ~2 KB |"
    )
    lines += ["", "| target | measured | goal | CMSIS-NN anchor |", "|---|---:|---:|---:|", *checks]
    h = rec["host"]["microseconds_per_inference"]
    lines += [
        "",
        f"Host latency per inference (best of 3, 10,000 images): C header -O2 "
        f"{h['c_header_O2']:.1f} us; ai-edge-litert reference "
        f"{h['litert_reference']:.1f} us "
        f"({rec['host']['litert_reference_over_c']:.2f}x the C time), default "
        f"{h['litert_default']:.1f} us ({rec['host']['litert_default_over_c']:.2f}x). "
        + rec["host"]["note"]
        + ".",
    ]
    return "\n".join(lines)


def run(ctx: Any) -> tuple[str, dict[str, Any]]:
    from tinyflash.firmware_c import toolchain as tc

    missing = tc.missing_tools("gcc", "arm-none-eabi-gcc", "qemu-system-arm")
    if missing:
        raise RuntimeError(f"missing tools: {', '.join(missing)} (.ci/run installs them)")
    rec = measure(Path(ctx.run_dir(PRESET)), ctx.work, ctx.data(), ctx.log)
    text = (
        "Instruction counts are exact (QEMU TCG plugin, firmware_c/target/insn_count.c), whole "
        "inference (input conversion, both layers, SOFTMAX), averaged over the images run; "
        "the CMSIS-NN anchors count the two FC layers only. Flash from arm-none-eabi-size "
        "of a linked firmware minus the same firmware without the model.\n\n" + tables(rec)
    )
    return text, rec


def main(argv: list[str]) -> int:
    import tempfile

    from tinyflash.train.data import load_mnist

    run_dir = Path(argv[0])
    work = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="bench-fw-"))
    rec = measure(run_dir, work, load_mnist(allow_download=False))
    print(tables(rec))
    print(json.dumps(rec, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
