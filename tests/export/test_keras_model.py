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
        "layer_norm": ([L.LayerNormalization(name="ln"), softmax],
                       r"'ln' is a LayerNormalization; not supported \(supported: one input"),
        "hidden_elu": ([L.Dense(8, activation="elu", name="h"), softmax],
                       r"'h' is a hidden layer with activation 'elu'; "
                       r"supported there: relu, sigmoid, tanh, linear"),
        "output_relu": ([L.Dense(10, activation="relu", name="out")],
                        r"'out' is the output layer with activation 'relu'; "
                        r"supported there: softmax"),
        "no_bias": ([L.Dense(8, use_bias=False, name="nb"), L.Dense(10, activation="softmax")],
                    r"'nb' has no bias"),
        "activation_layer": ([L.Dense(8), L.Activation("elu", name="act"),
                              L.Dense(10, activation="softmax")],
                             r"'act' \(Activation\): activation 'elu'; supported: relu, relu6"),
        "output_activation": ([L.Dense(10), L.Activation("relu", name="a")],
                              r"'a' is the output layer with activation 'relu'; supported "
                              r"there: softmax, linear"),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(_layers()))
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
    with pytest.raises(UserError, match=r"expected an input of shape \(batch, features\) or"):
        check_supported(model)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(UserError, match="no such model file"):
        load(tmp_path / "model.keras")
    (tmp_path / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable Keras model"):
        load(tmp_path / "model.keras")


def _cnn(*layers):
    import keras

    x = inputs = keras.Input((12, 12, 1))
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def _cnn_layers():
    import keras

    L = keras.layers
    out = L.Dense(10, activation="softmax", name="out")
    return {
        "conv_tanh": ([L.Conv2D(4, 3, activation="tanh", name="c"), L.Flatten(), out],
                      r"layer 'c' \(Conv2D\): activation 'tanh'; supported: linear, relu, relu6"),
        "leaky": ([L.Conv2D(4, 3), L.ReLU(negative_slope=0.1, name="r"), L.Flatten(), out],
                  r"'r' \(ReLU\): max_value None, negative_slope 0.1.*supported: ReLU\(\) and"),
        "relu_max_3": ([L.Conv2D(4, 3), L.ReLU(max_value=3, name="r"), L.Flatten(), out],
                       r"'r' \(ReLU\): max_value 3, "),
        "groups": ([L.Conv2D(4, 3, groups=1), L.Conv2D(4, 3, groups=2, name="g"), L.Flatten(),
                    out], r"'g' \(Conv2D\): groups 2; supported: groups 1"),
        "dense_on_image": ([L.Conv2D(4, 3), L.Dense(10, activation="softmax", name="d")],
                           r"'d' \(Dense\) reads a tensor of shape \(None, 10, 10, 4\)"),
        "output_4d": ([L.Conv2D(4, 3, name="c")],
                      r"the model output \(None, 10, 10, 4\) comes from layer 'c' \(Conv2D\); "
                      r"supported: an output of shape \(batch, outputs\)"),
        "upsample": ([L.UpSampling2D(name="u"), L.Flatten(), out],
                     r"'u' is a UpSampling2D; not supported"),
        "output_not_dense": ([L.Conv2D(4, 3), L.Flatten(), out, L.Dropout(0.1, name="last")],
                             r"comes from layer 'last' \(Dropout\); supported: an output"),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(_cnn_layers()))
def test_unsupported_cnn_layers_are_named(name):
    layers, message = _cnn_layers()[name]
    with pytest.raises(UserError, match=message):
        check_supported(_cnn(*layers))


def test_supported_cnn_with_every_layer_type():
    import keras

    L = keras.layers
    x = inputs = keras.Input((12, 12, 3))
    x = L.ReLU(max_value=6.0)(L.BatchNormalization()(L.Conv2D(8, 3, use_bias=False)(x)))
    skip = x
    x = L.DepthwiseConv2D(3, padding="same", activation="relu6", depth_multiplier=1)(x)
    x = L.Add()([x, skip])
    x = L.SeparableConv2D(8, 3, activation="relu")(x)
    x = L.AveragePooling2D(2)(L.MaxPooling2D(1)(x))
    x = L.Dropout(0.1)(L.Flatten()(x))
    dense = check_supported(keras.Model(inputs, L.Dense(10, activation="softmax")(x)))
    assert [(d.in_features, d.units) for d in dense] == [(4 * 4 * 8, 10)]


def test_supported_mobilenet_head_without_dense():
    """keras.applications.MobileNet's classifier: global pooling (keepdims), a 1x1 Conv2D,
    Reshape to (classes,), Activation softmax; with ZeroPadding2D and Concatenate before."""
    import keras

    from tinyflash.export.keras_model import is_classifier

    L = keras.layers
    x = inputs = keras.Input((12, 12, 3))
    x = L.ZeroPadding2D(((0, 1), (0, 1)))(L.Conv2D(4, 3, activation="relu6")(x))
    x = L.Concatenate()([x, L.DepthwiseConv2D(1)(x)])
    x = L.Dropout(0.1)(L.GlobalAveragePooling2D(keepdims=True)(x))
    x = L.Reshape((3,))(L.Conv2D(3, 1)(x))
    model = keras.Model(inputs, L.Activation("softmax")(x))
    assert check_supported(model) == [] and is_classifier(model)
    regression = keras.Model(inputs, L.Flatten()(L.Conv2D(2, 12)(inputs)))
    assert check_supported(regression) == [] and not is_classifier(regression)
