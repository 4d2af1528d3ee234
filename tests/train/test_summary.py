"""Model building of every layer type, and the summary: MACs, int8 bytes, arena estimate.

The MACs are checked two ways: against the textbook formulas on a model whose numbers can be
worked out by hand, and on a model with every layer type against a count derived differently,
from the sizes of the weights Keras actually created (each kernel element is used once per
output position) rather than from the layer's configuration.
"""

from __future__ import annotations

import math

import pytest

from tinyflash.train import config as cfg
from tinyflash.train.model import build_model
from tinyflash.train.summary import arena_bytes, format_summary, layer_costs, layer_macs


def _model(tables, hidden=(), shape=(28, 28, 1), classes=10):
    import keras

    keras.backend.clear_session()  # layer names from fresh counters: conv2d, conv2d_1, ...
    keras.utils.set_random_seed(0)
    config = cfg.resolve(cfg.TrainConfig(), {"layers": tables, "hidden": list(hidden)})
    return build_model(config, classes, shape)


EVERY_TYPE = [
    {"type": "conv2d", "filters": 8, "kernel": [3, 5], "use_bias": False, "name": "stem"},
    {"type": "batch_norm"},
    {"type": "relu"},
    {"type": "depthwise_conv2d", "depth_multiplier": 2, "dilation": 2, "activation": "relu6"},
    {"type": "conv2d", "filters": 8, "kernel": 1},
    {"type": "add", "from": "stem"},
    {"type": "relu6"},
    {"type": "separable_conv2d", "filters": 12, "strides": 2, "depth_multiplier": 2},
    {"type": "add", "from": "stem", "project": True},
    {"type": "max_pool2d", "pool": 2},
    {"type": "average_pool2d", "pool": 3, "strides": 1, "padding": "same"},
    {"type": "dropout", "rate": 0.25},
    {"type": "batch_norm"},
    {"type": "flatten"},
]


def test_every_layer_type_builds_the_keras_layer():
    model = _model(EVERY_TYPE, hidden=(16,))
    kinds = [type(layer).__name__ for layer in model.layers]
    for kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D",
                 "AveragePooling2D", "BatchNormalization", "ReLU", "Add", "Dropout", "Flatten",
                 "Dense"):  # fmt: skip
        assert kind in kinds
    assert tuple(model.inputs[0].shape) == (None, 28, 28, 1)
    assert tuple(model.outputs[0].shape) == (None, 10)
    relu6 = [layer for layer in model.layers if type(layer).__name__ == "ReLU"][1]
    assert float(relu6.max_value) == 6.0
    dw = model.get_layer("depthwise_conv2d")
    assert (dw.depth_multiplier, tuple(dw.dilation_rate), dw.activation.__name__) == (
        2,
        (2, 2),
        "relu6",
    )
    assert model.get_layer("stem").kernel_size == (3, 5)
    # the projection: a 1x1 convolution with stride 2 on the skip path, 8 -> 12 channels
    proj = model.get_layer("add_1").input[1]._keras_history[0]
    assert (proj.kernel_size, proj.strides, proj.filters) == ((1, 1), (2, 2), 12)
    gap = _model([{"type": "conv2d", "filters": 3}, {"type": "global_average_pool2d"}])
    assert "GlobalAveragePooling2D" in [type(layer).__name__ for layer in gap.layers]


def _independent_macs(layer) -> int:
    """Kernel elements times output positions, from the weights Keras created."""
    positions = math.prod(layer.output.shape[1:-1])  # H' * W' (Dense on (N, F): 1)
    kernels = [w for w in layer.weights if "kernel" in w.name]
    return positions * sum(math.prod(w.shape) for w in kernels)


