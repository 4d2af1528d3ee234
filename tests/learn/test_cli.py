"""`python -m tinyflash.learn` and `tinyflash learn`: the printed epoch is Keras's epoch."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
from learn_support import keras_twin

from tinyflash.learn import MLP, OPTIMIZERS, minibatches
from tinyflash.learn.cli import OPTIMIZER_NAMES


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-P", "-m", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_printed_minibatch_losses_are_keras_losses(mnist):
    """Every loss printed (4 decimals) equals the loss Keras computes for the same weights and
    minibatch, Keras training the same network with SGD(0.5) on the same minibatches."""
    import keras
    import tensorflow as tf

    done = run("tinyflash.learn", "--images", "300", "--batch-size", "100", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert "(100, 784) @ (784, 10) + (10,) -> (100, 10)" in done.stdout
    assert "dL/dW1 = x.T @ dL/dz1 (784, 10)" in done.stdout
    printed = [float(v) for v in re.findall(r"minibatch +\d+/3: loss (\d+\.\d+)", done.stdout)]
    assert len(printed) == 3

    rng = np.random.default_rng(3)  # the command's: weights first, then the shuffle
    net = MLP.build([784, 10, 10], "sigmoid", rng)
    model, loss_fn = keras_twin(net, "categorical_crossentropy")
    optimizer = keras.optimizers.SGD(learning_rate=0.5)
    x = mnist.x_train[:300].reshape(300, 784).astype(np.float32) / np.float32(255)
    y = np.eye(10, dtype=np.float32)[mnist.y_train[:300]]
    for shown, idx in zip(printed, minibatches(300, 100, rng), strict=True):
        with tf.GradientTape() as tape:
            loss = loss_fn(y[idx], model(x[idx], training=True))
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        assert abs(shown - float(loss)) <= 0.5e-4 + 1e-5, (shown, float(loss))  # 4 decimals


def test_tinyflash_learn_subcommand_and_its_errors():
    done = run("tinyflash", "learn", "--images", "100", "--batch-size", "50", "--hidden", "4")
    assert done.returncode == 0, done.stderr
    assert "network 784-4-10" in done.stdout and "minibatch   2/2" in done.stdout
    bad = run("tinyflash", "learn", "--activation", "softmax")
    assert bad.returncode == 2
    assert "expected sigmoid, tanh, relu or linear, found 'softmax'" in bad.stderr
    assert set(OPTIMIZER_NAMES) == set(OPTIMIZERS)
