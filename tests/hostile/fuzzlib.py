"""Fuzz harness shared by tests/hostile (hypothesis, short) and bench/fuzz.py (long, atheris).

    mutate(data, fmt, chooser, n)   -> bytes: n structure-aware mutations of a real model file
    run_case(data)                  -> Outcome: what loading (and running) the bytes did
    limits(seconds, extra_bytes)    -> context manager: wall-clock and address-space bounds

The property every case must satisfy: `tinyflash.runtime.load(data)` either returns a model
that then runs on a valid input (shape (3, *model.input.shape), the input dtype) and returns
(3, *model.output.shape) in the output dtype, or raises ModelFormatError /
UnsupportedOperatorError with a message -- within `CASE_SECONDS` and `CASE_EXTRA_BYTES` of new
address space. Anything else is a crash: another exception type (IndexError, struct.error,
MemoryError, RecursionError, ...), a timeout, or a wrong output.

Mutations are chosen by a `Chooser` (hypothesis draws in tests, random.Random in the bench,
atheris bytes in the coverage-guided run), so a failing case can be replayed and shrunk.
"""

from __future__ import annotations

import contextlib
import math
import resource
import signal
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from flatbuffer_sites import FORMATS, Site, tflite_sites
from protobuf_sites import onnx_mutate_once

__all__ = [
    "ALLOWED_NAMES",
    "CORPUS",
    "CRASHES",
    "Chooser",
    "Outcome",
    "corpus_files",
    "limits",
    "mutate",
    "run_case",
]

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CRASHES = HERE / "crashes"
CASE_SECONDS = 2.0  # one load + one run of a 3-row batch
CASE_EXTRA_BYTES = 1 << 30  # new address space a case may map (RLIMIT_AS above the baseline)
MAX_INPUT_ELEMENTS = 1 << 22  # a loaded model whose input row is larger is not run


class CaseTimeout(BaseException):
    """Raised by the SIGALRM handler; a BaseException so `except Exception` cannot eat it."""


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...  # inclusive


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ran", "ran:not-run-large-input", "ModelFormatError", ... or "crash:<what>"
    detail: str
    seconds: float

    @property
    def crashed(self) -> bool:
        return self.kind.startswith("crash:")


def corpus_files(fmt: str) -> list[Path]:
    """The committed real exported seeds for "tflite" or "onnx", in a fixed order."""
    return sorted(CORPUS.glob(f"*.{fmt}"))


def _allowed() -> tuple[type[BaseException], ...]:
    import tinyflash.runtime as rt

    return (rt.ModelFormatError, rt.UnsupportedOperatorError)


ALLOWED_NAMES = ("ModelFormatError", "UnsupportedOperatorError")


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


@contextlib.contextmanager
def limits(seconds: float = CASE_SECONDS, extra_bytes: int = CASE_EXTRA_BYTES) -> Iterator[None]:
    """Raise CaseTimeout after `seconds`; fail allocations beyond VmSize + extra_bytes."""

    def alarm(signum, frame):
        raise CaseTimeout(f"case ran longer than {seconds} s")

    old_handler = signal.signal(signal.SIGALRM, alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_size() + extra_bytes
    resource.setrlimit(
        resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard)
    )
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, old_handler)