def test_macs_match_a_count_from_the_weights_on_every_layer_type():
    model = _model(EVERY_TYPE, hidden=(16,))
    rows = {r.name: r for r in layer_costs(model)}
    checked = 0
    for layer in model.layers[1:]:
        kind = type(layer).__name__
        if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"):
            assert rows[layer.name].macs == _independent_macs(layer) > 0, layer.name
            checked += 1
        else:
            assert rows[layer.name].macs == 0, layer.name
        assert rows[layer.name].parameters == layer.count_params()
    assert checked == 7  # stem, depthwise, 1x1, separable, projection, 2 dense
    assert sum(r.macs for r in rows.values()) == sum(layer_macs(x) for x in model.layers[1:])


def test_macs_int8_bytes_and_arena_by_hand():
    model = _model(
        [
            {"type": "conv2d", "filters": 8, "use_bias": False},  # 28x28x1 -> 28x28x8
            {"type": "batch_norm"},  # folded into the conv
            {"type": "relu"},  # fused
            {"type": "max_pool2d"},  # -> 14x14x8
            {"type": "depthwise_conv2d", "strides": 2, "padding": "valid"},  # -> 6x6x8
            {"type": "conv2d", "filters": 16, "kernel": 1, "activation": "relu"},  # 6x6x16
            {"type": "flatten"},  # 576
        ]
    )
    rows = {r.name: r for r in layer_costs(model)}
    conv, dw, pw, dense = (rows[n] for n in ("conv2d", "depthwise_conv2d", "conv2d_1",
                                             "probabilities"))  # fmt: skip
    assert conv.macs == 28 * 28 * 8 * (3 * 3 * 1)
    assert dw.macs == 6 * 6 * 8 * (3 * 3)
    assert pw.macs == 6 * 6 * 16 * 8
    assert dense.macs == 576 * 10
    # int8 weights plus one int32 bias per output channel (the conv without bias gets one)
    assert conv.int8_bytes == 72 + 4 * 8
    assert dw.int8_bytes == 72 + 4 * 8
    assert pw.int8_bytes == 128 + 4 * 16
    assert dense.int8_bytes == 5760 + 4 * 10
    assert rows["batch_normalization"].int8_bytes == 0
    # the most bytes live: at the pool, its input 28x28x8 and its output 14x14x8 (at the conv
    # before it: 784 + 6,272, fewer)
    assert arena_bytes(model) == 28 * 28 * 8 + 14 * 14 * 8


def test_arena_keeps_a_skip_tensor_alive():
    model = _model(
        [
            {"type": "conv2d", "filters": 4, "name": "a", "activation": "relu"},  # 3,136
            {"type": "conv2d", "filters": 8, "activation": "relu"},  # 6,272
            {"type": "conv2d", "filters": 4},  # 3,136
            {"type": "add", "from": "a"},
            {"type": "global_average_pool2d"},
        ]
    )
    # at the second conv: a (kept for the add) + its output 6,272; at the third: a + 6,272 + 3,136
    assert arena_bytes(model) == 3136 + 6272 + 3136


def test_dense_model_summary_and_format():
    import keras

    keras.utils.set_random_seed(0)
    model = build_model(cfg.preset("default"))
    rows = layer_costs(model)
    assert [r.kind for r in rows] == ["Dense", "Dropout", "Dense"]
    assert rows[0].macs == 784 * 128 and rows[0].int8_bytes == 784 * 128 + 4 * 128
    assert arena_bytes(model) == 784 + 128
    text = format_summary(rows, arena_bytes(model))
    assert "dense_1" in text and "probabilities" in text
    assert f"{784 * 128 + 128 * 10:,}" in text.splitlines()[-2]  # the MACs total
    assert text.splitlines()[-1] == "int8 activation arena (estimate, batch 1): 912 bytes"


@pytest.mark.parametrize("name", ["cnn", "cnn-large"])
def test_presets_fit_their_budgets(name):
    import keras

    keras.utils.set_random_seed(0)
    model = build_model(cfg.preset(name), 10, (28, 28, 1))
    total = sum(r.int8_bytes for r in layer_costs(model))
    if name == "cnn":  # the goal: <= 20 KB of int8 weights, <= 12 KB of int8 activations
        assert total <= 20 * 1024
        assert arena_bytes(model) <= 12 * 1024
    else:
        assert total > 20 * 1024
