"""The two layers of the course's networks: Dense (a row of neurons) and Dropout.

Every layer has forward(x) -> y and backward(dy) -> dx: backward receives dL/dy, how the loss
changes with each of the layer's outputs, and returns dL/dx for the layer before it, after
storing the gradients of its own weights. That is backpropagation: the chain rule applied
one layer at a time, from the loss back to the input.
"""

from __future__ import annotations

import numpy as np

from tinyflash.errors import ConfigError
from tinyflash.learn import activations

__all__ = ["Dense", "Dropout", "glorot_uniform"]


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """(fan_in, fan_out) float32 uniform in +-sqrt(6 / (fan_in + fan_out)), Keras's default.

    The limit keeps the variance of z about the same from layer to layer, so a deep network
    neither saturates its sigmoids nor shrinks its signal to zero at the start.
    """
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


class Dense:
    """y = f(x @ W + b): `units` neurons, each connected to every input.

    W: (in_features, units), b: (units,): the layout of a Keras Dense layer's kernel and bias.
    forward:  x (batch, in_features) -> y (batch, units)
    backward: dL/dy (batch, units)   -> dL/dx (batch, in_features); sets dW, db
    """

    def __init__(self, weights: np.ndarray, bias: np.ndarray, activation: str) -> None:
        if activation not in activations.ACTIVATIONS:
            known = ", ".join(activations.ACTIVATIONS)
            raise ConfigError(f"Dense: activation {activation!r} is not known (supported: {known})")
        self.W, self.b, self.activation = weights, bias, activation
        self.dW = np.zeros_like(weights)
        self.db = np.zeros_like(bias)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.x = x  # (batch, in_features): kept, dW needs it
        self.z = x @ self.W + self.b  # (batch, units): the weighted sums
        self.y = activations.forward(self.activation, self.z)  # (batch, units)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dz = activations.backward(self.activation, self.y, dy)  # (batch, units)
        return self.backward_from_z(dz)

    def backward_from_z(self, dz: np.ndarray) -> np.ndarray:
        """The rest of backward once dL/dz (batch, units) is known.

        z_k = sum_i x_i W_ik + b_k, so dz_k/dW_ik = x_i, dz_k/db_k = 1, dz_k/dx_i = W_ik.
        Summing over the images of the minibatch (the loss is their mean, already in dz):
        """
        self.dz = dz  # kept for a student to look at (python -m tinyflash.learn prints it)
        self.dW = self.x.T @ dz  # (in_features, batch) @ (batch, units) = (in_features, units)
        self.db = dz.sum(axis=0)  # (units,)
        return dz @ self.W.T  # (batch, units) @ (units, in_features) = (batch, in_features)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W, self.b]

    @property
    def grads(self) -> list[np.ndarray]:
        return [self.dW, self.db]


class Dropout:
    """During training, zero each input with probability `rate` and scale the rest by
    1 / (1 - rate), so the expected value of each output equals its input; at inference, pass
    x through unchanged. The network cannot rely on any one neuron: it learns redundancy.

    forward: x (batch, features) -> (batch, features); backward: the same mask and scale.
    `mask` may be set by hand (a test copies Keras's) instead of drawn from `rng`.
    """

    def __init__(self, rate: float, rng: np.random.Generator | None = None) -> None:
        self.rate = rate
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.mask: np.ndarray | None = None
        self.fixed_mask = False

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.training = training
        if not training or self.rate == 0:
            return x
        if not self.fixed_mask:
            self.mask = self.rng.random(x.shape) >= self.rate  # (batch, features) bool
        assert self.mask is not None and self.mask.shape == x.shape
        scale = np.asarray(1 / (1 - self.rate), dtype=x.dtype)
        return np.where(self.mask, x * scale, 0).astype(x.dtype)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if not self.training or self.rate == 0:
            return dy
        assert self.mask is not None
        scale = np.asarray(1 / (1 - self.rate), dtype=dy.dtype)
        return np.where(self.mask, dy * scale, 0).astype(dy.dtype)

    @property
    def params(self) -> list[np.ndarray]:
        return []  # nothing to learn

    @property
    def grads(self) -> list[np.ndarray]:
        return []
