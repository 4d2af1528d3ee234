"""The two losses of the course, each with its gradient.

y: (batch, classes) one-hot targets (a 1 in the column of the true class, 0 elsewhere).
p: (batch, classes) the network's outputs. Both losses are means over the minibatch, as in
Keras, so the gradient of each image is divided by the batch size.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LOSSES", "mse", "mse_gradient", "cross_entropy", "cross_entropy_gradient"]


def mse(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error: mean over the classes, then over the batch -> a scalar.

    L = 1/(batch * classes) * sum over images and classes of (p - y)^2
    """
    return float(np.mean(np.mean(np.square(y - p), axis=1)))


def mse_gradient(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """dL/dp (batch, classes) = 2 (p - y) / (batch * classes)."""
    return 2 * (p - y) / np.asarray(p.size, dtype=p.dtype)


def cross_entropy(y: np.ndarray, z: np.ndarray) -> float:
    """Categorical cross-entropy of softmax(z), computed from the logits z (batch, classes).

    L_image = -sum_k y_k log p_k with p = softmax(z). With one-hot y that is -log p_true: the
    surprise at the true class, 0 when the network is sure and right. Through the logits,
    log p_k = z_k - log(sum_j e^z_j), so L_image = logsumexp(z) - sum_k y_k z_k: no log of a
    rounded-to-zero probability ever happens. Keras does the same (with TensorFlow it finds the
    logits behind a softmax layer and calls softmax_cross_entropy_with_logits).
    Returns the mean over the batch.
    """
    m = z.max(axis=1, keepdims=True)  # (batch, 1): subtracted for the same reason as softmax's
    logsumexp = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))  # (batch,)
    return float(np.mean(logsumexp - (y * z).sum(axis=1)))


def cross_entropy_gradient(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """dL/dz (batch, classes) = (p - y) / batch, where p = softmax(z): the softmax's own
    derivative and the log's cancel.

    By the chain rule through p: dL/dp_k = -y_k / p_k / batch, and dp_k/dz_j = p_k (delta_kj -
    p_j), so dL/dz_j = sum_k -y_k/p_k p_k (delta_kj - p_j) / batch = (-y_j + p_j sum_k y_k) /
    batch = (p_j - y_j) / batch, since the one-hot y sums to 1. The output error of each image
    is simply "predicted minus true".
    """
    return (p - y) / np.asarray(len(p), dtype=p.dtype)


# The names Keras uses for them (model.compile(loss=...)).
LOSSES = ("categorical_crossentropy", "mse")
