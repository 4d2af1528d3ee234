"""Models the exporter cannot represent are refused up front, naming the layer."""

from __future__ import annotations

import pytest

from tinyflash.errors import UserError
from tinyflash.export.keras_model import check_supported, load


def _model(*layers):
    import keras

    return keras.Sequential([keras.Input((784,)), *layers])


def _layers():
    import keras

    L = keras.layers
    softmax = L.Dense(10, activation="softmax")
    return {
        "conv": ([L.Reshape((28, 28, 1), name="image"), L.Conv2D(4, 3), L.Flatten(), softmax],
                 r"'image' is a Reshape; only Dense and Dropout"),
        "hidden_elu": ([L.Dense(8, activation="elu", name="h"), softmax],
                       r"'h' is a hidden layer with activation 'elu'; "
                       r"supported there: relu, sigmoid, tanh, linear"),
        "output_relu": ([L.Dense(10, activation="relu", name="out")],
                        r"'out' is the output layer with activation 'relu'; "
                        r"supported there: softmax"),
        "no_bias": ([L.Dense(8, use_bias=False, name="nb"), L.Dense(10, activation="softmax")],
                    r"'nb' has no bias"),
        "activation_layer": ([L.Dense(8), L.Activation("relu", name="act"),
                              L.Dense(10, activation="softmax")], r"'act' is a Activation"),
    }  # fmt: skip


@pytest.mark.parametrize(
    "name", ["conv", "hidden_elu", "output_relu", "no_bias", "activation_layer"]
)
def test_unsupported_models_are_named(name):
    layers, message = _layers()[name]
    with pytest.raises(UserError, match=message):
        check_supported(_model(*layers))


def test_supported_chain_with_dropout():
    import keras

    L = keras.layers
    dense = check_supported(
        _model(L.Dense(16, activation="tanh"), L.Dropout(0.2), L.Dense(10, activation="softmax"))
    )
    assert [(d.in_features, d.units, d.activation) for d in dense] == [
        (784, 16, "tanh"),
        (16, 10, "softmax"),
    ]


def test_image_shaped_input_is_refused():
    import keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(UserError, match=r"expected a flat input of shape \(batch, features\)"):
        check_supported(model)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(UserError, match="no such model file"):
        load(tmp_path / "model.keras")
    (tmp_path / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable Keras model"):
        load(tmp_path / "model.keras")
