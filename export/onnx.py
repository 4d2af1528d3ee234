"""Keras model -> float32 ONNX, and int8 .tflite -> int8 ONNX in QDQ form.

float32: tf2onnx.convert.from_function on a tf.function wrapping the model (from_keras fails on
Keras 3 models). Graph input "input" (N, F) or (N, H, W, C) float32 (NHWC, as in Keras; tf2onnx
transposes to NCHW around Conv / MaxPool / AveragePool / GlobalAveragePool and folds what it
can), output "output" (N, classes) float32.
Nodes per Dense layer: MatMul (kernel (in, units) float32) -> Add (bias (units,)) -> the
activation (Relu | Sigmoid | Tanh | nothing for linear | Softmax on the last layer, axis -1).
CNN layers: Conv (with a folded batch norm), Relu or Clip(0, 6), MaxPool, AveragePool,
GlobalAveragePool + Squeeze, Mul + Add (a batch norm it cannot fold), Add, Reshape (Flatten).

int8: tf2onnx's TFLite path (from_tflite) on model_int8.tflite. It writes the quantized model
in QDQ form ("quantize-dequantize"), which carries the TFLite scales and zero points unchanged:

    input (N, F) int8 -> DequantizeLinear(input scale, zp)
    weights (in, units) int8 initializer -> DequantizeLinear(per-channel scales, zp 0, axis 1),
        then stored as uint8 w + 128 with zp 128 (same values; see _weights_as_uint8)
    bias (units,) int32 initializer -> DequantizeLinear(scale in*w[c], zp 0, axis 0)
    MatMul -> Add -> [Relu] -> QuantizeLinear(activation scale, zp) -> DequantizeLinear ...
    Sigmoid / Tanh / Softmax between DequantizeLinear and QuantizeLinear with the TFLite
    output quantization; the graph output (N, classes) int8 comes from the last QuantizeLinear.

Why QDQ and not QLinearMatMul: QDQ is what tf2onnx emits, it keeps every TFLite quantization
parameter as an explicit initializer (tests compare them with the .tflite, bit for bit), and
onnxruntime fuses it into integer kernels when graph optimizations are on. Its arithmetic is
float dequantize/requantize (round half to even), not TFLite's fixed-point multiplier, so int8
ONNX and int8 TFLite outputs can differ by 1 LSB on some elements, and by more after later
layers amplify it (measured in the manifest).
Graph input/output are renamed to "input"/"output" in both files.

Determinism: tf2onnx numbers its generated names ("scale__21", "Add__13:0") from a
process-wide counter and orders nodes partly by name, so two conversions of one model differ.
`_canonicalize` rewrites every file into one form: nodes in depth-first post-order from the
graph output (producers in input-position order), counter suffixes renumbered in order of first
use, initializers in order of first use, the symbolic batch dimension named "batch", doc
strings cleared. Same model, same bytes.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from tinyflash.errors import UserError
from tinyflash.export.keras_model import check_supported, input_shape, static_flatten
from tinyflash.runtime.ops import ONNX_KERNELS

__all__ = ["OPSET", "FLOAT_OPS", "INT8_OPS", "convert_float32", "convert_int8", "onnx_ops"]

OPSET = 17
# What an exported .onnx may contain: the node types the Python interpreter has kernels for
# (runtime/ops/__init__.py ONNX_KERNELS, one registry); the float file without (de)quantization.
INT8_OPS = frozenset(ONNX_KERNELS)
FLOAT_OPS = INT8_OPS - {"QuantizeLinear", "DequantizeLinear"}


_COUNTER = re.compile(r"__(\d+)")


def _canonicalize(proto: Any) -> None:
    """Put a converted graph in canonical node order and naming (see module docstring)."""
    graph = proto.graph
    producer = {out: node for node in graph.node for out in node.output}
    order: list[Any] = []
    seen: set[int] = set()

    def visit(node: Any) -> None:  # iterative would be longer; graphs here are < 100 nodes
        if id(node) in seen:
            return
        seen.add(id(node))
        for name in node.input:
            if name in producer:
                visit(producer[name])
        order.append(node)

    for out in graph.output:
        visit(producer[out.name])
    if len(order) != len(graph.node):
        raise UserError(f"ONNX graph {graph.name!r}: {len(graph.node) - len(order)} dead nodes")

    numbers: dict[str, str] = {}

    def renumber(name: str) -> str:
        return _COUNTER.sub(lambda m: "__" + numbers.setdefault(m[1], str(len(numbers) + 1)), name)

    first_use: dict[str, int] = {}
    for node in order:
        for name in node.input:
            first_use.setdefault(name, len(first_use))
        node.input[:] = [renumber(n) for n in node.input]
        node.name = renumber(node.name)
        node.output[:] = [renumber(n) for n in node.output]
        node.doc_string = ""
    inits = sorted(graph.initializer, key=lambda t: first_use.get(t.name, len(first_use)))
    for tensor in inits:
        tensor.name = renumber(tensor.name)
    for value in [*graph.input, *graph.output, *graph.value_info]:
        value.name = renumber(value.name)
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param"):
                dim.dim_param = "batch"  # the only symbolic dimension in these graphs
    del graph.node[:]
    graph.node.extend(order)
    del graph.initializer[:]
    graph.initializer.extend(inits)
    infos = sorted(graph.value_info, key=lambda v: v.name)
    del graph.value_info[:]
    graph.value_info.extend(infos)
    graph.doc_string = ""
    proto.doc_string = ""


def _rename_io(proto: Any, input_name: str, output_name: str) -> None:
    """Rename the single graph input and output everywhere they are referenced."""
    (inp,), (out,) = proto.graph.input, proto.graph.output
    renames = {inp.name: input_name, out.name: output_name}
    inp.name, out.name = input_name, output_name
    for node in proto.graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]


def _finish(proto: Any, allowed: frozenset[str], what: str) -> bytes:
    import onnx

    _canonicalize(proto)
    found = set(onnx_ops(proto))
    if found - allowed:
        raise UserError(
            f"{what}: tf2onnx emitted {sorted(found - allowed)}; supported: {sorted(allowed)}"
        )
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as exc:
        raise UserError(f"{what}: the converted model fails onnx.checker: {exc}") from None
    return proto.SerializeToString(deterministic=True)


def onnx_ops(proto: Any) -> list[str]:
    """Node op types of the main graph, in order."""
    return [node.op_type for node in proto.graph.node]


def convert_float32(model: Any) -> bytes:
    """Keras model -> float32 ONNX bytes: input "input" (N, F) float32, output "output"."""
    import tensorflow as tf
    import tf2onnx

    check_supported(model)
    spec = (tf.TensorSpec((None, *input_shape(model)), tf.float32, name="input"),)
    model = static_flatten(model)

    @tf.function(input_signature=spec)
    def forward(x: Any) -> dict[str, Any]:
        return {"output": model(x, training=False)}

    proto, _ = tf2onnx.convert.from_function(forward, input_signature=spec, opset=OPSET)
    proto.graph.name = "model_float32"
    return _finish(proto, FLOAT_OPS, "float32 ONNX")


def convert_int8(tflite_int8: bytes) -> bytes:
    """int8 .tflite bytes -> QDQ int8 ONNX bytes: input "input" (N, F) int8, output "output"."""
    import tf2onnx

    with tempfile.TemporaryDirectory(prefix="tinyflash-export-") as tmp:
        path = Path(tmp) / "model_int8.tflite"  # fixed name: tf2onnx names the graph after it
        path.write_bytes(tflite_int8)
        with warnings.catch_warnings():  # tf2onnx reads shapes with the deprecated tf.lite API
            warnings.simplefilter("ignore", UserWarning)
            proto, _ = tf2onnx.convert.from_tflite(str(path), opset=OPSET)
    _rename_io(proto, "input", "output")
    _weights_as_uint8(proto)
    return _finish(proto, INT8_OPS, "int8 ONNX")


def _weights_as_uint8(proto: Any) -> None:
    """Store every constant int8 weight w (ndim >= 2) feeding a DequantizeLinear as the uint8
    w + 128 with zero point zp + 128: the same real values, bit for bit, after dequantization.

    Why: onnxruntime fuses DequantizeLinear -> MatMul -> QuantizeLinear into an integer GEMM
    whose kernel depends on the CPU. With int8 weights and int8 activations it runs MLAS's u8s8
    kernel; on x86-64 without VNNI instructions (AVX2-only laptops and servers) that kernel
    adds pairs of u8 x s8 products in int16 with saturation (vpmaddubsw), so a row with large
    inputs and weights comes out wrong: measured on MNIST 784-32-10 models with AVX2 (QEMU's
    Haswell CPU), up to 109 LSB off on 38% of the test rows, where AVX-512 VNNI is exact. With
    uint8 weights onnxruntime takes its u8u8 path, which does not saturate: measured, the fused
    graph then gives the same bytes on AVX2, AVX-512 VNNI and (but for 0.03% of rows of one
    model) aarch64, and stays within 1 LSB of the unfused one (float dequantize -> MatMul ->
    quantize) everywhere (export/README.md, 'int8 ONNX on every CPU').
    """
    import numpy as np
    from onnx import numpy_helper

    graph = proto.graph
    inits = {t.name: t for t in graph.initializer}
    converted: set[str] = set()
    for node in graph.node:
        if node.op_type != "DequantizeLinear" or len(node.input) < 3:
            continue
        w_t, zp_t = inits.get(node.input[0]), inits.get(node.input[2])
        if w_t is None or zp_t is None:
            continue
        zp = numpy_helper.to_array(zp_t)
        if node.input[0] not in converted:
            w = numpy_helper.to_array(w_t)
            if w.dtype != np.int8 or w.ndim < 2 or zp.dtype != np.int8:
                continue
            w_t.CopyFrom(
                numpy_helper.from_array((w.astype(np.int16) + 128).astype(np.uint8), w_t.name)
            )
            converted.add(node.input[0])
        # A zero point of its own: tf2onnx may share one initializer between several nodes.
        zp_u8 = numpy_helper.from_array(
            (zp.astype(np.int16) + 128).astype(np.uint8), f"{node.input[0]}_zero_point_u8"
        )
        if zp_u8.name not in inits:
            graph.initializer.append(zp_u8)
            inits[zp_u8.name] = zp_u8
        node.input[2] = zp_u8.name
    used = {name for node in graph.node for name in node.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
