"""tinyflash.learn equals Keras 3 (TensorFlow backend), step by step, for every optimizer.

Both sides start from the same weights and see the same minibatches of real MNIST images.
Keras's side is what model.fit does inside: a forward pass under tf.GradientTape, the loss,
tape.gradient, optimizer.apply. After every step the loss, every gradient and every weight
are compared.

The tolerance, and why it holds on every CPU. float32 has EPS = 2^-23 (about 1.2e-7). The
two sides compute the same formulas, but a matrix product is a sum of n terms and numpy's
BLAS and TensorFlow's Eigen add them in different orders (blocking and SIMD width depend on
the CPU), and exp / tanh / pow are different approximations. Reordering a sum of n terms
changes it by at most n * EPS * (the sum of the terms' sizes) (Higham's bound gamma_n), a
bound that holds for every order, so for every CPU. The longest sum here has n = 784 terms
(a pixel row times a weight column); each layer, and each optimizer step (which carries the
last step's difference forward), adds one such error. Taking a tensor's largest value as the
size of its terms:

    |ours - keras| <= TOL * max|keras|,  TOL = (layers + steps) * 784 * EPS

(2 layers, 4 steps: 5.6e-4). That is a worst case: measured on one CPU the largest difference
was 6 EPS for the losses and gradients and 110 EPS for Adam's weights (Adam divides by
sqrt(v), so a gradient near 0 turns its rounding into a full step of +-lr), 40 times inside.
A wrong formula shows up far above it: epsilon inside instead of outside Adam's square root
(or outside RMSprop's), the textbook bias correction instead of Keras's, momentum applied
before the gradient, a 1/batch missing: each changes a step by percents.
test_optimizer_rule_is_keras_to_the_ulp checks the update rules alone, where there is no sum.
"""

from __future__ import annotations

import numpy as np
import pytest
from learn_support import EPS, assert_close, keras_twin, tolerance

from tinyflash.learn import MLP, OPTIMIZERS, Dense, Dropout

BATCH, STEPS = 32, 4

CASES = {  # optimizer -> keyword arguments, the same on both sides
    "sgd": {"learning_rate": 0.5},
    "sgd_momentum": {"learning_rate": 0.1, "momentum": 0.9},
    "sgd_nesterov": {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
    "adam": {"learning_rate": 0.01},
    "rmsprop": {"learning_rate": 0.01},
    "rmsprop_momentum": {"learning_rate": 0.01, "momentum": 0.5},
    "adagrad": {"learning_rate": 0.1},
    "adadelta": {"learning_rate": 1.0},
}
KERAS_CLASS = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
}


@pytest.fixture(scope="module")
def images(mnist):
    from tinyflash.train.model import preprocess

    n = BATCH * STEPS
    x = preprocess(mnist.x_train[:n])  # (128, 784) float32 in [0, 1]
    y = np.eye(10, dtype=np.float32)[mnist.y_train[:n]]  # (128, 10) one-hot
    return x, y


def keras_optimizer(case: str):
    import keras

    name = case.split("_")[0]
    return getattr(keras.optimizers, KERAS_CLASS[name])(**CASES[case])


def ours_optimizer(case: str):
    return OPTIMIZERS[case.split("_")[0]](**CASES[case])


