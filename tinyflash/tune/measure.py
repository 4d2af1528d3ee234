"""One trial, measured: train -> int8 export -> C header -> flash, RAM, instructions.

    m = measure_trial(config, data, run_dir, budget)     # a Measured, every figure sourced

The run folder is a normal `tinyflash run` folder (model.keras, config.toml, metrics.json,
model_int8.tflite, manifest.json, tune_model.h), so `tinyflash verify RUN_DIR` checks it.

    accuracy      int8 test accuracy of model_int8.tflite in TFLM (the export's evaluation)
    flash         arm-none-eabi-gcc present: linked bytes at -Os on the core (firmware with the
                  model minus without, tinyflash.firmware_c.footprint); else the header's
                  constants + CODE_ESTIMATE, "estimated"
    ram           the header's arena (<P>_ARENA_SIZE) + the stack of one classify call painted
                  on QEMU; without QEMU the arena alone, "estimated"
    instructions  exact per-inference count of <prefix>_classify (uint8 pixels in, class out)
                  under QEMU's instruction-count plugin, mean over COUNT_IMAGES test images;
                  else MACs x the measured -Os rate of the dense header, "estimated"
When the C generator cannot write the model's header (an operator it has no kernel for), arena
and constants come from train/summary.py's counts of the Keras model (metrics.json), all
"estimated".
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash.train.config import TrainConfig
from tinyflash.tune.budget import INSTR_PER_MAC_OS, Budget

__all__ = ["CODE_ESTIMATE", "COUNT_IMAGES", "PREFIX", "Measured", "measure_trial"]

PREFIX = "tune"
CODE_ESTIMATE = 2048  # bytes of generated code; linked: 1,206 (M0+) to 1,946 B at -Os / -O2
COUNT_IMAGES = 8  # test images run under the instruction counter (counts vary by a few %)
OPT = "-Os"  # size-constrained parts are built for size


@dataclass(frozen=True)
class Measured:
    """A trained trial's figures; *_source says how each was obtained."""

    accuracy: float  # int8, TFLM, on the whole test set
    float_accuracy: float  # the Keras model on the same test set
    flash: int
    ram: int
    instructions: int
    flash_source: str
    ram_source: str
    instructions_source: str
    params: int
    macs: int
    epochs_run: int
    header: str | None  # the generated header's file name, None where it cannot be made

    @property
    def estimated(self) -> bool:
        return any("estimated" in s for s in (self.flash_source, self.ram_source,
                                                self.instructions_source))  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _macro(text: str, name: str) -> int | None:
    match = re.search(rf"^#define {name} (\d+)$", text, re.M)
    return int(match.group(1)) if match else None


def _constants(text: str) -> int | None:
    """The banner's "Footprint: N B of constant(s| arrays)" (weights, biases, multipliers)."""
    match = re.search(r"Footprint:\s+(\d+) B of constant", text)
    return int(match.group(1)) if match else None


def _count(header: Path, core: str, images: np.ndarray, work: Path) -> tuple[int, int]:
    """(mean instructions per classify call, deepest stack in bytes) on the core's QEMU board.

    images: (N, H, W) or (N, H, W, C) uint8 pixels, the classify API's input. ARMv6-M code runs
    on the M3 board, as the footprint links it: the micro:bit's 16 KiB of RAM cannot hold the
    arena of a larger model plus the driver's buffers (the instructions are the same)."""
    from tinyflash.firmware_c import toolchain as tc
    from tinyflash.firmware_c.footprint import LINK_TARGET

    P = PREFIX.upper()
    flags = ("-DBARE_METAL", f"-I{header.parent}", f'-DMODEL_HEADER="{header.name}"',
             f"-D{P}_IMPLEMENTATION", f"-DMODEL_PREFIX={PREFIX}", f"-DMODEL_PREFIX_UPPER={P}",
             "-DDRIVER_MODE=1")  # fmt: skip
    board = LINK_TARGET.get(core, core)
    elf = tc.compile_arm([tc.TARGET_DIR / "driver.c"], work / "count.elf", board, OPT, flags)
    (work / "inputs.bin").write_bytes(np.ascontiguousarray(images, np.uint8).tobytes())
    result = tc.run_qemu(elf, board, cwd=work, count=True, timeout=300)
    stack = re.search(r"^stack (\d+)$", result.stdout, re.M)
    if result.returncode != 0 or not stack or len(result.regions) != len(images) + 1:
        raise tc.ToolchainError(f"{core}: QEMU exit {result.returncode}: {result.stdout[-300:]}")
    counts = np.array(result.regions[1:], np.int64) - result.regions[0]  # minus an empty region
    return int(round(float(counts.mean()))), int(stack.group(1))


