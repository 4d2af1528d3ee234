"""`tinyflash predict`: test:K, PNG and .npy inputs on every backend, what it says it did to
the input, the pictures it refuses without --resize, any model with a .npy, and its errors."""

import io
import re

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from PIL import Image
from runtime_testkit import Op, T, build_model

from tinyflash.cli import main
from tinyflash.errors import UserError
from tinyflash.runtime.cli import load_input, predict, read_png


def _png(path, gray: np.ndarray, mode="L", invert=False, scale=1):
    img = Image.fromarray(255 - gray if invert else gray, "L").convert(mode)
    if scale != 1:
        img = img.resize((28 * scale, 28 * scale), Image.NEAREST)
    img.save(path, optimize=True)  # PIL picks PNG filters per row: exercises all five
    return path


def test_predict_test_image_every_backend(tflite_models, onnx_models, mnist, capsys):
    paths = tflite_models((32,), "relu")
    onnx_paths = onnx_models((32,), "relu")
    runs = [
        (paths["int8"], "python"),
        (paths["int8"], "tflite"),
        (paths["float32"], "python"),
        (onnx_paths["int8"], "onnxruntime"),
        (onnx_paths["int8"], "python"),
    ]
    for model, backend in runs:
        assert main(["predict", str(model), "test:3", "--backend", backend]) == 0
        out = capsys.readouterr().out
        assert f"(label {mnist.y_test[3]})" in out and "9:" in out
    x = load_input("test:0").x
    python = predict(str(paths["int8"]), x, "python", "tflm")
    tflite = predict(str(paths["int8"]), x, "tflite", "litert")
    np.testing.assert_allclose(python.sum(), 1.0, atol=0.05)
    assert np.argmax(python) == np.argmax(tflite)


def test_png_and_npy_inputs_match_test_image(tmp_path, mnist):
    digit = mnist.x_test[5]
    want = digit.reshape(1, 784).astype(np.float32) / 255
    for name, kwargs, said in [
        ("a.png", {}, "28x28 grey PNG"),
        ("rgb.png", {"mode": "RGB"}, "equal R, G and B read as grey"),
        ("rgba.png", {"mode": "RGBA"}, "opaque alpha channel dropped"),
        ("inv.png", {"invert": True}, "inverted"),
    ]:
        loaded = load_input(str(_png(tmp_path / name, digit, **kwargs)))
        assert loaded.labels is None and said in loaded.notes[0] + ", ".join(loaded.notes)
        assert "pixels p -> p / 255" in loaded.notes
        np.testing.assert_array_equal(loaded.x, want, err_msg=name)
    big = str(_png(tmp_path / "big.png", digit, scale=3))
    with pytest.raises(UserError, match="resized from 84x84 to 28x28 by area averaging"):
        load_input(big)
    loaded = load_input(big, resize=True)  # 3x3 blocks of one value average back exactly
    np.testing.assert_array_equal(loaded.x, want)
    assert "resized from 84x84 to 28x28 by area averaging" in loaded.notes
    np.save(tmp_path / "u8.npy", mnist.x_test[:4])
    loaded = load_input(str(tmp_path / "u8.npy"))
    np.testing.assert_array_equal(
        loaded.x, mnist.x_test[:4].reshape(4, 784).astype(np.float32) / 255
    )
    assert "rows reshaped from (28, 28) to (784,)" in loaded.notes


def test_resize_is_area_averaging(tmp_path):
    """Shrinking and enlarging by non-integer factors, against the definition computed another
    way: every source pixel cut into 28 x 28 equal parts, each output pixel the mean of the
    parts in its block (Pillow's BOX filter weighs by pixel centres, not by area)."""
    rng = np.random.default_rng(3)
    for h, w in [(32, 32), (45, 61), (20, 17)]:
        gray = rng.integers(0, 128, (h, w)).astype(np.uint8)  # dark: no inversion
        Image.fromarray(gray, "L").save(tmp_path / "r.png")
        x = load_input(str(tmp_path / "r.png"), resize=True).x.reshape(28, 28)
        parts = np.repeat(np.repeat(gray.astype(np.float64), 28, 0), 28, 1)
        want = parts.reshape(28, h, 28, w).mean(axis=(1, 3))
        assert np.abs(x * 255 - want).max() <= 0.5 + 1e-3, (h, w)


