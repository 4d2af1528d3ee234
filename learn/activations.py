"""Activation functions and their derivatives, element by element.

A neuron computes z = x . w + b and then a = f(z). Backpropagation needs f'(z): how much a
changes when z changes. For every function here f'(z) can be written with the output a alone,
so a layer keeps a (not z) from the forward pass:

    sigmoid  a = 1 / (1 + e^-z)           f'(z) = a (1 - a)        (in (0, 1), at most 1/4)
    tanh     a = (e^z - e^-z)/(e^z + e^-z) f'(z) = 1 - a^2          (in (-1, 1), at most 1)
    relu     a = max(0, z)                 f'(z) = 1 if a > 0 else 0
    linear   a = z                         f'(z) = 1
    softmax  a_k = e^z_k / sum_j e^z_j     (a row of probabilities: a Jacobian, see below)

Shapes: z and a are (batch, units); every function works row by row, so one image is a row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["ACTIVATIONS", "forward", "backward"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """(batch, units) -> (batch, units) in (0, 1). Written for both signs of z so that
    e^-z never overflows: for z < 0 use e^z / (1 + e^z), the same number."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def linear(z: np.ndarray) -> np.ndarray:
    return z


def softmax(z: np.ndarray) -> np.ndarray:
    """(batch, classes) -> (batch, classes), each row sums to 1.

    Subtracting the row's maximum first changes nothing mathematically (e^(z-m) / sum e^(z-m)
    is the same fraction) but keeps e^z from overflowing for large z.
    """
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# Backward: given a = f(z) and dL/da (both (batch, units)), return dL/dz (batch, units).
def sigmoid_backward(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    return da * a * (1 - a)


def tanh_backward(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    return da * (1 - a * a)


def relu_backward(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    return np.where(a > 0, da, 0).astype(da.dtype)


def linear_backward(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    return da


def softmax_backward(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    """Each output a_k depends on every z_j: da_k/dz_j = a_k (delta_kj - a_j). Multiplying that
    (classes, classes) Jacobian by dL/da, row by row, simplifies to a * (da - sum(da * a)).

    With categorical cross-entropy the whole product collapses to (a - y) / batch: see
    losses.py, which is why the network skips this function in that case.
    """
    return (da - (da * a).sum(axis=1, keepdims=True)) * a


Function = Callable[[np.ndarray], np.ndarray]
Derivative = Callable[[np.ndarray, np.ndarray], np.ndarray]

# name -> (f, backward). The names are Keras's, so a Keras model's layers map one to one.
ACTIVATIONS: dict[str, tuple[Function, Derivative]] = {
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
    "linear": (linear, linear_backward),
    "softmax": (softmax, softmax_backward),
}


def forward(name: str, z: np.ndarray) -> np.ndarray:
    return ACTIVATIONS[name][0](z)


def backward(name: str, a: np.ndarray, da: np.ndarray) -> np.ndarray:
    return ACTIVATIONS[name][1](a, da)
