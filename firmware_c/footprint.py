"""Flash and RAM of a generated header (int8 or float32) per Cortex-M core, measured.

    rows = measure(run_dir / "mnist_model.h", "mnist", work)   # one row per (core, -O level)
    doc = document(run_dir / "mnist_model.h", "mnist", rows)     # what footprint.json holds

Per (core, -O level), one row:
  flash_total  arm-none-eabi-size text + data of target/footprint.c linked with the model
               (it calls <prefix>_run) minus the same firmware without it, in bytes;
  constants    of which the model's static const arrays (arm-none-eabi-nm sizes of
               <prefix>__s<k>_<name> and <prefix>__input_table);
  code         flash_total - constants;
  arena_bss    the size of the model's static arena in .bss (arm-none-eabi-nm);
  stack_bytes  (stack=True, needs qemu-system-arm) the deepest stack of one <prefix>_run
               call, painted and read back by target/driver.c on the core's QEMU board.
The header's default path is built: the DSP (SMLAD) path on cores that have it.

Standard library only (plus the toolchain helpers); ToolchainError when a build fails.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tinyflash.firmware_c import toolchain as tc

__all__ = ["COMPILER", "CORES", "OPTS", "document", "measure", "measure_core", "skip_reason"]

COMPILER = "arm-none-eabi-gcc"
CORES = ("cortex-m0plus", "cortex-m4", "cortex-m7")
OPTS = ("-Os", "-O2")
FORMAT = 1


def skip_reason(stack: bool = False) -> str | None:
    """Why the footprint cannot be measured here (None: it can). stack: QEMU needed too."""
    tools = (COMPILER, "arm-none-eabi-size", "arm-none-eabi-nm")
    missing = tc.missing_tools(*tools, *(("qemu-system-arm",) if stack else ()))
    return f"skipped: {missing[0]} not found" if missing else None  # the compiler first


def _model_flags(header: Path, prefix: str) -> tuple[str, ...]:
    return (f"-I{header.parent}", f'-DMODEL_HEADER="{header.name}"',
            f"-D{prefix.upper()}_IMPLEMENTATION")  # fmt: skip


# The micro:bit's 16 KiB of RAM holds small models only; the same ARMv6-M code links and runs
# on the M3 board's 4 MiB (code and constants are the same bytes, whatever the board).
LINK_TARGET = {"cortex-m0plus": "cortex-m0plus-mps2", "cortex-m0": "cortex-m0plus-mps2"}


def _is_float(header: Path, prefix: str) -> bool:
    """A float32 header has no rounding macro (int8 headers always state theirs)."""
    return f"#define {prefix.upper()}_ROUNDING " not in header.read_text()


def _stack_bytes(header: Path, prefix: str, work: Path, core: str, opt: str) -> int:
    """Deepest stack of one <prefix>_run call on the core's QEMU board (one all-zero input)."""
    match = re.search(rf"^#define {prefix.upper()}_INPUT_SIZE (\d+)$", header.read_text(), re.M)
    if not match:
        raise tc.ToolchainError(f"{header}: no {prefix.upper()}_INPUT_SIZE macro")
    is_float = _is_float(header, prefix)
    folder = work / f"stack-{core}{opt}"
    folder.mkdir(parents=True, exist_ok=True)
    flags = ("-DBARE_METAL", *_model_flags(header, prefix), f"-DMODEL_PREFIX={prefix}",
             f"-DMODEL_PREFIX_UPPER={prefix.upper()}",
             f"-DDRIVER_MODE={2 if is_float else 0}")  # fmt: skip
    board = LINK_TARGET.get(core, core)
    elf = tc.compile_arm([tc.TARGET_DIR / "driver.c"], folder / "driver.elf", board, opt, flags)
    # One input: the generated code has no data-dependent recursion or allocas.
    (folder / "inputs.bin").write_bytes(bytes(int(match.group(1)) * (4 if is_float else 1)))
    result = tc.run_qemu(elf, board, cwd=folder, timeout=60)
    found = re.search(r"^stack (\d+)$", result.stdout, re.M)
    if result.returncode != 0 or not found:
        raise tc.ToolchainError(f"{core} {opt}: QEMU exit {result.returncode}: {result.stdout}")
    return int(found.group(1))


