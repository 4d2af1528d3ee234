"""Pure-numpy interpreter for the .tflite and .onnx files tinyflash exports.

Imports numpy and the standard library only (a test checks `sys.modules`).

    import tinyflash.runtime as rt
    model = rt.load("model_int8.tflite", rounding="tflm")   # or "litert"
    y = model(x)                 # (N, *input_shape) -> (N, *output_shape)
    model.trace(x)               # every intermediate tensor by name
    print(model.summary())
    params = rt.prepare(model.graph, "tflm")   # per-op constants (frozen dataclasses), for codegen

Integer semantics: see fixedpoint.py (rounding modes) and ops/ (one kernel per operator).
"""

from tinyflash.runtime.errors import InputError, ModelFormatError, UnsupportedOperatorError
from tinyflash.runtime.graph import Graph, Operator, Quantization, Tensor
from tinyflash.runtime.interpreter import Model, TensorInfo, load, prepare

__all__ = [
    "Graph",
    "InputError",
    "Model",
    "ModelFormatError",
    "Operator",
    "Quantization",
    "Tensor",
    "TensorInfo",
    "UnsupportedOperatorError",
    "load",
    "prepare",
]
