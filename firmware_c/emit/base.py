"""What an operator's C emitter sees and returns: the contract between the planner and the
one-file-per-operator emitters (firmware_c/emit/int8/<op>.py, firmware_c/emit/float32/<op>.py).

Data flows one way: tinyflash.runtime prepares the graph (every quantization constant comes from
there) -> firmware_c.plan lays out a tensor table and a list of steps -> firmware_c.arena places
the tensors by lifetime -> each step's emitter writes its constants and its call -> one header
skeleton (firmware_c.header) wraps them.

Byte layout of int8 tensors in the arena: "offset binary", u = q + 128 (q ^ 0x80) for every
activation, so that every load is an unsigned byte or word load on every core
(firmware_c/tfk_kernels.h). The entry point converts the caller's int8 input into the arena and
the output back out of it; kernels never see plain int8 activations. float32 tensors are plain
floats. Every arena offset is a multiple of 16 and every tensor's bytes are rounded up to 16,
so a kernel may read (never write) up to 15 bytes past a tensor's end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ALIGN", "Context", "Emitted", "OpEmitter", "Step", "TensorSlot"]

ALIGN = 16  # arena offsets and tensor byte sizes are multiples of this


@dataclass(frozen=True)
class TensorSlot:
    """One tensor of the plan. index: the graph's tensor index. shape: as in the graph (NHWC,
    batch 1 kept). kind: "arena" (an activation at `offset`), "const" (a weight in flash,
    emitted by the step that reads it). nbytes: the bytes the tensor occupies (rounded up to
    ALIGN for arena tensors). scale / zero_point: per-tensor quantization, None for float.
    data: a constant's value (numpy array of `shape`, the graph's dtype), None for arena."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    kind: str
    offset: int = 0
    nbytes: int = 0
    scale: float | None = None
    zero_point: int | None = None
    data: Any = field(default=None, repr=False, compare=False)  # "const": the graph's array

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= int(d)
        return n


@dataclass(frozen=True)
class Step:
    """One operator in execution order. index: position in the plan (the C names use it).
    op: the TFLite builtin name. inputs / outputs: graph tensor indices (constants included,
    -1 for an omitted optional input). params: tinyflash.runtime's prepared params of this op
    (runtime.interpreter.prepare), the only source of its arithmetic. options: the decoded
    builtin options."""

    index: int
    op: str
    name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    params: Any
    options: dict


@dataclass(frozen=True)
class Context:
    """What an emitter may ask of the plan. p: the private C prefix (`mnist__` names are
    f"{p}__..."); tensors: graph index -> TensorSlot; scratch: step index -> arena offset of
    the step's scratch (only for steps that asked for some); rounding: "tflm" or "litert"."""

    p: str
    tensors: dict[int, TensorSlot]
    scratch: dict[int, int]
    rounding: str

    def ptr(self, index: int) -> str:
        """C expression of type `uint8_t *` for arena tensor `index` (inside forward(),
        where `arena` is the `uint8_t *` base)."""
        return f"(arena + {self.tensors[index].offset})"

    def fptr(self, index: int) -> str:
        """C expression of type `float *` for float arena tensor `index`."""
        return f"((float *)(void *)(arena + {self.tensors[index].offset}))"

    def scratch_ptr(self, step: Step) -> str:
        """C expression of type `uint8_t *` for the step's scratch bytes."""
        return f"(arena + {self.scratch[step.index]})"

    def name(self, step: Step, what: str) -> str:
        """A C identifier for one of the step's constants: {p}__s{index}_{what}."""
        return f"{self.p}__{step.name}_{what}"


@dataclass(frozen=True)
class Emitted:
    """constants: C definitions (static const arrays, the params struct) with a one-line comment
    each saying shape and meaning; call: the C statements of forward() for this step (indented
    two spaces); macs: multiply-accumulates per inference; const_bytes: bytes of constants
    emitted (what lands in flash)."""

    constants: str
    call: str
    macs: int = 0
    const_bytes: int = 0


def _no_scratch(step: Step, tensors: dict[int, TensorSlot]) -> int:
    return 0


@dataclass(frozen=True)
class OpEmitter:
    """One operator's generator. kernels: the C files (firmware_c/tfk_*.c) the step needs, in
    dependency order (tfk_fixedpoint.c first where used). emit: step, context -> Emitted.
    scratch_bytes: step, tensors -> bytes of per-step scratch (an im2col buffer, ...), sized at
    generation time; placed by the arena planner for the step's duration only. in_place: the
    output may occupy the first input's bytes (element-wise kernels). check: step -> None,
    raising UnsupportedOperatorError with expected / found / supported when this kernel cannot
    run the step (called before planning)."""

    kernels: tuple[str, ...]
    emit: Callable[[Step, Context], Emitted]
    scratch_bytes: Callable[[Step, dict[int, TensorSlot]], int] = _no_scratch
    in_place: bool = False
    check: Callable[[Step], None] | None = None
