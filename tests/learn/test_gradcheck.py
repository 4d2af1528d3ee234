"""Backpropagation against finite differences, in float64, for every activation and loss.

For a weight w, (L(w + h) - L(w - h)) / 2h approximates dL/dw with an error of order h^2
(the Taylor terms of order h cancel) plus rounding of order eps64 * L / h. With h = 1e-6
both are about 1e-12 .. 1e-10, far below the 1e-6 relative difference tolerated here, and a
wrong derivative (a missing f'(z), a transposed product, a lost 1/batch) is off by far more.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinyflash.learn import MLP, Dense

H = 1e-6


def network(activation: str, loss: str, rng: np.random.Generator) -> MLP:
    sizes = [12, 7, 5, 4]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = i == len(sizes) - 2
        layers.append(
            Dense(rng.normal(0, 0.7, (n_in, n_out)), rng.normal(0, 0.3, n_out),
                  "softmax" if last else activation)
        )  # fmt: skip
    return MLP(layers, loss)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse"])
def test_backprop_equals_finite_differences(activation, loss):
    rng = np.random.default_rng(3)
    net = network(activation, loss, rng)
    x = rng.normal(0, 1, (6, 12))  # (batch, features) float64
    y = np.eye(4)[rng.integers(0, 4, 6)]  # (batch, classes) one-hot
    net.train_step_gradients(x, y)
    for p, g in zip(net.params, net.grads, strict=True):
        assert p.dtype == g.dtype == np.float64
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + H
            net.forward(x)
            up = net.loss(y)
            p[i] = saved - H
            net.forward(x)
            down = net.loss(y)
            p[i] = saved
            numeric[i] = (up - down) / (2 * H)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)
