"""Gradient descent and its refinements: how to turn a gradient into a step.

Every optimizer here updates each weight array w (any shape) from its gradient g = dL/dw
(same shape), in place, keeping per-weight state of the same shape where it needs memory.
The update rules are written in the order Keras 3 computes them (keras/src/optimizers/*.py),
with the same defaults and the same place for epsilon (a tiny number that keeps a division
from blowing up when a running average is still 0). The textbook form is beside each one.
float32 throughout, like Keras: constants such as 1 - beta are rounded to float32 when they
meet a float32 array (numpy 2 treats Python floats as "weak", as TensorFlow does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

State = dict[str, np.ndarray]  # the per-weight memory: arrays shaped like the weight

__all__ = ["OPTIMIZERS", "Optimizer", "SGD", "Adam", "RMSprop", "Adagrad", "Adadelta"]


class Optimizer:
    """step(params, grads): one update of every weight array, in place; counts iterations."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self.iterations = 0  # steps taken so far (Adam's bias correction uses it)
        self.state: list[State] | None = None

    def init_state(self, w: np.ndarray) -> State:
        return {}

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        if self.state is None:
            self.state = [self.init_state(w) for w in params]
        lr = np.asarray(self.learning_rate, dtype=params[0].dtype)  # Keras keeps lr in float32
        for w, g, s in zip(params, grads, self.state, strict=True):
            self.update(w, g, s, lr)
        self.iterations += 1

    def update(self, w: np.ndarray, g: np.ndarray, s: State, lr: np.ndarray) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Plain:    w <- w - lr g
    Momentum: m <- momentum m - lr g;  w <- w + m      (a ball rolling downhill keeps speed)
    Nesterov: the same m, then w <- w + momentum m - lr g   (look one step ahead)
    Keras defaults: learning_rate 0.01, momentum 0, nesterov False."""

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False
    ) -> None:
        super().__init__(learning_rate)
        self.momentum, self.nesterov = momentum, nesterov

    def init_state(self, w: np.ndarray) -> State:
        return {"m": np.zeros_like(w)} if self.momentum != 0 else {}

    def update(self, w: np.ndarray, g: np.ndarray, s: State, lr: np.ndarray) -> None:
        if self.momentum == 0:
            w -= g * lr
            return
        m, momentum = s["m"], np.asarray(self.momentum, dtype=w.dtype)
        m[...] = m * momentum - g * lr
        w += m * momentum - g * lr if self.nesterov else m


class Adam(Optimizer):
    """Textbook (Kingma & Ba): m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t);  w <- w - lr m_hat / (sqrt(v_hat) + eps).
    Keras folds both corrections into the step size, alpha = lr sqrt(1 - b2^t) / (1 - b1^t),
    and adds eps to sqrt(v), not sqrt(v_hat): the same rule with a slightly different eps.
    Defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def init_state(self, w: np.ndarray) -> State:
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, s: State, lr: np.ndarray) -> None:
        t = np.asarray(self.iterations + 1, dtype=w.dtype)
        beta_1_power = np.power(np.asarray(self.beta_1, dtype=w.dtype), t)
        beta_2_power = np.power(np.asarray(self.beta_2, dtype=w.dtype), t)
        alpha = lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m, v = s["m"], s["v"]
        m += (g - m) * (1 - self.beta_1)  # = b1 m + (1 - b1) g
        v += (np.square(g) - v) * (1 - self.beta_2)  # = b2 v + (1 - b2) g^2
        w -= (m * alpha) / (np.sqrt(v) + self.epsilon)


class RMSprop(Optimizer):
    """v <- rho v + (1-rho) g^2  (a running mean of the squared gradient);
    w <- w - lr g / sqrt(v + eps): big steps where gradients are small, small where large.
    Defaults: learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7 (inside the sqrt)."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon

    def init_state(self, w: np.ndarray) -> State:
        state = {"v": np.zeros_like(w)}
        if self.momentum > 0:
            state["m"] = np.zeros_like(w)
        return state

    def update(self, w: np.ndarray, g: np.ndarray, s: State, lr: np.ndarray) -> None:
        v = s["v"]
        v[...] = self.rho * v + (1 - self.rho) * np.square(g)
        increment = (lr * g) / np.sqrt(v + self.epsilon)
        if self.momentum > 0:
            s["m"][...] = self.momentum * s["m"] + increment
            increment = s["m"]
        w -= increment


class Adagrad(Optimizer):
    """acc <- acc + g^2  (every squared gradient so far, never forgotten);
    w <- w - lr g / sqrt(acc + eps): each weight's step shrinks as its gradients add up.
    Defaults: learning_rate 0.001, initial_accumulator_value 0.1, epsilon 1e-7."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def init_state(self, w: np.ndarray) -> State:
        return {"acc": np.full_like(w, self.initial_accumulator_value)}

    def update(self, w: np.ndarray, g: np.ndarray, s: State, lr: np.ndarray) -> None:
        s["acc"] += np.square(g)
        w -= (lr * g) / np.sqrt(s["acc"] + self.epsilon)


class Adadelta(Optimizer):
    """Zeiler's rule, with running means of both the squared gradients and the squared steps:
    acc_g <- rho acc_g + (1-rho) g^2;  delta = -sqrt(acc_d + eps) / sqrt(acc_g + eps) g;
    acc_d <- rho acc_d + (1-rho) delta^2;  w <- w + lr delta.
    The paper has no learning rate (lr = 1); Keras's default is 0.001, rho 0.95, eps 1e-7."""

    def __init__(
        self, learning_rate: float = 0.001, rho: float = 0.95, epsilon: float = 1e-7
    ) -> None:
        super().__init__(learning_rate)
        self.rho, self.epsilon = rho, epsilon

    def init_state(self, w: np.ndarray) -> State:
        return {"acc_g": np.zeros_like(w), "acc_d": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, s: State, lr: np.ndarray) -> None:
        acc_g, acc_d, rho = s["acc_g"], s["acc_d"], self.rho
        acc_g[...] = rho * acc_g + (1 - rho) * np.square(g)
        delta = -((np.sqrt(acc_d + self.epsilon) * g) / np.sqrt(acc_g + self.epsilon))
        acc_d[...] = rho * acc_d + (1 - rho) * np.square(delta)
        w += lr * delta


# name (as tinyflash's config and Keras spell it) -> class
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
}
