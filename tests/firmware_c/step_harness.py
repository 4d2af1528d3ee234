"""Run one emitted step of a small .tflite as C, without the header skeleton: the kernel tests'
way of asking "what does this kernel + emitter compute for these inputs".

    got, want, counts = run_step(model_bytes, x, EMITTER, "tflm", work)   # got == want expected

The model is loaded by tinyflash.runtime (its prepared params are the step's params); the step's
arena inputs and output get 16-aligned offsets of our choosing (the output on the first input's
bytes with in_place=True); constant inputs are TensorSlots of kind "const" with their values
(`data`), as the plan makes them. The emitted constants and call are wrapped with the inlined kernel
sources into step.h for tests/firmware_c/c/step_check.c, compiled for the host or a Cortex-M
(QEMU, instruction counts per record), and fed the step's input values from the runtime's trace
of the graph input x. `want` is the runtime's output of the step, `got` the C's, both int8.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np

import tinyflash.runtime as rt
from tinyflash.firmware_c import toolchain as tc
from tinyflash.firmware_c.cformat import INT8_SOURCES, kernel_source
from tinyflash.firmware_c.emit.base import ALIGN, Context, OpEmitter, Step, TensorSlot

C_DIR = Path(__file__).parent / "c"
PREFIX = "tk"


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def build_step(model: rt.Model, op_index: int = 0, in_place: bool = False) -> tuple[Step, dict]:
    """The model's op `op_index` as a Step, and its TensorSlots: arena inputs at consecutive
    16-aligned offsets from 16 (offset 0 left free so a write before a tensor shows), the
    output after them or, with in_place, on the first input's bytes."""
    g = model.graph
    op = g.operators[op_index]
    slots: dict[int, TensorSlot] = {}
    at = ALIGN
    for t in op.inputs:
        if t < 0 or t in slots:
            continue
        tensor = g.tensors[t]
        q = tensor.quant
        scale = float(q.scale[0]) if q is not None and q.scale.size == 1 else None
        zp = int(q.zero_point[0]) if q is not None and q.zero_point.size == 1 else None
        shape = tuple(int(d) for d in tensor.shape)
        if tensor.data is not None:
            slots[t] = TensorSlot(t, tensor.name, shape, tensor.dtype, "const", 0, 0, scale, zp,
                                  data=np.asarray(tensor.data))  # fmt: skip
            continue
        nbytes = _aligned(math.prod(shape) * np.dtype(tensor.dtype).itemsize)
        slots[t] = TensorSlot(t, tensor.name, shape, tensor.dtype, "arena", at, nbytes, scale, zp)
        at += nbytes
    (y,) = op.outputs
    t = g.tensors[y]
    nbytes = _aligned(math.prod(t.shape) * np.dtype(t.dtype).itemsize)
    first = slots[op.inputs[0]]
    offset = first.offset if in_place else at
    q = t.quant
    slots[y] = TensorSlot(y, t.name, tuple(int(d) for d in t.shape), t.dtype, "arena", offset,
                          nbytes, float(q.scale[0]), int(q.zero_point[0]))  # fmt: skip
    step = Step(0, op.op, "s0", tuple(op.inputs), tuple(op.outputs), model.params[op_index],
                dict(op.options))  # fmt: skip
    return step, slots


def step_header(step: Step, slots: dict, emitter: OpEmitter, rounding: str,
                scratch: dict[int, int]) -> str:  # fmt: skip
    """step.h for c/step_check.c: kernels (the ones tfk_kernels.h declares, which must be
    defined, and the emitter's), constants, sizes, step_forward()."""
    ctx = Context(p=PREFIX, tensors=slots, scratch=scratch, rounding=rounding)
    emitted = emitter.emit(step, ctx)
    ins = [slots[t] for t in dict.fromkeys(step.inputs) if t >= 0 and slots[t].kind == "arena"]
    out = slots[step.outputs[0]]
    end = max(s.offset + s.nbytes for s in slots.values() if s.kind == "arena")
    end = max([end, *(o + emitter.scratch_bytes(step, slots) for o in scratch.values())])
    P = PREFIX.upper()
    return f"""#include <stddef.h>
#include <stdint.h>
#define {P}__FN static __attribute__((unused))
#define {P}__ALIGN8 __attribute__((aligned(8)))
#define {P}__ROUNDING_SINGLE {1 if rounding == "litert" else 0}
{kernel_source(tuple(dict.fromkeys((*INT8_SOURCES, *emitter.kernels))), PREFIX)}
{emitted.constants}
#define STEP_ARENA_SIZE {end}u
#define STEP_N_IN {len(ins)}u
#define STEP_RECORD_SIZE {sum(s.size for s in ins)}u
#define STEP_OUT_OFFSET {out.offset}u
#define STEP_OUT_SIZE {out.size}u
static const size_t step_in_offset[{len(ins)}] = {{{", ".join(str(s.offset) for s in ins)}}};
static const size_t step_in_size[{len(ins)}] = {{{", ".join(str(s.size) for s in ins)}}};
static void step_forward(uint8_t *arena) {{
{emitted.call}
}}
"""


def run_step(model_bytes: bytes, x: np.ndarray, emitter: OpEmitter, rounding: str, work: Path,
             op_index: int = 0, in_place: bool = False, target: str | None = None,
             opt: str = "-O2", cc: str = "gcc", flags: tuple[str, ...] = ()):  # fmt: skip
    """x: (N, *graph input shape) int8 -> (got, want, counts): the step's output as the C
    computes it and as tinyflash.runtime does, both (N, *output shape) int8; counts: the
    instructions per record under QEMU (target set), else None."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    model = rt.load(model_bytes, rounding=rounding)
    step, slots = build_step(model, op_index, in_place)
    scratch_n = emitter.scratch_bytes(step, slots)
    end = max(s.offset + s.nbytes for s in slots.values() if s.kind == "arena")
    scratch = {0: end} if scratch_n else {}
    (work / "step.h").write_text(step_header(step, slots, emitter, rounding, scratch))
    trace = model.trace(x)
    name = {t: model.graph.tensors[t].name for t in (*step.inputs, *step.outputs) if t >= 0}
    ins = [t for t in dict.fromkeys(step.inputs) if t >= 0 and slots[t].kind == "arena"]
    rows = [np.ascontiguousarray(trace[name[t]]).reshape(len(x), -1).view(np.uint8) for t in ins]
    (work / "inputs.bin").write_bytes(np.concatenate(rows, axis=1).tobytes())
    want = trace[name[step.outputs[0]]]
    inc = (f"-I{work}", f"-I{C_DIR}")
    counts = None
    if target is None:
        exe = tc.compile_host([C_DIR / "step_check.c"], work / "step", cc=cc, opt=opt,
                              flags=(*inc, *flags))  # fmt: skip
        proc = subprocess.run([str(exe)], cwd=work, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr}"
    else:
        elf = tc.compile_arm([C_DIR / "step_check.c"], work / "step.elf", target, opt=opt,
                             flags=(*inc, "-DBARE_METAL", *flags))  # fmt: skip
        res = tc.run_qemu(elf, target, cwd=work, count=True, timeout=300)
        assert res.returncode == 0, f"exit {res.returncode}: {res.stdout}"
        counts = res.regions
    got = np.frombuffer((work / "outputs.bin").read_bytes(), np.int8).reshape(want.shape)
    return got, want, counts