def measure_core(
    header: Path, prefix: str, work: Path, core: str, opt: str, stack: bool = False
) -> dict[str, Any]:
    """One row (see the module docstring) for `core` at `opt`; builds go into `work`."""
    header = Path(header).resolve()
    P = prefix.upper()
    with_model = ("-DWITH_MODEL", *_model_flags(header, prefix), f"-DMODEL_RUN={prefix}_run",
                  f"-DMODEL_IO_TYPE={'float' if _is_float(header, prefix) else 'int8_t'}",
                  f"-DMODEL_INPUT_SIZE={P}_INPUT_SIZE",
                  f"-DMODEL_OUTPUT_SIZE={P}_OUTPUT_SIZE")  # fmt: skip
    sizes = {}
    for label, flags in (("base", ()), ("model", with_model)):
        elf = tc.compile_arm([tc.TARGET_DIR / "footprint.c"], work / f"fp-{core}{opt}-{label}.elf",
                             LINK_TARGET.get(core, core), opt, flags)  # fmt: skip
        sizes[label] = (tc.arm_size(elf), tc.symbol_sizes(elf))
    (base, _), (model, symbols) = sizes["base"], sizes["model"]
    # Model constants by name (.rodata sits in the flash .text section, so nm says 't'):
    # the steps' arrays and parameter structs (<prefix>__s<k>_...), and the pixel table.
    pattern = re.compile(rf"{prefix}__(s\d+_\w+|input_table)")
    constants = sum(size for name, (_, size) in symbols.items() if pattern.fullmatch(name))
    flash = (model["text"] + model["data"]) - (base["text"] + base["data"])
    row: dict[str, Any] = {"core": core, "opt": opt, "flash_total": flash,
                           "constants": constants, "code": flash - constants,
                           "arena_bss": symbols.get(f"{prefix}__arena", ("", 0))[1]}  # fmt: skip
    if stack:
        row["stack_bytes"] = _stack_bytes(header, prefix, work, core, opt)
    return row


def measure(
    header: Path,
    prefix: str,
    work: Path,
    cores: Iterable[str] = CORES,
    opts: Iterable[str] = OPTS,
    stack: bool = False,
    jobs: int = 0,
) -> list[dict[str, Any]]:
    """Rows for every core x -O level, in that order. jobs: parallel builds (0: one per CPU)."""
    import os

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    configs = [(core, opt) for core in cores for opt in opts]
    workers = jobs or min(len(configs), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:  # compilers are processes
        futures = [pool.submit(measure_core, header, prefix, work, c, o, stack)
                   for c, o in configs]  # fmt: skip
        return [f.result() for f in futures]


def _compiler_version() -> str:
    import subprocess

    path = shutil.which(COMPILER)
    proc = subprocess.run([path or COMPILER, "--version"], capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    return proc.stdout.splitlines()[0] if proc.stdout else "unknown"


def document(
    header: Path, prefix: str, rows: list[dict[str, Any]], stack_skipped: str | None = None
) -> dict[str, Any]:
    """footprint.json: the rows under "targets", with the header they measured (no timings,
    so the same header and toolchain give the same bytes). stack_skipped: why rows have no
    stack_bytes."""
    header = Path(header)
    stack = stack_skipped is None
    return {
        "format": FORMAT,
        "header": header.name,
        "header_sha256": hashlib.sha256(header.read_bytes()).hexdigest(),
        "prefix": prefix,
        "toolchain": _compiler_version(),
        "method": "arm-none-eabi-size of target/footprint.c with the model minus without; "
        "constants from arm-none-eabi-nm; default (DSP where available) path"
        + ("; stack painted on QEMU over one classify call" if stack else ""),
        "stack": stack_skipped or "measured",
        "targets": rows,
    }
