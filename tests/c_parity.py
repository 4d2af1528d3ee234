"""Run a generated header on the host through firmware_c/target/driver.c: the parity tests'
one way of asking "what does the C compute for these inputs"."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tinyflash.firmware_c import toolchain as tc


def build_driver(
    header: Path, prefix: str, work: Path, mode: int = 0, cc: str = "gcc", opt: str = "-O2",
    extra: tuple[str, ...] = (),
) -> Path:  # fmt: skip
    """Compile driver.c against `header` (<prefix>_model.h); mode 0: int8 run, 2: float run."""
    out = Path(work) / f"driver_{cc}_{opt.strip('-')}_{mode}"
    flags = (
        f"-I{tc.TARGET_DIR}",
        f"-I{Path(header).parent}",
        f'-DMODEL_HEADER="{Path(header).name}"',
        f"-DMODEL_PREFIX={prefix}",
        f"-DMODEL_PREFIX_UPPER={prefix.upper()}",
        f"-D{prefix.upper()}_IMPLEMENTATION",
        f"-DDRIVER_MODE={mode}",
        *extra,
    )
    return tc.compile_host([tc.TARGET_DIR / "driver.c"], out, cc=cc, opt=opt, flags=flags)


def run_driver(exe: Path, inputs: np.ndarray, out_dtype, out_size: int) -> np.ndarray:
    """inputs: (N, ...) int8 or float32 -> (N, out_size) of out_dtype, through the program."""
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "inputs.bin").write_bytes(np.ascontiguousarray(inputs).tobytes())
        proc = subprocess.run([str(exe)], cwd=work, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        data = (Path(work) / "outputs.bin").read_bytes()
    return np.frombuffer(data, out_dtype).reshape(len(inputs), out_size)