def keras_step(model, loss_fn, optimizer, x, y):
    """One training step as model.fit does it; returns (loss, gradients) before the update."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(grads, model.trainable_variables)
    return float(loss), [g.numpy() for g in grads]


def run_both(case: str, images, activation: str = "sigmoid", loss="categorical_crossentropy"):
    """Yield (step, our loss, Keras loss, our grads, Keras grads, our weights, Keras weights)."""
    x, y = images
    net = MLP.build([784, 16, 10], activation, np.random.default_rng(5), loss=loss)
    model, loss_fn = keras_twin(net, loss)
    ours, theirs = ours_optimizer(case), keras_optimizer(case)
    for step in range(STEPS):
        xb, yb = x[step * BATCH : (step + 1) * BATCH], y[step * BATCH : (step + 1) * BATCH]
        k_loss, k_grads = keras_step(model, loss_fn, theirs, xb, yb)
        loss_value = net.train_step_gradients(xb, yb)
        grads = [g.copy() for g in net.grads]
        ours.step(net.params, net.grads)
        yield step, loss_value, k_loss, grads, k_grads, net.params, model.get_weights()


@pytest.mark.parametrize("case", list(CASES))
def test_every_step_equals_keras(case, images):
    for step, loss, k_loss, grads, k_grads, weights, k_weights in run_both(case, images):
        tol = tolerance(2, step + 1)
        assert_close(loss, k_loss, tol, f"{case} step {step} loss")
        for i, (g, kg) in enumerate(zip(grads, k_grads, strict=True)):
            assert_close(g, kg, tol, f"{case} step {step} gradient {i}")
        for i, (w, kw) in enumerate(zip(weights, k_weights, strict=True)):
            assert_close(w, kw, tol, f"{case} step {step} weight {i}")


@pytest.mark.parametrize("activation", ["relu", "tanh", "linear"])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse"])
def test_activations_and_losses_equal_keras(activation, loss, images):
    for step, loss_v, k_loss, grads, k_grads, weights, k_weights in run_both(
        "sgd", images, activation, loss
    ):
        tol = tolerance(2, step + 1)
        assert_close(loss_v, k_loss, tol, f"{activation}/{loss} step {step} loss")
        for i, (g, kg) in enumerate(zip(grads, k_grads, strict=True)):
            assert_close(g, kg, tol, f"{activation}/{loss} step {step} gradient {i}")
        for i, (w, kw) in enumerate(zip(weights, k_weights, strict=True)):
            assert_close(w, kw, tol, f"{activation}/{loss} step {step} weight {i}")


RULE_CASES = {
    **CASES,
    "adagrad_from_zero": {"learning_rate": 0.1, "initial_accumulator_value": 0.0},
}
RULE_STEPS = 5
RULE_ULPS = 16  # per step; see the docstring


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_optimizer_rule_is_keras_to_the_ulp(case):
    """The update rules alone: the same gradients into both optimizers, 5 steps.

    No sums here, only element-wise float32 operations (+, *, /, sqrt, each rounded to the
    nearest float32 by IEEE 754 on every CPU, and one pow), about 10 per step. So each weight
    may differ by a few ulps of its own size and of the steps taken:
    |ours - keras| <= RULE_ULPS * steps * EPS * (|w| + sum of |step|), element by element.
    The gradients span 1e-9 .. 1 in size with both signs, so epsilon's place matters (for
    gradients near sqrt(epsilon) and below, inside or outside the root differs by percents).
    """
    import tensorflow as tf

    rng = np.random.default_rng(11)
    shape = (64, 8)
    w0 = rng.normal(0, 0.1, shape).astype(np.float32)
    grads = [
        (rng.choice([-1, 1], shape) * 10 ** rng.uniform(-9, 0, shape)).astype(np.float32)
        for _ in range(RULE_STEPS)
    ]
    name = case.split("_")[0]
    import keras

    theirs = getattr(keras.optimizers, KERAS_CLASS[name])(**RULE_CASES[case])
    ours = OPTIMIZERS[name](**RULE_CASES[case])
    variable = tf.Variable(w0.copy())
    w, travelled = w0.copy(), np.zeros(shape)
    for step, g in enumerate(grads, start=1):
        before = w.copy()
        ours.step([w], [g])
        theirs.apply([tf.constant(g)], [variable])
        travelled += np.abs(w.astype(np.float64) - before)
        bound = RULE_ULPS * step * EPS * (np.abs(w0) + travelled)
        err = np.abs(w.astype(np.float64) - variable.numpy())
        worst = np.unravel_index(np.argmax(err - bound), shape)
        assert np.all(err <= bound), (
            f"{case} step {step}: |ours - keras| = {err[worst]:.3g} > {bound[worst]:.3g} at {worst}"
        )


def test_dropout_with_keras_mask_equals_keras(images):
    """Dropout draws random masks; with Keras's own mask copied in, training equals Keras's."""
    import keras
    import tensorflow as tf

    x, y = images[0][:BATCH], images[1][:BATCH]
    net = MLP.build([784, 16, 10], "sigmoid", np.random.default_rng(5), dropout=0.25)
    model, loss_fn = keras_twin(net, "categorical_crossentropy")
    dense_1, dropout, dense_2 = model.layers
    with tf.GradientTape() as tape:
        hidden = dense_1(x)
        dropped = dropout(hidden, training=True)
        loss = loss_fn(y, dense_2(dropped))
    k_grads = tape.gradient(loss, model.trainable_variables)
    ours = net.layers[1]
    assert isinstance(ours, Dropout) and isinstance(dropout, keras.layers.Dropout)
    ours.mask, ours.fixed_mask = dropped.numpy() != 0, True  # sigmoid > 0: zero means dropped
    assert 0.6 < ours.mask.mean() < 0.9  # about 1 - rate kept
    loss_value = net.train_step_gradients(x, y)
    tol = tolerance(2, 0)
    assert_close(loss_value, float(loss), tol, "dropout loss")
    for i, (g, kg) in enumerate(zip(net.grads, k_grads, strict=True)):
        assert_close(g, kg.numpy(), tol, f"dropout gradient {i}")
    np.testing.assert_array_equal(net.forward(x), net.forward(x))  # inference: no dropout
    assert_close(net.forward(x), model(x, training=False).numpy(), tol, "inference")


@pytest.mark.parametrize(
    "val_losses",
    [[0.5, 0.4, 0.45, 0.41, 0.42, 0.3], [0.5, 0.6, 0.7, 0.8], [0.3, 0.2, 0.1, 0.05]],
)
def test_early_stopping_stops_and_restores_as_keras(val_losses):
    """The same validation losses into Keras's EarlyStopping and ours: the same stopping epoch
    and the same restored weights (each epoch's weights are distinct: w = epoch)."""
    import keras

    from tinyflash.learn import EarlyStopping

    patience = 2
    net = MLP([Dense(np.zeros((1, 1), np.float32), np.zeros(1, np.float32), "softmax")])
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    callback = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    ours = EarlyStopping(patience)
    stopped = {"keras": None, "ours": None}
    for epoch, val_loss in enumerate(val_losses):
        weights = [np.full((1, 1), epoch, np.float32), np.full(1, epoch, np.float32)]
        model.set_weights(weights)
        net.set_params(weights)
        if stopped["keras"] is None:
            callback.on_epoch_end(epoch, {"val_loss": val_loss})
            if model.stop_training:
                stopped["keras"] = epoch
        if stopped["ours"] is None and ours.should_stop(epoch, val_loss, net):
            stopped["ours"] = epoch
    callback.on_train_end()
    ours.finish(net)
    assert stopped["ours"] == stopped["keras"]
    for w, kw in zip(net.params, model.get_weights(), strict=True):
        np.testing.assert_array_equal(w, kw)


def test_forward_pass_of_a_trained_keras_model(trained_run, mnist):
    """A model trained by tinyflash train (Keras): its weights in tinyflash.learn give the same
    probabilities on 500 test images (tolerance: 2 layers, no steps) and the same digits
    wherever the top two probabilities are further apart than the tolerance."""
    import keras

    from tinyflash.train.model import preprocess

    model = keras.saving.load_model(trained_run(hidden=(32,), activation="relu") / "model.keras")
    x = preprocess(mnist.x_test[:500])
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    net = MLP(
        [
            Dense(*(w.copy() for w in layer.get_weights()), layer.activation.__name__)
            for layer in dense
        ]
    )
    expected = model.predict(x, verbose=0)
    ours = net.predict(x)
    tol = tolerance(2, 0)
    assert_close(ours, expected, tol, "trained model probabilities")
    top_two = np.sort(expected, axis=1)[:, -2:]
    clear = top_two[:, 1] - top_two[:, 0] > 2 * tol  # a near-tie may go either way
    assert clear.mean() > 0.99
    np.testing.assert_array_equal(ours.argmax(1)[clear], expected.argmax(1)[clear])
