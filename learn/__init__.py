"""tinyflash.learn: the training of a multilayer perceptron written out in numpy, for students.

What Keras does inside model.fit, in small files to read in this order:

    activations.py  sigmoid, tanh, relu, linear, softmax and their derivatives
    layers.py       Dense (y = f(x W + b)) and Dropout, each with forward and backward
    losses.py       mean squared error and categorical cross-entropy, with their gradients
    network.py      the multilayer perceptron: forward left to right, backward right to left
    optimizers.py   SGD (momentum, Nesterov), Adam, RMSprop, Adagrad, Adadelta, as in Keras 3
    fit.py          epochs, minibatches, early stopping
    plots.py        the figures of `tinyflash learn --plots DIR` (matplotlib only when drawing)

numpy and the standard library only (tests/learn/test_import.py checks it). The tests in
tests/learn/ prove that, from the same weights and minibatches, every loss, gradient and
weight equals Keras's. `python -m tinyflash.learn` trains one epoch and prints what happens.
"""

from tinyflash.learn.fit import EarlyStopping, evaluate, fit, minibatches
from tinyflash.learn.layers import Dense, Dropout, glorot_uniform
from tinyflash.learn.network import MLP
from tinyflash.learn.optimizers import OPTIMIZERS, SGD, Adadelta, Adagrad, Adam, RMSprop

__all__ = [
    "MLP",
    "OPTIMIZERS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "RMSprop",
    "evaluate",
    "fit",
    "glorot_uniform",
    "minibatches",
]