def valid_input(model: Any, rows: int = 3) -> np.ndarray | None:
    """A valid batch for `model`: (rows, *input.shape) in its dtype, fixed seed; None if huge."""
    shape = (rows, *model.input.shape)
    if math.prod(model.input.shape) > MAX_INPUT_ELEMENTS:
        return None
    rng = np.random.default_rng(0)
    dtype = np.dtype(model.input.dtype)
    if dtype.kind == "f":
        return rng.random(shape, dtype=np.float64).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def run_case(
    data: bytes, seconds: float = CASE_SECONDS, extra_bytes: int = CASE_EXTRA_BYTES
) -> Outcome:
    """Load `data` with tinyflash.runtime and run it once; classify what happened."""
    import tinyflash.runtime as rt

    allowed = _allowed()
    start = time.perf_counter()
    stage = "load"
    try:
        with limits(seconds, extra_bytes):
            model = rt.load(bytes(data))
            stage = "run"
            x = valid_input(model)
            if x is None:
                return Outcome("ran:not-run-large-input", str(model.input), _since(start))
            y = model(x)
    except allowed as exc:
        if stage == "run":
            return Outcome(f"crash:{type(exc).__name__}-at-run", str(exc)[:300], _since(start))
        kind = type(exc).__name__ if str(exc) else f"crash:empty-{type(exc).__name__}"
        return Outcome(kind, str(exc)[:300], _since(start))
    except CaseTimeout as exc:
        return Outcome(f"crash:timeout-at-{stage}", str(exc), _since(start))
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - every other escape is a finding
        return Outcome(f"crash:{type(exc).__name__}-at-{stage}", repr(exc)[:300], _since(start))
    want = (x.shape[0], *model.output.shape)  # -1: a dimension the file leaves open
    if (
        y.ndim != len(want)
        or any(w not in (-1, f) for w, f in zip(want, y.shape, strict=True))
        or y.dtype != np.dtype(model.output.dtype)
    ):
        return Outcome(
            "crash:wrong-output",
            f"expected {want} {model.output.dtype}, found {y.shape} {y.dtype}",
            _since(start),
        )
    return Outcome("ran", "", _since(start))


def _since(start: float) -> float:
    return time.perf_counter() - start


# ---- mutations --------------------------------------------------------------------------

F32_SPECIAL = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    -1.0,
    1e-45,
    1.17e-38,
    1e-30,
    1e30,
    3.4e38,
    1.0,
    1 / 256,
    0.5,
]
INDEX_SPECIAL = [-1, -2, 0, 1, 2, 3, 2**31 - 1, -(2**31), 2**32 - 1, 2**16]
ROLE_VALUES: dict[str, list] = {
    "Tensor.type": list(range(18)) + [-1, 127, -128],
    "Tensor.shape[]": [0, -1, 1, 2, 7, 10, 784, 785, 2**16, 2**20, 2**31 - 1, -(2**31)],
    "QuantizationParameters.zero_point[]": [-129, 128, -128, 127, 0, 255, 256, 2**63 - 1, -(2**63)],
    "QuantizationParameters.quantized_dimension": [-1, 0, 1, 2, 5, 2**31 - 1],
    "Operator.builtin_options_type": list(range(0, 131)) + [255],
    "OperatorCode.builtin_code": [
        6,
        9,
        14,
        19,
        20,
        21,
        22,
        25,
        28,
        114,
        32,
        3,
        0,
        -1,
        2**31 - 1,
        127,
        128,
        210,
    ],
    "OperatorCode.deprecated_builtin_code": [
        6,
        9,
        14,
        19,
        20,
        21,
        22,
        25,
        28,
        32,
        3,
        0,
        -1,
        127,
        -128,
    ],
    "FullyConnectedOptions.fused_activation_function": list(range(7)) + [-1],
    "FullyConnectedOptions.weights_format": [0, 1, 2, -1],
    "FullyConnectedOptions.keep_num_dims": [0, 1, 255],
    "Model.version": [0, 2, 3, 4, 2**32 - 1],
    "Tensor.has_rank": [0, 1, 255],
}
INDEX_ROLES = (
    "inputs[]",
    "outputs[]",
    "tensor_index",
    "Tensor.buffer",
    "opcode_index",
    "Metadata.buffer",
    "subgraph_index",
)
COUNT_SPECIAL = [0, 1, 2**32 - 1, 2**31 - 1, 2**28, 2**16]


def _choose(chooser: Chooser, options: Sequence) -> Any:
    return options[chooser.integer(0, len(options) - 1)]


def _write(buf: bytearray, pos: int, fmt: str, value) -> None:
    f = FORMATS[fmt]
    size = struct.calcsize(f)
    if pos < 0 or pos + size > len(buf):
        return
    if fmt == "f32":
        value = float(value)
        if math.isfinite(value) and abs(value) > 3.4028234e38:
            value = math.copysign(math.inf, value)
        struct.pack_into(f, buf, pos, value)
        return
    unsigned = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}[size]
    struct.pack_into(unsigned, buf, pos, int(value) % (1 << (8 * size)))


def _read(buf: bytes, pos: int, fmt: str):
    f = FORMATS[fmt]
    if pos < 0 or pos + struct.calcsize(f) > len(buf):
        return 0
    return struct.unpack_from(f, buf, pos)[0]


