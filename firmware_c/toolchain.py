"""Build and run C programs on the host and on emulated Cortex-M cores (tests and bench).

    exe = compile_host(["driver.c"], work / "driver", cc="gcc")
    elf = compile_arm(["driver.c"], work / "driver.elf", "cortex-m4")
    result = run_qemu(elf, "cortex-m4", cwd=work, count=True)   # exit status, stdout, counts

Bare-metal programs link target/startup.c (vector table, .data/.bss, stack paint, FPU on) and
target/semihost.c (host files, printing and exit status through ARM semihosting); QEMU runs
them with `-semihosting-config enable=on,target=native`. `count=True` loads the TCG plugin
target/insn_count.c (built once per folder), which reports exact executed-instruction counts
between calls of bench_begin() and bench_end().

Standard library only. Every subprocess has a timeout; failures raise ToolchainError with the
command and its output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "HERE",
    "STRICT_C99",
    "TARGETS",
    "QemuResult",
    "Target",
    "ToolchainError",
    "arm_size",
    "build_plugin",
    "compile_arm",
    "compile_host",
    "missing_tools",
    "run_qemu",
    "symbol_sizes",
]

HERE = Path(__file__).resolve().parent
TARGET_DIR = HERE / "target"

# The warning set every C source and generated header must pass.
STRICT_C99 = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wshadow", "-Wconversion")


@dataclass(frozen=True)
class Target:
    """A Cortex-M core: compiler flags, and the QEMU board that runs its code."""

    cpu_flags: tuple[str, ...]
    machine: str
    linker_script: str
    dsp: bool


TARGETS: dict[str, Target] = {
    # QEMU's microbit is a Cortex-M0; M0+ code (same ARMv6-M instruction set) runs on it.
    "cortex-m0": Target(("-mcpu=cortex-m0",), "microbit", "microbit.ld", False),
    "cortex-m0plus": Target(("-mcpu=cortex-m0plus",), "microbit", "microbit.ld", False),
    # The same ARMv6-M code on the M3 board's 4 MiB of RAM, for models whose arena or inputs
    # exceed the micro:bit's 16 KiB (as ../shared/peers runs its M0+ rows).
    "cortex-m0plus-mps2": Target(("-mcpu=cortex-m0plus",), "mps2-an385", "mps2.ld", False),
    "cortex-m3": Target(("-mcpu=cortex-m3",), "mps2-an385", "mps2.ld", False),
    "cortex-m4": Target(
        ("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"), "mps2-an386", "mps2.ld", True
    ),
    "cortex-m7": Target(
        ("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"), "mps2-an500", "mps2.ld", True
    ),
}


class ToolchainError(RuntimeError):
    """A compiler, linker or emulator run failed; the message holds the command and output."""


@dataclass(frozen=True)
class QemuResult:
    """One emulator run: exit status, semihosting console text, instruction counts (count=True).

    regions: instructions executed between each bench_begin()/bench_end() pair, in order.
    """

    returncode: int
    stdout: str
    regions: list[int] = field(default_factory=list)
    total: int | None = None


def missing_tools(*names: str) -> list[str]:
    """The names among `names` not found on PATH."""
    return [n for n in names if shutil.which(n) is None]


def _run(cmd: list[str], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"timed out after {timeout} s: {' '.join(cmd)}") from exc
    except FileNotFoundError as exc:
        raise ToolchainError(f"tool not found: {cmd[0]}") from exc
    return proc


def _check(proc: subprocess.CompletedProcess, cmd: list[str]) -> None:
    if proc.returncode != 0:
        raise ToolchainError(
            f"exit {proc.returncode}: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}".rstrip()
        )


def compile_host(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    cc: str = "gcc",
    opt: str = "-O2",
    flags: tuple[str, ...] = (),
    timeout: float = 120,
) -> Path:
    """Compile and link `sources` into the host executable `out` with STRICT_C99 warnings."""
    out = Path(out)
    cmd = [cc, *STRICT_C99, opt, *flags, "-o", str(out), *map(str, sources), "-lm"]
    _check(_run(cmd, timeout), cmd)
    return out


def compile_arm(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    target: str,
    opt: str = "-O2",
    flags: tuple[str, ...] = (),
    timeout: float = 120,
    warnings: tuple[str, ...] = STRICT_C99,
) -> Path:
    """Compile, link (startup + semihosting + linker script) into the bare-metal ELF `out`."""
    t = TARGETS[target]
    out = Path(out)
    cmd = [
        "arm-none-eabi-gcc",
        "-mthumb",
        *t.cpu_flags,
        *warnings,
        opt,
        *flags,
        "-ffunction-sections",
        "-fdata-sections",
        "-ffreestanding",
        "-nostartfiles",
        "--specs=nano.specs",
        f"-I{TARGET_DIR}",
        f"-L{TARGET_DIR}",
        f"-T{TARGET_DIR / t.linker_script}",
        "-Wl,--gc-sections",
        "-o",
        str(out),
        *map(str, sources),
        str(TARGET_DIR / "startup.c"),
        str(TARGET_DIR / "semihost.c"),
        "-lm",
    ]
    _check(_run(cmd, timeout), cmd)
    return out


def build_plugin(out_dir: str | os.PathLike[str], timeout: float = 60) -> Path:
    """Compile the instruction-count TCG plugin into out_dir (once; reused if up to date)."""
    src = TARGET_DIR / "insn_count.c"
    out = Path(out_dir) / "insn_count.so"
    if out.is_file() and out.stat().st_mtime >= src.stat().st_mtime:
        return out
    cmd = ["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-o", str(out), str(src)]
    _check(_run(cmd, timeout), cmd)
    return out


def _symbol(elf: Path, name: str) -> int:
    proc = _run(["arm-none-eabi-nm", str(elf)], 30)
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise ToolchainError(f"{elf}: symbol {name} not found")


def run_qemu(
    elf: str | os.PathLike[str],
    target: str,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 60,
    count: bool = False,
) -> QemuResult:
    """Run a bare-metal ELF on the target's QEMU board; semihosting paths resolve in `cwd`."""
    elf = Path(elf).resolve()
    cwd = Path(cwd) if cwd is not None else elf.parent
    cmd = [
        "qemu-system-arm",
        "-M",
        TARGETS[target].machine,
        "-nographic",
        "-monitor",
        "none",
        "-semihosting-config",
        "enable=on,target=native",
        "-kernel",
        str(elf),
    ]
    if count:
        plugin = build_plugin(elf.parent)
        begin, end = _symbol(elf, "bench_begin"), _symbol(elf, "bench_end")
        cmd += ["-plugin", f"{plugin},begin={begin:#x},end={end:#x}", "-d", "plugin"]
    proc = _run(cmd, timeout, cwd=cwd)
    # QEMU writes both the semihosting console and the plugin's lines to stderr.
    text = proc.stdout + proc.stderr
    regions = [int(m) for m in re.findall(r"^region (\d+)$", text, re.M)]
    totals = re.findall(r"^total (\d+)$", text, re.M)
    stdout = re.sub(r"^(region|total) \d+\n", "", text, flags=re.M)
    return QemuResult(proc.returncode, stdout, regions, int(totals[-1]) if totals else None)


def arm_size(elf: str | os.PathLike[str]) -> dict[str, int]:
    """arm-none-eabi-size (Berkeley): {'text', 'data', 'bss'} bytes of a linked ELF."""
    cmd = ["arm-none-eabi-size", "-B", str(elf)]
    proc = _run(cmd, 30)
    _check(proc, cmd)
    text, data, bss = proc.stdout.splitlines()[1].split()[:3]
    return {"text": int(text), "data": int(data), "bss": int(bss)}


def symbol_sizes(elf: str | os.PathLike[str]) -> dict[str, tuple[str, int]]:
    """name -> (nm type letter, size in bytes) for every sized symbol of an ELF."""
    cmd = ["arm-none-eabi-nm", "--size-sort", "-S", str(elf)]
    proc = _run(cmd, 30)
    _check(proc, cmd)
    out: dict[str, tuple[str, int]] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            out[parts[3]] = (parts[2], int(parts[1], 16))
    return out
