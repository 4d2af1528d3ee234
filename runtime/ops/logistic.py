"""LOGISTIC (sigmoid), int8 and float32: the shared kernel of q0_activation.py with its spec.

int8 output is fixed by TFLite: scale 1/256, zero point -128. The two modes compute different
functions here (not just a different rounding):
  "tflm"   (TFLM reference_integer_ops::Logistic): rescale x - zp to Q4.27 with a frexp-derived
           multiplier (double-rounding MBQM), gemmlowp fixed-point logistic, rounding shift to
           Q0.8, -128; inputs beyond +-input_range_radius saturate.
  "litert" (ai-edge-litert LUTPopulate): a 256-entry table built in float32:
           round_half_away(sigmoid(scale * (q - zp)) * (1 / out_scale)) + out_zp, truncated,
           clamped.
"""

from __future__ import annotations

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops import q0_activation
from tinyflash.runtime.ops.q0_activation import fixed_point_input_params, float_lut

__all__ = ["SPEC", "fixed_point_input_params", "float_lut", "logistic_int8_tflm", "prepare", "run"]


def _sigmoid32(v: np.ndarray) -> np.ndarray:
    one = np.float32(1.0)
    with np.errstate(over="ignore"):  # exp(-v) = inf for v << 0 gives 1 / inf = 0, as in C
        return one / (one + np.exp(-v))


SPEC = q0_activation.Q0Activation(
    "LOGISTIC", 1 / 256, -128, fixedpoint.logistic_q0, 23, -128, _sigmoid32
)


def logistic_int8_tflm(q: np.ndarray, input_zero_point: int, d: dict) -> np.ndarray:
    """TFLM int8 logistic of int8 values q (any shape); output scale 1/256, zero point -128."""
    return q0_activation.int8_tflm(SPEC, q, input_zero_point, d)


def prepare(graph: Graph, op: Operator, rounding: str):
    return q0_activation.prepare(SPEC, graph, op, rounding)


run = q0_activation.run
