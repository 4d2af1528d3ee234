"""tinyflash.train.architectures: each builder gives the documented input, output and inner shapes,
and its parameter count equals two independent counts: a closed form from the architecture's
description (channels and kernel sizes as the docstrings state them), and the sum over layers of
the weights each layer's configuration implies for its input shape. No training, no conversion.
"""

from __future__ import annotations

import pytest

from tinyflash.train import architectures


def _implied(layer) -> int:
    """The weights a layer's config implies for its input shape (Keras not asked to count)."""
    c = layer.get_config()
    kind = type(layer).__name__
    if kind not in ("Conv2D", "DepthwiseConv2D", "Dense", "BatchNormalization"):
        assert not layer.weights, f"{layer.name}: {kind} has weights this test does not count"
        return 0
    cin = layer.input.shape[-1]
    if kind == "Conv2D":
        kh, kw = c["kernel_size"]
        return kh * kw * cin * c["filters"] // c["groups"] + c["filters"] * c["use_bias"]
    if kind == "DepthwiseConv2D":
        kh, kw = c["kernel_size"]
        out = cin * c["depth_multiplier"]
        return kh * kw * out + out * c["use_bias"]
    if kind == "Dense":
        return cin * c["units"] + c["units"] * c["use_bias"]
    # BatchNormalization: gamma, beta (trainable), moving mean and variance
    return cin * (2 + c["scale"] + c["center"])


def _shapes(model) -> dict[str, tuple]:
    return {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}


def _check(model, input_shape, output_shape, closed_form):
    assert tuple(model.inputs[0].shape) == (None, *input_shape)
    assert tuple(model.outputs[0].shape) == (None, *output_shape)
    assert model.layers[-1].get_config()["activation"] == "softmax"
    assert not model.compiled
    per_layer = [_implied(layer) for layer in model.layers]
    assert per_layer == [layer.count_params() for layer in model.layers]
    assert sum(per_layer) == closed_form == model.count_params()


def test_ds_cnn():
    model = architectures.ds_cnn()
    stem = 10 * 4 * 1 * 64 + 4 * 64  # conv (10, 4), no bias, + BN
    block = (3 * 3 * 64 + 4 * 64) + (64 * 64 + 4 * 64)  # depthwise + BN, pointwise + BN
    _check(model, (49, 10, 1), (12,), stem + 4 * block + 64 * 12 + 12)
    assert model.count_params() == 24_332  # the module docstring's figure
    shapes = list(_shapes(model).values())
    assert shapes[1] == (25, 5, 64)  # stride 2, SAME: ceil(49 / 2), ceil(10 / 2)
    assert (1, 1, 64) in shapes  # AveragePooling2D (25, 5)


@pytest.mark.parametrize("alpha", [0.25, 0.5])
def test_mobilenet_v1(alpha):
    model = architectures.mobilenet_v1(alpha)
    widths = [int(c * alpha) for c in (32, 64, 128, 128, 256, 256, *[512] * 6, 1024, 1024)]
    count = 3 * 3 * 3 * widths[0] + 4 * widths[0]  # conv 3x3 stride 2, no bias, + BN
    for cin, cout in zip(widths[:-1], widths[1:], strict=True):  # 13 separable blocks
        count += (3 * 3 * cin + 4 * cin) + (cin * cout + 4 * cout)
    count += widths[-1] * 2 + 2  # the 1x1 Conv2D classifier, with a bias
    _check(model, (96, 96, 3), (2,), count)
    shapes = _shapes(model)
    assert shapes["conv1"] == (48, 48, widths[0])
    depthwise = [layer for layer in model.layers if type(layer).__name__ == "DepthwiseConv2D"]
    assert len(depthwise) == 13
    assert [i + 1 for i, d in enumerate(depthwise) if d.strides == (2, 2)] == [2, 4, 6, 12]
    assert shapes["conv_pw_13"] == (3, 3, widths[-1])


def test_resnet8():
    model = architectures.resnet8()
    count = 3 * 3 * 3 * 16 + 16 + 4 * 16  # stem conv with bias + BN
    for cin, cout in ((16, 16), (16, 32), (32, 64)):
        count += 3 * 3 * cin * cout + cout + 4 * cout  # conv + BN
        count += 3 * 3 * cout * cout + cout + 4 * cout  # conv + BN
        count += (cin * cout + cout) if cin != cout else 0  # 1x1 projection on the skip path
    _check(model, (32, 32, 3), (10,), count + 64 * 10 + 10)
    assert model.count_params() == 78_666  # the module docstring's figure
    adds = [layer for layer in model.layers if type(layer).__name__ == "Add"]
    assert [tuple(a.output.shape[1:]) for a in adds] == [(32, 32, 16), (16, 16, 32), (8, 8, 64)]
    projections = [
        layer
        for layer in model.layers
        if type(layer).__name__ == "Conv2D" and layer.get_config()["kernel_size"] == (1, 1)
    ]
    assert [p.get_config()["strides"] for p in projections] == [(2, 2), (2, 2)]
