"""`tinyflash predict`: test:K, PNG and .npy inputs on every backend, and its errors."""

import io

import numpy as np
import pytest
from PIL import Image

from tinyflash.cli import main
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
    x, labels = load_input("test:0")
    python = predict(str(paths["int8"]), x, "python", "tflm")
    tflite = predict(str(paths["int8"]), x, "tflite", "litert")
    np.testing.assert_allclose(python.sum(), 1.0, atol=0.05)
    assert np.argmax(python) == np.argmax(tflite)


def test_png_and_npy_inputs_match_test_image(tmp_path, mnist):
    digit = mnist.x_test[5]
    want = digit.reshape(1, 784).astype(np.float32) / 255
    for name, kwargs in [
        ("a.png", {}),
        ("rgb.png", {"mode": "RGB"}),
        ("rgba.png", {"mode": "RGBA"}),
        ("inv.png", {"invert": True}),
        ("big.png", {"scale": 3}),
    ]:
        x, labels = load_input(str(_png(tmp_path / name, digit, **kwargs)))
        assert labels is None
        np.testing.assert_allclose(x, want, atol=1 / 255 + 1e-6, err_msg=name)
    np.save(tmp_path / "u8.npy", mnist.x_test[:4])
    np.testing.assert_array_equal(
        load_input(str(tmp_path / "u8.npy"))[0],
        mnist.x_test[:4].reshape(4, 784).astype(np.float32) / 255,
    )


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
