"""tinyflash.learn.plots: the numbers drawn are tinyflash.learn's and the int8 export's."""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from learn_support import keras_twin

from tinyflash.learn import MLP, OPTIMIZERS, activations, minibatches, plots
from tinyflash.learn.cli import build_parser, run

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
# The command the tutorials state for docs/img (tinyflash learn ... --plots docs/img).
DOCS_ARGS = ["--images", "6400", "--batch-size", "32"]


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails on anything that is not a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    assert data.rstrip(b"\x00")[-8:-4] == b"IEND", "PNG without its IEND chunk"
    return struct.unpack(">II", data[16:24])


def tiny_data(mnist, n: int):
    x = mnist.x_train[:n].reshape(n, 784).astype(np.float32) / np.float32(255)
    return x, np.eye(10, dtype=np.float32)[mnist.y_train[:n]]


def test_activation_data_is_learns_and_its_slope_is_the_derivative():
    data = plots.activation_data()
    z = data["z"]
    for name in ("sigmoid", "tanh", "relu", "linear"):
        np.testing.assert_array_equal(data[name]["a"], activations.forward(name, z[None])[0])
        # f'(z) from a, against a central difference of f itself (away from relu's kink)
        h = 1e-5
        numeric = (activations.forward(name, z + h) - activations.forward(name, z - h)) / (2 * h)
        away = np.abs(z) > 1e-3
        np.testing.assert_allclose(data[name]["slope"][away], numeric[away], atol=1e-8)


def test_optimizer_losses_start_alike_and_are_learns(mnist):
    x, y = tiny_data(mnist, 640)
    losses = plots.optimizer_losses(x, y, [784, 8, 10], "sigmoid", 64, seed=4)
    assert len(losses) == len(plots.OPTIMIZER_CHOICES) and all(
        len(v) == 10 for v in losses.values()
    )
    first = {v[0] for v in losses.values()}  # same weights, same first minibatch: one loss
    assert len(first) == 1
    assert len({v[-1] for v in losses.values()}) == len(losses)  # then the rules differ
    # Adam's curve, recomputed step by step with tinyflash.learn
    rng = np.random.default_rng(4)
    net, adam = MLP.build([784, 8, 10], "sigmoid", rng), OPTIMIZERS["adam"](learning_rate=0.01)
    expected = []
    for idx in minibatches(640, 64, rng):
        expected.append(net.train_step_gradients(x[idx], y[idx]))
        adam.step(net.params, net.grads)
    assert losses["adam (lr 0.01)"] == expected


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_layer_int8_is_the_int8_tflite_export(mnist, activation):
    """The layer as layer_int8 quantizes it, against the first FULLY_CONNECTED of the model the
    export's converter writes (tinyflash.export.tflite.convert_int8), run by tinyflash.runtime.
    Weight scales, int8 weights and int32 biases are the file's; the output scale comes from
    the converter's float32 calibration sums, ours from float64 ones, so it agrees to a few
    float32 ulps, and an output lying on a rounding boundary may differ by 1 LSB."""
    import tinyflash.runtime as rt
    from tinyflash.export.tflite import convert_int8

    x, y = tiny_data(mnist, 2000)
    rng = np.random.default_rng(0)
    net = MLP.build([784, 16, 10], activation, rng)
    optimizer = OPTIMIZERS["adam"](learning_rate=0.01)
    for idx in minibatches(len(x), 64, rng):
        net.train_step_gradients(x[idx], y[idx])
        optimizer.step(net.params, net.grads)
    x_cal, x_test = x[:300], mnist.x_test[:500].reshape(-1, 784).astype(np.float32) / 255
    ours = plots.layer_int8(net.dense[0], x_cal, x_test)

    model = rt.load(convert_int8(keras_twin(net, "categorical_crossentropy")[0], x_cal))
    g = model.graph
    fc = next(op for op in g.operators if op.op == "FULLY_CONNECTED")
    x_t, w_t, b_t = (g.tensors[i] for i in fc.inputs[:3])
    out_t = g.tensors[fc.outputs[0]]
    assert (x_t.quant.scale[0], x_t.quant.zero_point[0]) == (
        np.float32(ours["input_scale"]),
        ours["input_zero_point"],
    )
    np.testing.assert_allclose(w_t.quant.scale, ours["weight_scales"], rtol=2e-7)
    np.testing.assert_array_equal(w_t.data.T, ours["q_weights"])  # the file: (units, in)
    np.testing.assert_array_equal(b_t.data, ours["q_bias"])
    np.testing.assert_allclose(out_t.quant.scale[0], ours["output_scale"], rtol=1e-5)
    assert out_t.quant.zero_point[0] == ours["output_zero_point"]
    q_x = model.trace(x_test)  # the model's QUANTIZE makes its int8 input from floats
    q_file = q_x[out_t.name].astype(np.int32)
    diff = np.abs(q_file - ours["q"].astype(np.int32))
    assert diff.max() <= 1 and np.mean(diff == 0) >= 0.99, (diff.max(), np.mean(diff == 0))
    # Inside the calibrated range the int8 layer is float's within a step (the rounding of
    # weights, input and output); beyond it int8 saturates at -128 or 127.
    s, zp = ours["output_scale"], ours["output_zero_point"]
    inside = (ours["z"] >= s * (-128 - zp)) & (ours["z"] <= s * (127 - zp))
    assert np.abs(ours["error_steps"][inside]).max() < 1.0
    assert np.all(np.isin(ours["q"][~inside], (-128, 127)))