def _c_figures(header: Path, budget: Budget, data: Any, metrics: dict[str, Any]) -> dict[str, Any]:
    """flash / ram / instructions of a generated header, measured where the tools are."""
    from tinyflash.firmware_c import footprint
    from tinyflash.firmware_c.toolchain import ToolchainError, missing_tools

    text = header.read_text()
    arena = _macro(text, f"{PREFIX.upper()}_ARENA_SIZE")
    constants = _constants(text)
    macs = int(metrics["macs"])
    out = _estimated(metrics, budget, "header without a Footprint banner or arena macro")
    if constants is not None:
        out["flash"] = constants + CODE_ESTIMATE
        out["flash_source"] = f"estimated: header constants + {CODE_ESTIMATE:,} B of code"
    if arena is not None:
        out["ram"] = arena
        out["ram_source"] = "estimated: header arena, stack not measured"
    else:
        arena = out["ram"]
    out |= {
        "instructions": round(macs * INSTR_PER_MAC_OS[budget.core]),
        "instructions_source": f"estimated: MACs x {INSTR_PER_MAC_OS[budget.core]} "
        f"({budget.core} {OPT}, measured on the dense header)",
    }
    with tempfile.TemporaryDirectory(prefix="tinyflash-tune-") as tmp:
        work = Path(tmp)
        try:  # a build that fails leaves the estimates, saying why
            if footprint.skip_reason() is None:
                row = footprint.measure_core(header, PREFIX, work, budget.core, OPT)
                out["flash"], arena = row["flash_total"], row["arena_bss"]
                out["ram"] = arena
                out["flash_source"] = f"linked, {budget.core} {OPT} (arm-none-eabi-size)"
            if not missing_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc"):
                n = min(COUNT_IMAGES, len(data.x_test))
                out["instructions"], stack = _count(header, budget.core, data.x_test[:n], work)
                out["instructions_source"] = f"QEMU, exact, mean of {n} images, {budget.core} {OPT}"
                out["ram"] = arena + stack
                out["ram_source"] = "arena + stack painted on QEMU"
        except ToolchainError as exc:
            first = (str(exc).splitlines() or ["ToolchainError"])[0][:100]
            for key in ("flash_source", "ram_source", "instructions_source"):
                if out[key].startswith("estimated"):
                    out[key] += f" (build failed: {first})"
    return out


def _estimated(metrics: dict[str, Any], budget: Budget, reason: str) -> dict[str, Any]:
    """flash / ram / instructions from the Keras model's counts (no header can be made)."""
    rate = INSTR_PER_MAC_OS[budget.core]
    return {
        "flash": int(metrics["int8_weight_bytes"]) + CODE_ESTIMATE,
        "flash_source": f"estimated: int8 weights + {CODE_ESTIMATE:,} B of code ({reason})",
        "ram": int(metrics["int8_arena_bytes_estimate"]),
        "ram_source": f"estimated: arena of train/summary.py ({reason})",
        "instructions": round(int(metrics["macs"]) * rate),
        "instructions_source": f"estimated: MACs x {rate} ({reason})",
    }


def measure_trial(
    config: TrainConfig,
    data: Any,
    run_dir: Path,
    budget: Budget,
    calibration: int = 1000,
    log: Callable[[str], None] = lambda s: None,
) -> Measured:
    """Train config on data into run_dir, export, generate the header, measure (module doc)."""
    from tinyflash.export.pipeline import export_run
    from tinyflash.firmware_c.generate import generate_header
    from tinyflash.train.fit import train

    run_dir = Path(run_dir)
    metrics = train(config, data, run_dir, log=log, summary=lambda s: None, verbose=0,
                    plots=False)  # fmt: skip
    manifest = export_run(run_dir, calibration=calibration, log=log, data=data)
    evaluation = manifest["artifacts"]["tflite_int8"]["evaluation"]
    header: Path | None = None
    try:
        header = generate_header(run_dir / "model_int8.tflite", run_dir, PREFIX, "tflm")
    except Exception as exc:  # noqa: BLE001 - e.g. no C kernel for an operator yet
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        figures = _estimated(metrics, budget, f"no C header: {first.split(';')[0][:80]}")
    else:
        figures = _c_figures(header, budget, data, metrics)
    return Measured(
        accuracy=float(evaluation["tflm"]["accuracy"]),
        float_accuracy=float(metrics["test_accuracy"]),
        params=int(metrics["parameters"]),
        macs=int(metrics["macs"]),
        epochs_run=int(metrics["epochs_run"]),
        header=header.name if header else None,
        **figures,
    )
