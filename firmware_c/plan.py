"""From a prepared graph to what the generated C runs: a tensor table, steps, a planned arena.

    plan = plan_graph(model)          # model: tinyflash.runtime.Model of a .tflite (int8 or float)

The graph, not a chain: every step names its input and output tensors, graph inputs and outputs
come from the graph, and the arena is placed from tensor lifetimes (firmware_c/arena.py).
  - RESHAPE and SQUEEZE are aliases: the output tensor is the input's bytes, no step is emitted.
  - SHAPE / STRIDED_SLICE / PACK that only compute a RESHAPE's target shape are dropped: every
    shape is static here.
  - An int8 graph's float or uint8 interface (QUANTIZE first, DEQUANTIZE or QUANTIZE last) is
    the C API's business: the plan runs from the int8 tensor after it to the int8 tensor before.
  - A step whose emitter says `in_place` writes over its first input when nothing reads that
    input afterwards.
  - Per-step scratch (an im2col row) is a buffer live for that step only.
Every quantization constant comes from tinyflash.runtime's prepare step; emitters
(firmware_c/emit/int8/, emit/float32/) re-lay them out for the C kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tinyflash.firmware_c.arena import Buffer, Placement, place
from tinyflash.firmware_c.cformat import FLOAT_SOURCES, INT8_SOURCES
from tinyflash.firmware_c.emit.base import ALIGN, Context, Emitted, OpEmitter, Step, TensorSlot
from tinyflash.firmware_c.emit.float32 import EMITTERS as FLOAT_EMITTERS
from tinyflash.firmware_c.emit.int8 import EMITTERS as INT8_EMITTERS
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = [
    "ALIASES",
    "EMITTERS",
    "MAX_OBJECT_BYTES",
    "Plan",
    "SUPPORTED",
    "check_sizes",
    "plan_graph",
    "plan_int8",
    "supported",
]

EMITTERS = {"int8": INT8_EMITTERS, "float32": FLOAT_EMITTERS}
ALIASES = ("RESHAPE", "SQUEEZE")  # the output is the input's bytes
SHAPE_OPS = ("SHAPE", "STRIDED_SLICE", "PACK")  # dropped when they only feed a RESHAPE's shape


def supported(dtype: str = "int8") -> tuple[str, ...]:
    """The operators the C generator emits for a `dtype` graph: its registry plus the aliases."""
    return tuple(sorted((*EMITTERS[dtype], *ALIASES)))


SUPPORTED = supported("int8")

# The largest array (the arena, or one weight table) a generated header may declare: its size and
# every offset into it must fit a 32-bit MCU's int32 / size_t.
MAX_OBJECT_BYTES = 2**31 - 1


def check_sizes(arena_bytes: int, arrays: dict[str, int]) -> None:
    """Refuse a model whose arena or any constant array (name -> bytes) exceeds MAX_OBJECT_BYTES."""
    for name, n in {"activation arena": arena_bytes, **arrays}.items():
        if n > MAX_OBJECT_BYTES:
            raise UnsupportedOperatorError(
                f"{name}: needs {n} bytes; supported: at most {MAX_OBJECT_BYTES} bytes (2^31 - 1) "
                "per array, so that sizes and offsets fit int32 / size_t on a 32-bit MCU"
            )


@dataclass(frozen=True)
class Plan:
    """dtype: "int8" or "float32". tensors: graph index -> TensorSlot (arena offsets placed).
    steps / emitted: in execution order. input / output: the tensors the C API reads and
    writes (after stripping an int8 graph's float/uint8 interface). arena: the placement;
    scratch: step index -> offset. macs / const_bytes: summed over steps."""

    dtype: str
    rounding: str
    tensors: dict[int, TensorSlot]
    steps: tuple[Step, ...]
    emitters: tuple[OpEmitter, ...]
    emitted: tuple[Emitted, ...]
    input: int
    output: int
    arena: Placement
    scratch: dict[int, int]
    kernels: tuple[str, ...]

    @property
    def arena_bytes(self) -> int:
        return self.arena.size

    @property
    def macs(self) -> int:
        return sum(e.macs for e in self.emitted)

    @property
    def const_bytes(self) -> int:
        return sum(e.const_bytes for e in self.emitted)

    @property
    def input_slot(self) -> TensorSlot:
        return self.tensors[self.input]

    @property
    def output_slot(self) -> TensorSlot:
        return self.tensors[self.output]


def _nbytes(shape: tuple[int, ...], dtype: str) -> int:
    return int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


def _slot(g, index: int, kind: str) -> TensorSlot:
    t = g.tensors[index]
    scale = zp = None
    if t.quant is not None and t.quant.scale.size == 1:
        scale, zp = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    return TensorSlot(
        index=index,
        name=t.name,
        shape=tuple(int(d) for d in t.shape),
        dtype=t.dtype,
        kind=kind,
        nbytes=_nbytes(t.shape, t.dtype) if kind == "arena" else 0,
        scale=scale,
        zero_point=zp,
        data=t.data if kind == "const" else None,
    )


def _interface(g, ops: list) -> tuple[list, int, int]:
    """Strip an int8 graph's QUANTIZE-in / DEQUANTIZE-or-QUANTIZE-out interface ops.
    -> (ops, input tensor, output tensor)."""
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise UnsupportedOperatorError(
            f"model has {len(g.inputs)} inputs and {len(g.outputs)} outputs; supported by the C "
            "generator: one input and one output (<prefix>_run(input, output))"
        )
    x, y = g.inputs[0], g.outputs[0]
    if ops and ops[0][0].op == "QUANTIZE" and ops[0][0].inputs[0] == x:
        if g.tensors[ops[0][0].outputs[0]].dtype == "int8" and g.tensors[x].dtype != "int8":
            x, ops = ops[0][0].outputs[0], ops[1:]
    if ops and ops[-1][0].op in ("DEQUANTIZE", "QUANTIZE") and ops[-1][0].outputs[0] == y:
        if g.tensors[ops[-1][0].inputs[0]].dtype == "int8" and g.tensors[y].dtype != "int8":
            y, ops = ops[-1][0].inputs[0], ops[:-1]
    return ops, x, y


def _drop_shape_ops(g, ops: list) -> list:
    """Drop SHAPE / STRIDED_SLICE / PACK whose outputs only reach RESHAPE shape inputs."""
    consumers: dict[int, list[tuple[str, int]]] = {}
    for op, _ in ops:
        for pos, t in enumerate(op.inputs):
            consumers.setdefault(t, []).append((op.op, pos))
    keep = list(ops)
    changed = True
    while changed:
        changed = False
        for item in list(keep):
            op = item[0]
            if op.op not in SHAPE_OPS:
                continue
            uses = [u for t in op.outputs for u in consumers.get(t, [])]
            if all((name == "RESHAPE" and pos == 1) or name in SHAPE_OPS for name, pos in uses):
                if not any(t in g.outputs for t in op.outputs):
                    keep.remove(item)
                    changed = True
                    for t in op.inputs:
                        consumers[t] = [u for u in consumers.get(t, []) if u[0] != op.op]
    return keep


def _refuse(op, dtype: str) -> UnsupportedOperatorError:
    return UnsupportedOperatorError(
        f"{op.name or op.op}: operator {op.op} has no {dtype} C kernel; "
        f"supported: {list(supported(dtype))}"
    )


def plan_graph(model, dtype: str | None = None) -> Plan:
    """model: tinyflash.runtime.Model -> Plan. dtype: "int8" or "float32" (default: the
    graph's). Raises UnsupportedOperatorError naming the first operator, tensor or size the C
    generator cannot handle, with what it supports."""
    g = model.graph
    ops = list(zip(g.operators, model.params, strict=True))
    ops, x_in, y_out = _interface(g, ops)
    dtype = dtype or g.tensors[x_in].dtype
    if dtype not in EMITTERS:
        raise UnsupportedOperatorError(
            f"model input {g.tensors[x_in].name!r}: expected an int8 or float32 tensor, found "
            f"{g.tensors[x_in].dtype}; supported: {list(EMITTERS)}"
        )
    for index, role in ((x_in, "input"), (y_out, "output")):
        t = g.tensors[index]
        if t.dtype != dtype or (dtype == "int8" and (t.quant is None or t.quant.scale.size != 1)):
            raise UnsupportedOperatorError(
                f"model {role} {t.name!r}: expected a per-tensor quantized {dtype} tensor, "
                f"found {t.dtype}; the {dtype} C generator needs a "
                + ("full-integer model (model_int8.tflite)" if dtype == "int8" else "float model")
            )
    ops = _drop_shape_ops(g, ops)
    registry = EMITTERS[dtype]
    if not ops:
        raise UnsupportedOperatorError("model has no operators to generate C for")

    # Tensors: constants are emitted by the steps that read them; everything else is arena.
    tensors: dict[int, TensorSlot] = {}
    for op, _ in ops:
        for t in (*op.inputs, *op.outputs):
            if t >= 0 and t not in tensors:
                tensors[t] = _slot(g, t, "const" if g.tensors[t].data is not None else "arena")

    # Steps, buffers (a buffer is the bytes one or more tensors share), lifetimes.
    steps: list[Step] = []
    emitters: list[OpEmitter] = []
    buffer_of: dict[int, int] = {x_in: x_in}
    members: dict[int, list[int]] = {x_in: [x_in]}
    first: dict[int, int] = {x_in: -1}
    last_read: dict[int, int] = {}  # tensor -> last step reading it (aliases resolved below)
    kept = list(ops)
    # Last reader of each tensor, in the order of the kept ops (aliases count as readers).
    for k, (op, _) in enumerate(kept):
        for t in op.inputs[:1] if op.op in ALIASES else op.inputs:
            if t >= 0:
                last_read[t] = k
    for k, (op, p) in enumerate(kept):
        if op.op in ALIASES:
            src, dst = op.inputs[0], op.outputs[0]
            buf = buffer_of[src]
            buffer_of[dst] = buf
            members[buf].append(dst)
            continue
        em = registry.get(op.op)
        if em is None:
            raise _refuse(op, dtype)
        for t in op.inputs:
            if t >= 0 and tensors[t].kind == "arena" and t not in buffer_of:
                raise UnsupportedOperatorError(
                    f"{op.name or op.op}: reads tensor {g.tensors[t].name!r} that no earlier "
                    "operator writes (a graph that is not in execution order)"
                )
        step = Step(
            index=len(steps),
            op=op.op,
            name=f"s{len(steps)}",
            inputs=tuple(op.inputs),
            outputs=tuple(op.outputs),
            params=p,
            options=dict(op.options),
        )
        if em.check is not None:
            em.check(step)
        for out in op.outputs:
            x0 = op.inputs[0] if op.inputs else -1
            if (
                em.in_place
                and x0 >= 0
                and tensors[x0].kind == "arena"
                and _buffer_last(members[buffer_of[x0]], last_read) <= k
                and tensors[out].nbytes == tensors[x0].nbytes  # a broadcast input stays intact
            ):
                buf = buffer_of[x0]
                buffer_of[out] = buf
                members[buf].append(out)
            else:
                buffer_of[out] = out
                members[out] = [out]
                first[out] = len(steps)
        steps.append(step)
        emitters.append(em)

    # Lifetimes per buffer: from its first write to the last read of any tensor in it.
    kept_to_step = _kept_to_step(kept)
    buffers = []
    for buf, ts in members.items():
        reads = [kept_to_step[last_read[t]] for t in ts if t in last_read]
        last = max([first[buf], *reads])
        if buffer_of.get(y_out) == buf:
            last = len(steps)
        nbytes = max(tensors[t].nbytes for t in ts)
        label = "input" if buf == x_in else f"{steps[first[buf]].name} output"
        buffers.append(Buffer(f"{label} ({nbytes} B)", nbytes, first[buf], last))
    scratch_need = {}
    for step, em in zip(steps, emitters, strict=True):
        n = em.scratch_bytes(step, tensors)
        if n:
            scratch_need[step.index] = n
            buffers.append(Buffer(f"{step.name} scratch ({n} B)", n, step.index, step.index))
    _unique_names(buffers)
    placement = place(buffers)
    by_buf = {buf: b.name for buf, b in zip(members, buffers, strict=False)}
    for t, buf in buffer_of.items():
        tensors[t] = replace(
            tensors[t], offset=placement.offsets[by_buf[buf]], nbytes=_aligned(tensors[t].nbytes)
        )
    scratch = {
        k: placement.offsets[f"{steps[k].name} scratch ({n} B)"] for k, n in scratch_need.items()
    }
    kernels = _kernels(dtype, emitters)
    return Plan(
        dtype=dtype,
        rounding=model.rounding,
        tensors=tensors,
        steps=tuple(steps),
        emitters=tuple(emitters),
        emitted=(),
        input=x_in,
        output=y_out,
        arena=placement,
        scratch=scratch,
        kernels=kernels,
    )


def emit_steps(plan: Plan, prefix: str) -> Plan:
    """The plan with every step's C emitted for `prefix`; checks the constant array sizes."""
    ctx = Context(p=prefix, tensors=plan.tensors, scratch=plan.scratch, rounding=plan.rounding)
    emitted = tuple(em.emit(s, ctx) for s, em in zip(plan.steps, plan.emitters, strict=True))
    check_sizes(
        plan.arena_bytes,
        {
            f"{s.name} ({s.op}) constants": e.const_bytes
            for s, e in zip(plan.steps, emitted, strict=True)
        },
    )
    return replace(plan, emitted=emitted)


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _kept_to_step(kept: list) -> dict[int, int]:
    """Index among kept ops -> step index (an alias maps to the next step, where its bytes are
    read at the earliest; a trailing alias maps past the last step)."""
    out, k_step = {}, 0
    for k, (op, _) in enumerate(kept):
        out[k] = k_step
        if op.op not in ALIASES:
            k_step += 1
    return out


def _buffer_last(ts: list[int], last_read: dict[int, int]) -> int:
    """The last op (index among the kept ops) reading any tensor of one buffer, -1 if none."""
    return max((last_read.get(t, -1) for t in ts), default=-1)


def _unique_names(buffers: list[Buffer]) -> None:
    seen: dict[str, int] = {}
    for i, b in enumerate(buffers):
        if b.name in seen:
            seen[b.name] += 1
            buffers[i] = replace(b, name=f"{b.name}#{seen[b.name]}")
        else:
            seen[b.name] = 0


def _kernels(dtype: str, emitters: list[OpEmitter]) -> tuple[str, ...]:
    # The kernels tfk_kernels.h / tfk_float.h declare are always inlined (a declared static
    # function must be defined; unused ones cost no flash); each operator file after them.
    head = INT8_SOURCES if dtype == "int8" else FLOAT_SOURCES
    out: list[str] = list(head)
    for em in emitters:
        for k in em.kernels:
            if k not in out:
                out.append(k)
    return tuple(out)


def plan_int8(model) -> Plan:
    """The int8 plan of `model` (kept for callers of this name: tinyflash.inspect)."""
    return plan_graph(model, "int8")
