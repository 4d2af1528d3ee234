"""From a prepared int8 graph to a layer plan: what the generated C runs, with every constant.

    plan = plan_int8(model)        # model: tinyflash.runtime.Model of model_int8.tflite

Every quantization constant comes from tinyflash.runtime's prepare step (the .tflite is the one
source of truth); this module only re-lays them out for the C kernels:
  - FULLY_CONNECTED weights (out, in) int8 -> offset-binary uint8 (w + 128), padded to
    (ceil4(out), ceil16(in)) with 128 (= 0), blocked as (ceil4(out)/4, ceil16(in)/4, 4, 4);
  - biases folded: bias[o] - (128 + input_zero_point) * sum_i w[o][i] (the input is stored
    offset binary too, see tfk_fully_connected.c);
  - element-wise int8 ops (LOGISTIC, TANH, RELU*) -> 256-entry tables, evaluated with the
    runtime's own kernel on all 256 int8 values;
  - activations ping-pong between two arena slots; element-wise ops run in place; the last op
    writes the caller's output buffer as plain int8, everything else is offset binary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.errors import UnsupportedOperatorError
from tinyflash.runtime.ops import TFLITE_KERNELS
from tinyflash.runtime.ops.elementwise import ALL_INT8

__all__ = [
    "MAX_OBJECT_BYTES",
    "FcLayer",
    "LutLayer",
    "Plan",
    "SoftmaxLayer",
    "check_sizes",
    "plan_int8",
]

ELEMENTWISE = ("LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1")
SUPPORTED = ("FULLY_CONNECTED", "SOFTMAX", *ELEMENTWISE, "RESHAPE")


# The largest array (the arena, or one weight table) a generated header may declare: its size and
# every offset into it must fit a 32-bit MCU's int32 / size_t. The int32-accumulator bound below
# already keeps FULLY_CONNECTED inputs under 33,024 values, so only outlandish layers reach this.
MAX_OBJECT_BYTES = 2**31 - 1


def check_sizes(arena_bytes: int, arrays: dict[str, int]) -> None:
    """Refuse a model whose arena or any constant array (name -> bytes) exceeds MAX_OBJECT_BYTES."""
    for name, n in {"activation arena": arena_bytes, **arrays}.items():
        if n > MAX_OBJECT_BYTES:
            raise UnsupportedOperatorError(
                f"{name}: needs {n} bytes; supported: at most {MAX_OBJECT_BYTES} bytes (2^31 - 1) "
                "per array, so that sizes and offsets fit int32 / size_t on a 32-bit MCU"
            )


def _ceil(n: int, k: int) -> int:
    return -(-n // k) * k


@dataclass(frozen=True)
class FcLayer:
    """weights: (ceil4(n_out)/4, n_in16/4, 4, 4) uint8; bias: (ceil4(n_out),) int32 folded;
    multiplier/shift: (n_out,) int32."""

    name: str
    n_in: int
    n_out: int
    n_in16: int
    weights: np.ndarray
    bias: np.ndarray
    multiplier: np.ndarray
    shift: np.ndarray
    out_zero_point: int
    act_min: int
    act_max: int
    activation: str
    src: int  # arena slot read
    dst: int  # arena slot written, -1 for the caller's output


@dataclass(frozen=True)
class LutLayer:
    """table: (256,) uint8, indexed by the offset-binary input, in the output's byte layout."""

    name: str
    op: str
    n: int
    table: np.ndarray
    src: int
    dst: int


@dataclass(frozen=True)
class SoftmaxLayer:
    name: str
    n: int
    input_multiplier: int
    input_left_shift: int
    diff_min: int
    src: int
    dst: int


@dataclass(frozen=True)
class Plan:
    """layers in execution order; slot_bytes: sizes of arena slots 0 and 1 (multiples of 16)."""

    layers: tuple
    n_in: int
    n_out: int
    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    slot_bytes: tuple[int, int]
    macs: int
    rounding: str

    @property
    def arena_bytes(self) -> int:
        return self.slot_bytes[0] + self.slot_bytes[1]


def _features(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])


