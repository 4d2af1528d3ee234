"""What a built Keras model costs on a microcontroller: per layer parameters, int8 bytes, MACs.

    rows = layer_costs(model)        # one LayerCost per Keras layer, in graph order
    print(format_summary(rows, arena_bytes(model)))

Counts are for one image (batch 1), from the layers' Keras shapes:
    Conv2D            MACs = H' * W' * C_out * kh * kw * C_in
    DepthwiseConv2D   MACs = H' * W' * (C_in * m) * kh * kw        (m: depth multiplier)
    SeparableConv2D   MACs = H' * W' * C_in * m * kh * kw  +  H' * W' * C_in * m * C_out
    Dense             MACs = positions * in_features * units
    everything else   0 MACs (pooling, batch norm, add, activations, reshapes)
int8 bytes: the constants the full-integer .tflite stores for the layer: one byte per weight,
four per int32 bias; every int8 convolution has a bias per output channel (zeros if the Keras
layer has none), a SeparableConv2D two (its depthwise and its 1x1 part). A BatchNormalization
right after a convolution or Dense whose output nothing else reads is folded into it by the
converter (0 bytes); any other batch norm becomes a per-channel multiply and add (2 * C int8
bytes). GlobalAveragePooling2D (MEAN) and Flatten (RESHAPE) store 8 bytes of int32 axes/shape.

`arena_bytes`: an estimate of the int8 activation arena, the most bytes of int8 activation
tensors alive at once (batch 1) when the layers run in order. A tensor is alive from the layer
that writes it to the last layer that reads it (a skip path keeps its tensor alive across the
block); a batch norm that is not folded is two steps, MUL then ADD, with a tensor between.
Layers the converter removes write no tensor: Dropout, a folded BatchNormalization, and a
ReLU / ReLU6 fused into the convolution, Dense, batch norm or Add before it (when it is that
layer's only reader). Scratch buffers and the runtime's bookkeeping are not included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["LayerCost", "arena_bytes", "format_summary", "layer_costs", "layer_macs"]

_WEIGHTED = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense")
# Layers that become an operator with an int32 shape or axes constant: MEAN's axes (2 values),
# RESHAPE's new shape (batch, features).
_SHAPE_CONSTANT = {"GlobalAveragePooling2D": 8, "Flatten": 8}


@dataclass(frozen=True)
class LayerCost:
    """One layer: output shape without the batch, Keras parameters, int8 bytes, MACs."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int
    int8_bytes: int
    macs: int


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor.shape[1:])


def _inputs(layer: Any) -> list[Any]:
    return list(layer._inbound_nodes[0].input_tensors)


def _producer(tensor: Any) -> Any:
    return tensor._keras_history[0]


def layer_macs(layer: Any) -> int:
    """Multiply-accumulates of one built layer for one image (formulas in the module doc)."""
    kind = type(layer).__name__
    if kind not in _WEIGHTED:
        return 0
    (x,) = _inputs(layer)
    out = _shape(layer.output)
    c_in = int(x.shape[-1])
    if kind == "Dense":
        return math.prod(out[:-1]) * c_in * out[-1]
    kh, kw = layer.kernel_size
    positions = out[0] * out[1]
    if kind == "Conv2D":
        return positions * out[2] * kh * kw * c_in
    m = int(layer.depth_multiplier)
    if kind == "DepthwiseConv2D":
        return positions * c_in * m * kh * kw
    return positions * c_in * m * (kh * kw + out[2])  # SeparableConv2D


def _consumers(model: Any) -> dict[int, list[Any]]:
    """id(layer) -> the layers that read its output."""
    found: dict[int, list[Any]] = {id(layer): [] for layer in model.layers}
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        for t in _inputs(layer):
            found.setdefault(id(_producer(t)), []).append(layer)
    return found


def _folded(layer: Any, consumers: dict[int, list[Any]]) -> bool:
    """A BatchNormalization the converter folds into the convolution or Dense before it (which
    it can only do when nothing else reads that layer's output)."""
    if type(layer).__name__ != "BatchNormalization":
        return False
    (x,) = _inputs(layer)
    before = _producer(x)
    return type(before).__name__ in _WEIGHTED and len(consumers.get(id(before), [])) == 1


