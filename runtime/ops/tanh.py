"""TANH, int8 and float32: the shared kernel of q0_activation.py with its spec.

int8 output is fixed by TFLite: scale 1/128, zero point 0.
  "tflm"   (TFLM reference_integer_ops::Tanh): x - zp rescaled to Q4.27 (double-rounding MBQM),
           gemmlowp fixed-point tanh, rounding shift to Q0.7; beyond +-radius saturates.
  "litert" (ai-edge-litert LUTPopulate): 256-entry float32 table of tanh (q0_activation.float_lut).
"""

from __future__ import annotations

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops import q0_activation

__all__ = ["SPEC", "prepare", "run", "tanh_int8_tflm"]

SPEC = q0_activation.Q0Activation("TANH", 1 / 128, 0, fixedpoint.tanh_q0, 24, 0, np.tanh)


def tanh_int8_tflm(q: np.ndarray, input_zero_point: int, d: dict) -> np.ndarray:
    """TFLM int8 tanh of int8 values q (any shape); output scale 1/128, zero point 0."""
    return q0_activation.int8_tflm(SPEC, q, input_zero_point, d)


def prepare(graph: Graph, op: Operator, rounding: str):
    return q0_activation.prepare(SPEC, graph, op, rounding)


run = q0_activation.run
