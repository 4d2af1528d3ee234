"""A multilayer perceptron: Dense layers (and Dropout) in a row, with forward and backward.

    x (batch, 784) -> Dense(h1, f) [-> Dropout] -> ... -> Dense(classes, softmax) -> p

`forward` runs the layers left to right; `backward` runs them right to left, each turning
dL/d(its output) into dL/d(its input) and keeping the gradients of its own weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinyflash.errors import ConfigError
from tinyflash.learn import losses
from tinyflash.learn.layers import Dense, Dropout, glorot_uniform

__all__ = ["MLP"]

Layer = Dense | Dropout


class MLP:
    """layers: Dense and Dropout in order; the last is a Dense layer. loss: a name in
    losses.LOSSES. params / grads: [W1, b1, W2, b2, ...], the order of Keras's get_weights()."""

    def __init__(self, layers: Sequence[Layer], loss: str = "categorical_crossentropy") -> None:
        if not layers or not isinstance(layers[-1], Dense):
            raise ConfigError(
                "MLP: expected Dense and Dropout layers ending with a Dense layer, found "
                f"{[type(layer).__name__ for layer in layers]}"
            )
        if loss not in losses.LOSSES:
            raise ConfigError(f"MLP: loss {loss!r} is not known (supported: {losses.LOSSES})")
        if loss == "categorical_crossentropy" and layers[-1].activation != "softmax":
            raise ConfigError(
                "MLP: categorical cross-entropy expects a softmax output layer, found "
                f"{layers[-1].activation!r} (use loss 'mse' for other outputs)"
            )
        self.layers, self.loss_name = list(layers), loss

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        activation: str,
        rng: np.random.Generator,
        *,
        dropout: float = 0.0,
        loss: str = "categorical_crossentropy",
    ) -> MLP:
        """sizes = [784, h1, ..., classes]: Glorot-uniform weights, zero biases, `activation`
        in the hidden layers, softmax at the output, Dropout(`dropout`) after each hidden one."""
        layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            last = i == len(sizes) - 2
            W, b = glorot_uniform(n_in, n_out, rng), np.zeros(n_out, np.float32)
            layers.append(Dense(W, b, "softmax" if last else activation))
            if dropout > 0 and not last:
                layers.append(Dropout(dropout, rng))
        return cls(layers, loss)

    @property
    def dense(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def params(self) -> list[np.ndarray]:
        return [p for layer in self.dense for p in layer.params]

    @property
    def grads(self) -> list[np.ndarray]:
        return [g for layer in self.dense for g in layer.grads]

    def set_params(self, values: Sequence[np.ndarray]) -> None:
        """Copy [W1, b1, W2, b2, ...] (e.g. a Keras model's get_weights()) into the layers."""
        for layer, (W, b) in zip(
            self.dense, zip(values[::2], values[1::2], strict=True), strict=True
        ):
            if W.shape != layer.W.shape or b.shape != layer.b.shape:
                raise ConfigError(
                    f"MLP.set_params: expected {layer.W.shape} and {layer.b.shape}, "
                    f"found {W.shape} and {b.shape}"
                )
            layer.W[...], layer.b[...] = W, b

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x (batch, in_features) -> p (batch, classes). training=True turns Dropout on."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def loss(self, y: np.ndarray) -> float:
        """The loss of the last forward pass against the one-hot targets y (batch, classes)."""
        out = self.layers[-1]
        assert isinstance(out, Dense)
        if self.loss_name == "categorical_crossentropy":
            return losses.cross_entropy(y, out.z)  # from the logits, see losses.py
        return losses.mse(y, out.y)

    def backward(self, y: np.ndarray) -> None:
        """Gradients of the last forward pass's loss with respect to every weight: layer.dW,
        layer.db. Right to left; d is dL/d(the output of the layer being visited)."""
        out = self.layers[-1]
        assert isinstance(out, Dense)
        if self.loss_name == "categorical_crossentropy":
            # softmax + cross-entropy: dL/dz = (p - y) / batch directly (losses.py says why)
            d = out.backward_from_z(losses.cross_entropy_gradient(y, out.y))
        else:
            d = out.backward(losses.mse_gradient(y, out.y))  # through f'(z) of the output
        for layer in reversed(self.layers[:-1]):
            d = layer.backward(d)  # (batch, that layer's inputs)

    def train_step_gradients(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward (training mode), loss, backward: returns the loss; leaves the gradients."""
        self.forward(x, training=True)
        loss = self.loss(y)
        self.backward(y)
        return loss

    def predict(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """(N, in_features) -> (N, classes) probabilities, inference mode (no dropout)."""
        return np.concatenate(
            [self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        )