def _site_value(site: Site, buf: bytearray, sites: list[Site], chooser: Chooser):
    """A hostile value for `site`, by its role first, then by its kind."""
    old = _read(buf, site.pos, site.fmt)
    if site.role in ROLE_VALUES and chooser.integer(0, 3):
        return _choose(chooser, ROLE_VALUES[site.role])
    if site.kind == "scalar" and site.role.endswith(INDEX_ROLES) and chooser.integer(0, 3):
        return _choose(chooser, INDEX_SPECIAL + [chooser.integer(0, 40)])
    if site.fmt == "f32":
        return _choose(chooser, F32_SPECIAL + [old * 2, old / 2, -old])
    if site.kind == "veclen":
        return _choose(chooser, COUNT_SPECIAL + [old + 1, old - 1, old * 2, len(buf)])
    if site.kind == "uoffset":
        other = _choose(chooser, sites).pos  # alias another structure (cycles, confusion)
        return _choose(
            chooser,
            [
                0,
                4,
                -4,
                2**31 - 1,
                2**32 - 1,
                len(buf) - site.pos,
                len(buf) - site.pos - 2,
                other - site.pos,
                old + 4,
                old - 4,
            ],
        )
    if site.kind == "soffset":
        other = _choose(chooser, sites).pos
        return _choose(
            chooser,
            [
                0,
                4,
                -4,
                2**31 - 1,
                -(2**31),
                site.pos - other,
                site.pos - len(buf),
                old + 2,
                old - 2,
            ],
        )
    if site.kind == "vtable":
        return _choose(
            chooser,
            [0, 1, 2, 3, 4, 6, 0xFFFF, 0xFFFE, old + 2, old - 2, old + 4, chooser.integer(0, 64)],
        )
    bits = 8 * struct.calcsize(FORMATS[site.fmt])
    return _choose(
        chooser,
        [
            0,
            1,
            -1,
            old + 1,
            old - 1,
            2 ** (bits - 1) - 1,
            -(2 ** (bits - 1)),
            chooser.integer(0, 2**bits - 1),
        ],
    )


def _mutate_once(buf: bytearray, sites: list[Site], chooser: Chooser) -> bytearray:
    n = len(buf)
    what = chooser.integer(0, 9)
    if what <= 4 and sites:  # structure-aware: most of the effort
        site = _choose(chooser, sites)
        _write(buf, site.pos, site.fmt, _site_value(site, buf, sites, chooser))
        return buf
    if what == 5 and n:
        pos = chooser.integer(0, n - 1)
        buf[pos] ^= 1 << chooser.integer(0, 7)
        return buf
    if what == 6 and n:
        pos = (
            _choose(chooser, [s.pos for s in sites])
            if sites and chooser.integer(0, 1)
            else chooser.integer(0, n)
        )
        return buf[:pos]
    if what == 7 and n:  # insert bytes: every later offset is now off by k
        pos, k = chooser.integer(0, n), chooser.integer(1, 16)
        return buf[:pos] + bytes(chooser.integer(0, 255) for _ in range(k)) + buf[pos:]
    if what == 8 and n:  # delete bytes
        pos = chooser.integer(0, n - 1)
        return buf[:pos] + buf[pos + chooser.integer(1, 16) :]
    if n > 8:  # copy a chunk over another (duplicated tables, vtables)
        a, b, k = chooser.integer(0, n - 1), chooser.integer(0, n - 1), chooser.integer(2, 64)
        chunk = buf[a : a + k]
        buf[b : b + len(chunk)] = chunk
        return buf[:n]
    return buf


def mutate(data: bytes, fmt: str, chooser: Chooser, n: int = 1) -> bytes:
    """Apply n mutations to `data` ("tflite" or "onnx"), re-locating the structure each time."""
    buf = bytearray(data)
    for _ in range(n):
        if fmt == "onnx":
            buf = onnx_mutate_once(buf, chooser)
        else:
            buf = _mutate_once(buf, tflite_sites(bytes(buf)), chooser)
    return bytes(buf)


class RandomChooser:
    """Chooser over random.Random (bench, replay by seed)."""

    def __init__(self, rng):
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)
