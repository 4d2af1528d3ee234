"""Pure-numpy interpreter for the .tflite and .onnx files tinyflash exports.

Imports numpy and the standard library only (a test checks `sys.modules`).
"""

from tinyflash.runtime.errors import ModelFormatError, UnsupportedOperatorError
from tinyflash.runtime.graph import Graph, Operator, Quantization, Tensor

__all__ = [
    "Graph",
    "ModelFormatError",
    "Operator",
    "Quantization",
    "Tensor",
    "UnsupportedOperatorError",
]