def _int8_bytes(layer: Any, consumers: dict[int, list[Any]]) -> int:
    kind = type(layer).__name__
    if kind == "BatchNormalization":
        return 0 if _folded(layer, consumers) else 2 * int(layer.output.shape[-1])
    if kind in _SHAPE_CONSTANT:
        return _SHAPE_CONSTANT[kind]
    if kind not in _WEIGHTED:
        return 0
    kernels = [w for w in layer.weights if "kernel" in w.name]
    weights = sum(math.prod(w.shape) for w in kernels)
    biases = int(layer.output.shape[-1])  # int8 convolutions always get one, zero if unused
    if kind == "SeparableConv2D":  # DEPTHWISE_CONV_2D (C_in * m biases) then CONV_2D 1x1
        biases += int(_inputs(layer)[0].shape[-1]) * int(layer.depth_multiplier)
    return int(weights + 4 * biases)


def layer_costs(model: Any) -> list[LayerCost]:
    """One LayerCost per layer of a built Keras model (InputLayer excluded), in graph order."""
    consumers = _consumers(model)
    return [
        LayerCost(
            name=layer.name,
            kind=type(layer).__name__,
            output_shape=_shape(layer.output),
            parameters=int(layer.count_params()),
            int8_bytes=_int8_bytes(layer, consumers),
            macs=layer_macs(layer),
        )
        for layer in model.layers
        if type(layer).__name__ != "InputLayer"
    ]


def _vanishes(layer: Any, consumers: dict[int, list[Any]]) -> bool:
    """True if the converter writes no tensor for this layer (see the module doc)."""
    kind = type(layer).__name__
    if kind == "Dropout" or _folded(layer, consumers):
        return True
    if kind != "ReLU" or layer.negative_slope or layer.threshold:
        return False
    (x,) = _inputs(layer)
    before = _producer(x)
    fusable = type(before).__name__ in (*_WEIGHTED, "Add", "BatchNormalization")
    return fusable and len(consumers.get(id(before), [])) == 1


def arena_bytes(model: Any) -> int:
    """The estimated int8 activation arena (bytes, batch 1): see the module doc."""
    consumers = _consumers(model)
    buffer: dict[int, int] = {}  # id(layer) -> id of the layer whose tensor holds its output
    size: dict[int, int] = {}
    steps: list[tuple[int, list[int]]] = []  # (buffer written, buffers read) per real layer
    for t in model.inputs:  # a Sequential model does not list its InputLayer
        buffer[id(_producer(t))] = id(_producer(t))
        size[id(_producer(t))] = math.prod(_shape(t))
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        reads = [buffer[id(_producer(t))] for t in _inputs(layer)]
        if _vanishes(layer, consumers):
            buffer[id(layer)] = reads[0]
            continue
        if type(layer).__name__ == "BatchNormalization":  # not folded: MUL, then ADD
            temp = -id(layer)  # the multiply's output, read only by the add
            size[temp] = math.prod(_shape(layer.output))
            steps.append((temp, reads))
            reads = [temp]
        buffer[id(layer)] = id(layer)
        size[id(layer)] = math.prod(_shape(layer.output))
        steps.append((id(layer), reads))
    last_use = {b: i for i, (_, reads) in enumerate(steps) for b in reads}
    first = {b: i for i, (b, _) in enumerate(steps)}
    best = 0
    for i, (_, reads) in enumerate(steps):
        live = {b for b in size if first.get(b, -1) <= i <= last_use.get(b, len(steps))}
        best = max(best, sum(size[b] for b in live | set(reads)))
    return best


def format_summary(rows: list[LayerCost], arena: int | None = None) -> str:
    """The rows as an aligned text table with totals (and the arena estimate, if given)."""
    header = ("layer", "type", "output", "params", "int8 B", "MACs")
    table = [header] + [
        (
            r.name,
            r.kind,
            "x".join(map(str, r.output_shape)),
            f"{r.parameters:,}",
            f"{r.int8_bytes:,}",
            f"{r.macs:,}",
        )  # fmt: skip
        for r in rows
    ]
    total = ("total", "", "", f"{sum(r.parameters for r in rows):,}",
             f"{sum(r.int8_bytes for r in rows):,}", f"{sum(r.macs for r in rows):,}")  # fmt: skip
    table.append(total)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 3 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()  # fmt: skip
        for row in table
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    if arena is not None:
        lines.append(f"int8 activation arena (estimate, batch 1): {arena:,} bytes")
    return "\n".join(lines)