def _fc(name, p, n_in: int, src: int, dst: int, last: bool) -> FcLayer:
    w = np.asarray(p.weights, np.int64)
    n_out = w.shape[0]
    r4, k16 = _ceil(n_out, 4), _ceil(n_in, 16)
    wu = np.full((r4, k16), 128, np.int64)
    wu[:n_out, :n_in] = w + 128
    blocked = wu.reshape(r4 // 4, 4, k16 // 4, 4).transpose(0, 2, 1, 3).astype(np.uint8)
    bias = np.zeros(r4, np.int64)
    bias[:n_out] = np.asarray(p.bias, np.int64) - (128 + p.input_zero_point) * w.sum(axis=1)
    # acc = bias + sum wu*u - 128*sum u: every partial sum must stay inside int32.
    worst = int(np.abs(bias).max()) + 255 * 255 * k16
    if worst >= 2**31:
        raise UnsupportedOperatorError(
            f"{name}: FULLY_CONNECTED with {n_in} inputs may overflow the int32 accumulator of "
            f"the C kernel (worst case {worst}); supported: worst case < 2^31"
        )
    return FcLayer(
        name=name,
        n_in=n_in,
        n_out=n_out,
        n_in16=k16,
        weights=blocked,
        bias=bias.astype(np.int32),
        multiplier=np.asarray(p.multipliers, np.int32),
        shift=np.asarray(p.shifts, np.int32),
        out_zero_point=int(p.output_zero_point),
        act_min=int(p.act_min),
        act_max=int(p.act_max),
        activation=p.fused_activation,
        src=src,
        dst=dst,
    )


def plan_int8(model) -> Plan:
    """model: tinyflash.runtime.Model of an int8 .tflite -> Plan. Raises
    UnsupportedOperatorError naming the first op the C generator cannot emit."""
    g = model.graph
    ops = list(zip(g.operators, model.params, strict=True))
    # A float interface (QUANTIZE first / DEQUANTIZE last) is handled by the C API itself.
    if ops and ops[0][0].op == "QUANTIZE":
        ops = ops[1:]
    if ops and ops[-1][0].op == "DEQUANTIZE":
        ops = ops[:-1]
    if not ops:
        raise UnsupportedOperatorError("model has no operators to generate C for")
    first_in = g.tensors[ops[0][0].inputs[0]]
    last_out = g.tensors[ops[-1][0].outputs[0]]
    for t, role in ((first_in, "input"), (last_out, "output")):
        if t.dtype != "int8" or t.quant is None:
            raise UnsupportedOperatorError(
                f"model {role} {t.name!r}: expected a quantized int8 tensor, found {t.dtype}; "
                "the C generator needs a full-integer model (model_int8.tflite)"
            )
    compute = [(op, p) for op, p in ops if op.op != "RESHAPE"]
    n = _features(first_in.shape)
    slot, slot_bytes = 0, [_ceil(n, 16), 0]
    layers: list[FcLayer | SoftmaxLayer | LutLayer] = []
    macs = 0
    for k, (op, p) in enumerate(compute):
        if op.op not in SUPPORTED:
            raise UnsupportedOperatorError(
                f"{op.name or op.op}: operator {op.op} has no C kernel; "
                f"supported: {list(SUPPORTED)}"
            )
        last = k == len(compute) - 1
        name = f"l{k}"
        if op.op == "FULLY_CONNECTED":
            dst = -1 if last else 1 - slot
            fc = _fc(name, p, n, slot, dst, last)
            macs += fc.n_in * fc.n_out
            n = fc.n_out
            layer: FcLayer | SoftmaxLayer | LutLayer = fc
        elif op.op == "SOFTMAX":
            dst = -1 if last else slot
            layer = SoftmaxLayer(
                name,
                n,
                int(p.input_multiplier),
                int(p.input_left_shift),
                int(p.diff_min),
                slot,
                dst,
            )
        else:
            dst = -1 if last else slot
            values = np.asarray(TFLITE_KERNELS[op.op].run(p, ALL_INT8.reshape(1, 256)), np.int64)
            flip = 0 if last else 128
            table = ((values.reshape(256) & 0xFF) ^ flip).astype(np.uint8)
            layer = LutLayer(name, op.op, n, table, slot, dst)
        layers.append(layer)
        if dst >= 0:
            slot = dst
            slot_bytes[slot] = max(slot_bytes[slot], _ceil(n, 16))
    check_sizes(
        slot_bytes[0] + slot_bytes[1],
        {f"{x.name} weights": x.weights.nbytes for x in layers if isinstance(x, FcLayer)},
    )
    in_q, out_q = first_in.quant, last_out.quant
    return Plan(
        layers=tuple(layers),
        n_in=_features(first_in.shape),
        n_out=n,
        input_scale=float(in_q.scale[0]),
        input_zero_point=int(in_q.zero_point[0]),
        output_scale=float(out_q.scale[0]),
        output_zero_point=int(out_q.zero_point[0]),
        slot_bytes=(slot_bytes[0], slot_bytes[1]),
        macs=macs,
        rounding=model.rounding,
    )
