"""Operator kernels: one module per operator, listed explicitly in the registries below.

Each module has `prepare(graph, op, rounding) -> params` (every quantization constant, once, at
load) and `run(params, *input_values) -> output` (a pure function of numpy arrays, batched over
axis 0). The params objects are frozen dataclasses, public for the C generator.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tinyflash.runtime.ops import (
    add,
    batch_to_space_nd,
    concatenation,
    conv_2d,
    depthwise_conv_2d,
    dequantize,
    fully_connected,
    logistic,
    mean,
    mul,
    onnx_add,
    onnx_average_pool,
    onnx_clip,
    onnx_concat,
    onnx_conv,
    onnx_flatten,
    onnx_gemm,
    onnx_global_average_pool,
    onnx_identity,
    onnx_matmul,
    onnx_max_pool,
    onnx_mul,
    onnx_pad,
    onnx_qdq,
    onnx_reduce_mean,
    onnx_relu,
    onnx_reshape,
    onnx_sigmoid,
    onnx_softmax,
    onnx_squeeze,
    onnx_tanh,
    onnx_transpose,
    pack,
    pad,
    pool_2d,
    quantize,
    relu,
    reshape,
    shape,
    softmax,
    space_to_batch_nd,
    strided_slice,
    tanh,
)

__all__ = ["Kernel", "ONNX_KERNELS", "TFLITE_KERNELS"]


class Kernel(NamedTuple):
    prepare: Any  # (Graph, Operator, rounding) -> params
    run: Any  # (params, *inputs) -> output array
    batched: bool = True  # False: the output is metadata (a shape), not a per-row activation


TFLITE_KERNELS: dict[str, Kernel] = {
    "FULLY_CONNECTED": Kernel(fully_connected.prepare, fully_connected.run),
    "SOFTMAX": Kernel(softmax.prepare, softmax.run),
    "LOGISTIC": Kernel(logistic.prepare, logistic.run),
    "TANH": Kernel(tanh.prepare, tanh.run),
    "RELU": Kernel(relu.prepare, relu.run),
    "RELU6": Kernel(relu.prepare, relu.run),
    "RELU_N1_TO_1": Kernel(relu.prepare, relu.run),
    "QUANTIZE": Kernel(quantize.prepare, quantize.run),
    "DEQUANTIZE": Kernel(dequantize.prepare, dequantize.run),
    "RESHAPE": Kernel(reshape.prepare, reshape.run),
    "SQUEEZE": Kernel(reshape.prepare_squeeze, reshape.run),
    "CONV_2D": Kernel(conv_2d.prepare, conv_2d.run),
    "DEPTHWISE_CONV_2D": Kernel(depthwise_conv_2d.prepare, depthwise_conv_2d.run),
    "MAX_POOL_2D": Kernel(pool_2d.prepare, pool_2d.run_max),
    "AVERAGE_POOL_2D": Kernel(pool_2d.prepare, pool_2d.run_average),
    "MEAN": Kernel(mean.prepare, mean.run),
    "ADD": Kernel(add.prepare, add.run),
    "MUL": Kernel(mul.prepare, mul.run),
    "PAD": Kernel(pad.prepare, pad.run),
    "CONCATENATION": Kernel(concatenation.prepare, concatenation.run),
    "SHAPE": Kernel(shape.prepare, shape.run, batched=False),
    "STRIDED_SLICE": Kernel(strided_slice.prepare, strided_slice.run),
    "PACK": Kernel(pack.prepare, pack.run),
    "SPACE_TO_BATCH_ND": Kernel(space_to_batch_nd.prepare, space_to_batch_nd.run),
    "BATCH_TO_SPACE_ND": Kernel(batch_to_space_nd.prepare, batch_to_space_nd.run),
}

ONNX_KERNELS: dict[str, Kernel] = {
    "QuantizeLinear": Kernel(onnx_qdq.prepare, onnx_qdq.quantize_linear),
    "DequantizeLinear": Kernel(onnx_qdq.prepare, onnx_qdq.dequantize_linear),
    "MatMul": Kernel(onnx_matmul.prepare, onnx_matmul.run),
    "Gemm": Kernel(onnx_gemm.prepare, onnx_gemm.run),
    "Add": Kernel(onnx_add.prepare, onnx_add.run),
    "Relu": Kernel(onnx_relu.prepare, onnx_relu.run),
    "Sigmoid": Kernel(onnx_sigmoid.prepare, onnx_sigmoid.run),
    "Tanh": Kernel(onnx_tanh.prepare, onnx_tanh.run),
    "Softmax": Kernel(onnx_softmax.prepare, onnx_softmax.run),
    "Reshape": Kernel(onnx_reshape.prepare, onnx_reshape.run),
    "Flatten": Kernel(onnx_flatten.prepare, onnx_flatten.run),
    "Identity": Kernel(onnx_identity.prepare, onnx_identity.run),
    "Conv": Kernel(onnx_conv.prepare, onnx_conv.run),
    "MaxPool": Kernel(onnx_max_pool.prepare, onnx_max_pool.run),
    "AveragePool": Kernel(onnx_average_pool.prepare, onnx_average_pool.run),
    "GlobalAveragePool": Kernel(onnx_global_average_pool.prepare, onnx_global_average_pool.run),
    "Transpose": Kernel(onnx_transpose.prepare, onnx_transpose.run),
    "Pad": Kernel(onnx_pad.prepare, onnx_pad.run),
    "Concat": Kernel(onnx_concat.prepare, onnx_concat.run),
    "Clip": Kernel(onnx_clip.prepare, onnx_clip.run),
    "Mul": Kernel(onnx_mul.prepare, onnx_mul.run),
    "ReduceMean": Kernel(onnx_reduce_mean.prepare, onnx_reduce_mean.run),
    "Squeeze": Kernel(onnx_squeeze.prepare, onnx_squeeze.run),
}