def test_cli_writes_pngs_and_the_data_drawn(mnist, tmp_path):
    args = build_parser().parse_args(
        ["--images", "300", "--batch-size", "50", "--hidden", "6", "--plots", str(tmp_path)]
    )
    shown: list[str] = []
    assert run(args, show=shown.append) == 0
    for name in plots.FILES:
        width, height = png_size((tmp_path / name).read_bytes())
        assert 400 <= width <= 1200 and 250 <= height <= 800, (name, width, height)
        assert f"wrote {tmp_path / name}" in shown
    data = json.loads((tmp_path / "plots.json").read_text())
    x, y = tiny_data(mnist, 300)
    losses = plots.optimizer_losses(x, y, [784, 6, 10], "sigmoid", 50, seed=0)
    assert data["optimizers"].keys() == losses.keys()
    for label, values in losses.items():
        np.testing.assert_allclose(data["optimizers"][label], values, rtol=1e-5)
    np.testing.assert_allclose(data["activations"]["tanh"]["slope"],
                               plots.activation_data()["tanh"]["slope"], rtol=1e-5)  # fmt: skip
    # the same command twice: the same bytes
    again = tmp_path / "again"
    run(argparse.Namespace(**{**vars(args), "plots": str(again)}), show=lambda s: None)
    for name in (*plots.FILES, "plots.json"):
        assert (again / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_docs_images_are_up_to_date(tmp_path):
    """docs/img holds what `tinyflash learn --images 6400 --batch-size 32 --plots docs/img`
    draws today: its plots.json equals a fresh run's (to 1e-3: float32 training differs in the
    last bits between CPUs and Python builds, hence the tolerance)."""
    command = " ".join(["tinyflash learn", *DOCS_ARGS, "--plots docs/img"])
    for tutorial in ("tutorial.md", "tutorial.es.md"):
        text = (DOCS_IMG.parent / tutorial).read_text(encoding="utf-8")
        assert command in text, f"{tutorial} does not state {command!r}"
        for name in plots.FILES:
            assert f"](img/{name})" in text, f"{tutorial} does not show img/{name}"
    for name in plots.FILES:
        width, height = png_size((DOCS_IMG / name).read_bytes())
        assert width >= 400 and height >= 250
    run(build_parser().parse_args([*DOCS_ARGS, "--plots", str(tmp_path)]), show=lambda s: None)
    fresh = json.loads((tmp_path / "plots.json").read_text())
    kept = json.loads((DOCS_IMG / "plots.json").read_text())
    assert fresh.keys() == kept.keys()

    def compare(a, b, where):
        if isinstance(a, dict):
            assert a.keys() == b.keys(), where
            for k in a:
                compare(a[k], b[k], f"{where}.{k}")
        else:
            # 1e-3: far below what a plot shows, above last-bit float32 differences between
            # CPUs and Python builds (measured in a Debian root: 1.3e-5 on one int8 error).
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3, err_msg=where)

    compare(fresh, kept, "plots.json")