def _cli(capsys, *argv) -> tuple[int, str, str]:
    status = main(["predict", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_pictures_that_do_not_fit_are_refused_unless_resize(tflite_models, tmp_path, capsys):
    """A solid red 28x28 PNG and a black 32x32 PNG used to become classes silently."""
    model = tflite_models((32,), "relu")["int8"]
    red = np.zeros((28, 28, 3), np.uint8)
    red[..., 0] = 255
    Image.fromarray(red, "RGB").save(tmp_path / "red.png")
    Image.fromarray(np.zeros((32, 32), np.uint8), "L").save(tmp_path / "black32.png")
    cases = [
        ("red.png", "converted RGB to grey (0.299 R + 0.587 G + 0.114 B)"),
        ("black32.png", "resized from 32x32 to 28x28 by area averaging"),
    ]
    for name, change in cases:
        status, out, err = _cli(capsys, model, tmp_path / name)
        assert status == 2 and out == "" and err.count("\n") == 1, err
        assert change in err and "--resize" in err and "(784,)" in err
        status, out, err = _cli(capsys, model, tmp_path / name, "--resize")
        assert status == 0, err
        assert (
            out.startswith(f"input {tmp_path / name} -> (N, 784) int8: ")
            and change in out.splitlines()[0]
        )
        assert re.search(r"^input 0: class \d$", out, re.M)
    status, out, _ = _cli(capsys, model, tmp_path / "red.png", "--resize")
    luminance = np.float32(round(0.299 * 255)) / np.float32(255)  # 76 / 255 everywhere
    want = predict(str(model), np.full((1, 784), luminance, np.float32), "python", "tflm")
    assert f"input 0: class {int(np.argmax(want))}" in out


def _regression_int8(n_in=12, n_out=2, seed=4) -> bytes:
    """An int8 FULLY_CONNECTED 12 -> 2 regression model nobody trained (no softmax)."""
    rng = np.random.default_rng(seed)
    opts = schema.FullyConnectedOptionsT()
    in_s, w_s = 0.05, rng.uniform(0.004, 0.02, n_out)
    tensors = [
        T("x", (1, n_in), "int8", scale=[in_s], zero_point=[3]),
        T("w", (n_out, n_in), "int8", rng.integers(-127, 128, (n_out, n_in)),
          scale=list(w_s), zero_point=[0] * n_out),
        T("b", (n_out,), "int32", rng.integers(-3000, 3000, n_out),
          scale=list(np.float32(in_s) * w_s.astype(np.float32)), zero_point=[0] * n_out),
        T("y", (1, n_out), "int8", scale=[0.3], zero_point=[-2]),
    ]  # fmt: skip
    op = Op("FULLY_CONNECTED", [0, 1, 2], [3], opts, schema.BuiltinOptions.FullyConnectedOptions)
    return build_model(tensors, [op], [0], [3])


def test_npy_on_any_model_matches_tflm(tmp_path, capsys):
    """A 12-feature .npy, one row (12,) or a batch (N, 12), float values or int8 codes: the
    printed outputs are TFLM's, dequantized; a picture or test:K does not fit such a model."""
    from tinyflash.export.reference import run_tflm
    from tinyflash.runtime.quantize import dequantize, quantize

    path = tmp_path / "reg.tflite"
    path.write_bytes(_regression_int8())
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, (5, 12)).astype(np.float32)
    codes = quantize(x, 0.05, 3, "int8")
    y = run_tflm(path.read_bytes(), codes)
    assert len(np.unique(y)) > 5  # not saturated
    want = dequantize(y, 0.3, -2)
    for name, array, rows in [("one.npy", x[0], 1), ("batch.npy", x, 5), ("q.npy", codes, 5)]:
        np.save(tmp_path / name, array)
        status, out, err = _cli(capsys, path, tmp_path / name)
        assert status == 0, err
        assert not re.search(r"^input \d+: class", out, re.M) and "-> (N, 12) int8" in out
        found = [[float(v) for v in line.split(": output ")[1].split()]
                 for line in out.splitlines()[1:]]  # fmt: skip
        np.testing.assert_allclose(found, want[:rows], rtol=1e-5, atol=1e-6, err_msg=name)
    assert "int8 codes fed to the int8 model as they are" in out
    np.save(tmp_path / "wrong.npy", x[:, :11])
    Image.fromarray(np.zeros((28, 28), np.uint8), "L").save(tmp_path / "p.png")
    for arg, message in [
        (tmp_path / "wrong.npy", "expected an array of the model's input shape, one row (12,)"),
        (tmp_path / "p.png", "the model's input (12,) is not a picture"),
        ("test:0", "the model's input (12,) is not a picture"),
    ]:
        status, out, err = _cli(capsys, path, arg)
        assert status == 2 and message in err and err.count("\n") == 1, err


def test_read_png_rejects_garbage(tmp_path):
    (tmp_path / "x.png").write_bytes(b"not a png")
    with pytest.raises(Exception, match="not a PNG"):
        read_png(tmp_path / "x.png")
    buf = io.BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint16)).save(buf, "PNG")
    (tmp_path / "y.png").write_bytes(buf.getvalue())
    with pytest.raises(Exception, match="8-bit"):
        read_png(tmp_path / "y.png")


@pytest.mark.parametrize(
    "argv,message",
    [
        (["test:x"], "integer"),
        (["test:99999"], "K must be"),
        (["nothing.npy"], "no such file"),
    ],
)
def test_predict_errors_are_one_line(tflite_models, capsys, argv, message):
    model = str(tflite_models((32,), "relu")["int8"])
    assert main(["predict", model, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert main(["predict", model, "test:1", "--backend", "onnxruntime"]) == 2
    assert ".onnx" in capsys.readouterr().err
