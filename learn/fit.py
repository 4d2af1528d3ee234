"""Training: epochs of shuffled minibatches, a gradient step per minibatch, early stopping.

One epoch = every training image seen once. It is cut into minibatches of `batch_size`
images; for each: forward pass, loss, backward pass, one optimizer step. A small batch gives
a noisy gradient and many steps per epoch; a large one a smooth gradient and few steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinyflash.learn.network import MLP
from tinyflash.learn.optimizers import Optimizer

__all__ = ["EarlyStopping", "accuracy", "evaluate", "fit", "minibatches"]


def minibatches(n: int, batch_size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    """Index arrays (batch_size,) covering 0..n-1 once, shuffled by `rng` (None: in order);
    the last one is smaller when batch_size does not divide n (as in Keras)."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def accuracy(y: np.ndarray, p: np.ndarray) -> float:
    """Fraction of rows whose most probable class is the true one. y, p: (N, classes)."""
    return float(np.mean(p.argmax(axis=1) == y.argmax(axis=1)))


def evaluate(net: MLP, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) over (x, y) in inference mode (no dropout)."""
    p = net.forward(x)
    return float(net.loss(y)), accuracy(y, p)


class EarlyStopping:
    """Stop when the validation loss has not improved for `patience` epochs and, with
    restore_best_weights, go back to the weights of the best epoch: the model stops before it
    starts to memorise its training images (overfitting). Keras's EarlyStopping rule, step for
    step (monitor val_loss, min_delta 0)."""

    def __init__(self, patience: int, restore_best_weights: bool = True) -> None:
        self.patience, self.restore = patience, restore_best_weights
        self.wait, self.best, self.best_epoch = 0, float("inf"), 0
        self.best_weights: list[np.ndarray] | None = None

    def should_stop(self, epoch: int, val_loss: float, net: MLP) -> bool:
        """Called after each epoch (0-based) with that epoch's validation loss."""
        if self.restore and self.best_weights is None:
            self.best_weights = [w.copy() for w in net.params]
        self.wait += 1
        if val_loss < self.best:
            self.best, self.best_epoch, self.wait = val_loss, epoch, 0
            if self.restore:
                self.best_weights = [w.copy() for w in net.params]
            return False
        return self.wait >= self.patience and epoch > 0

    def finish(self, net: MLP) -> None:
        if self.restore and self.best_weights is not None:
            net.set_params(self.best_weights)


BatchHook = Callable[[int, int, float, MLP], None]


def fit(
    net: MLP,
    optimizer: Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator | None,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping: EarlyStopping | None = None,
    on_batch: BatchHook | None = None,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> dict[str, list[float]]:
    """Train `net` in place. x (N, features) float32, y (N, classes) one-hot.

    Returns Keras's history layout: per epoch "loss" and "accuracy" (means over the epoch's
    minibatches, in training mode) and, with validation data, "val_loss", "val_accuracy".
    on_batch(epoch, batch, loss, net) runs after every step.
    """
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if validation is not None:
        history.update(val_loss=[], val_accuracy=[])
    for epoch in range(epochs):
        loss_sum, correct = 0.0, 0
        for b, idx in enumerate(minibatches(len(x), batch_size, rng)):
            loss = net.train_step_gradients(x[idx], y[idx])  # forward, loss, backward
            predicted = net.layers[-1].y.argmax(axis=1)  # type: ignore[union-attr]
            correct += int(np.sum(predicted == y[idx].argmax(axis=1)))
            optimizer.step(net.params, net.grads)  # w <- w - (a step built from dL/dw)
            loss_sum += loss * len(idx)
            if on_batch is not None:
                on_batch(epoch, b, loss, net)
        logs: dict[str, Any] = {"loss": loss_sum / len(x), "accuracy": correct / len(x)}
        if validation is not None:
            logs["val_loss"], logs["val_accuracy"] = evaluate(net, *validation)
        for key, value in logs.items():
            history[key].append(float(value))
        if on_epoch is not None:
            on_epoch(epoch, logs)
        if early_stopping is not None and validation is not None:
            if early_stopping.should_stop(epoch, logs["val_loss"], net):
                break
    if early_stopping is not None:
        early_stopping.finish(net)
    return history
