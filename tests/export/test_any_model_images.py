"""`export MODEL.keras --calibration-data DIR`: a folder of pictures as calibration inputs, and
a keras.applications.MobileNet (its classifier a 1x1 Conv2D + Reshape + softmax, no Dense)
exported end to end, its int8 .tflite run by tinyflash's interpreter and by TFLM bit for bit.

The pictures are written by the tests with pillow; the values they must load as are computed
here from the written pixels (PNG is lossless; a JPEG is compared with pillow's own decode).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tinyflash.errors import UserError
from tinyflash.export.any_model import load_calibration

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def _save(path: Path, pixels: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).save(path)
    return path


def test_a_folder_of_pngs_loads_as_pixels_over_255(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(3, 8, 8, 3), dtype=np.uint8)
    for i, p in enumerate(pixels):
        _save(tmp_path / f"{i}.png", p)
    (tmp_path / "notes.txt").write_text("not a picture")
    x, notes = load_calibration(tmp_path, (8, 8, 3))
    np.testing.assert_array_equal(x, pixels.astype(np.float32) / np.float32(255))
    assert x.dtype == np.float32 and x.shape == (3, 8, 8, 3)
    assert notes == (f"3 pictures from {tmp_path.name}/", "8x8 RGB PNG (3)",
                     "pixels p -> p / 255 (3)", "1 other files ignored")  # fmt: skip


def test_a_jpeg_loads_as_pillow_decodes_it(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    _save(tmp_path / "a.jpg", rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8))
    x, notes = load_calibration(tmp_path, (8, 8, 3))
    with Image.open(tmp_path / "a.jpg") as im:
        want = np.asarray(im, dtype=np.uint8)
    np.testing.assert_array_equal(x[0], want.astype(np.float32) / np.float32(255))
    assert "8x8 RGB JPEG (1)" in notes


def test_pictures_that_do_not_fit_are_refused_unless_resize(tmp_path):
    rng = np.random.default_rng(2)
    big = rng.integers(0, 256, size=(16, 16, 1), dtype=np.uint8)
    _save(tmp_path / "big.png", big)
    with pytest.raises(UserError, match=r"big.png: a 16x16 grey picture does not fit the "
                       r"model's input \(8, 8, 3\).*copied grey to R, G and B; resized from "
                       r"16x16 to 8x8 by area averaging. Pass --resize"):  # fmt: skip
        load_calibration(tmp_path, (8, 8, 3))
    x, notes = load_calibration(tmp_path, (8, 8, 3), resize=True)
    # area averaging by 2 in each direction = the mean of each 2x2 block, then rounded
    blocks = big[..., 0].reshape(8, 2, 8, 2).astype(np.float64).mean(axis=(1, 3))
    want = np.repeat(np.clip(np.rint(blocks), 0, 255)[..., None], 3, axis=2)
    np.testing.assert_array_equal(x[0], want.astype(np.float32) / np.float32(255))
    assert "resized from 16x16 to 8x8 by area averaging (1)" in notes
    assert "copied grey to R, G and B (1)" in notes


def test_an_empty_folder_and_a_flat_input_are_refused(tmp_path):
    (tmp_path / "readme.md").write_text("x")
    with pytest.raises(UserError, match=r"no pictures \(.png, .jpg, .jpeg\) in this folder, "
                       r"found 1 other files; expected at least 1"):  # fmt: skip
        load_calibration(tmp_path, (8, 8, 3))
    _save(tmp_path / "a.png", np.zeros((4, 3, 3), np.uint8))
    with pytest.raises(UserError, match=r"the model's input \(12,\) is not a picture"):
        load_calibration(tmp_path, (12,))


def test_mobilenet_exports_from_pictures_and_runs_bit_exact_with_tflm(tmp_path):
    """keras.applications.MobileNet(alpha 0.25, 64x64, weights=None: nothing downloads), its
    batch norms set from the pictures, calibrated on 8 random PNGs, exported; every tensor of
    the int8 .tflite equal in tinyflash's interpreter (tflm rounding) and in TFLM on random
    int8 inputs."""
    import keras

    from tinyflash.export.any_model import export_model
    from tinyflash.export.tflite import tflite_ops
    from tinyflash.report_executors import EXECUTORS
    from tinyflash.train.architectures import batch_norm_from_data

    rng = np.random.default_rng(6)
    pixels = rng.integers(0, 256, (8, 64, 64, 3), np.uint8)
    (tmp_path / "pictures").mkdir()
    for i, p in enumerate(pixels):
        _save(tmp_path / "pictures" / f"{i}.png", p)
    keras.utils.set_random_seed(4)
    model = keras.applications.MobileNet(alpha=0.25, weights=None, input_shape=(64, 64, 3),
                                         classes=2)  # fmt: skip
    batch_norm_from_data(model, pixels.astype(np.float32) / 255, np.random.default_rng(5))
    model.save(tmp_path / "mobilenet.keras")
    manifest = export_model(tmp_path / "mobilenet.keras", tmp_path / "pictures",
                            tmp_path / "run", log=lambda line: None)  # fmt: skip
    assert manifest["task"] == "classifier" and manifest["export"]["input_shape"] == [64, 64, 3]
    assert "8 pictures from pictures/" in manifest["export"]["input_preprocessing"]
    assert json.loads((tmp_path / "run" / "manifest.json").read_text()) == manifest
    int8 = tmp_path / "run" / "model_int8.tflite"
    assert tflite_ops(int8.read_bytes())[-4:] == ["MEAN", "CONV_2D", "RESHAPE", "SOFTMAX"]

    trace = {e.name: e.trace for e in EXECUTORS if e.name in ("tflm", "py-int8-tflm")}
    codes = np.random.default_rng(7).integers(-128, 128, size=(3, 1, 64, 64, 3), dtype=np.int8)
    traces = []
    for x1 in codes:
        ours, tflm = trace["py-int8-tflm"](int8, x1), trace["tflm"](int8, x1)  # type: ignore
        assert set(tflm) <= set(ours) and len(tflm) >= 28  # ours also holds the input
        for name in tflm:
            np.testing.assert_array_equal(ours[name].reshape(tflm[name].shape), tflm[name],
                                          err_msg=name)  # fmt: skip
        traces.append(tflm)
    # the inputs reach the classifier (a comparison that could fail): the pooled features and
    # the class scores differ from row to row
    for name in (list(traces[0])[-4], list(traces[0])[-1]):
        assert len({t[name].tobytes() for t in traces}) == len(traces), name


def test_export_cli_refuses_pictures_that_need_resizing_unless_resize(tmp_path, capsys):
    import keras

    from tinyflash.cli import main

    keras.utils.set_random_seed(8)
    L = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 3)), L.Conv2D(4, 3, activation="relu"),
                              L.GlobalAveragePooling2D(), L.Dense(2)])  # fmt: skip
    model.save(tmp_path / "m.keras")
    (tmp_path / "pictures").mkdir()
    rng = np.random.default_rng(9)
    for i in range(3):
        _save(tmp_path / "pictures" / f"{i}.png", rng.integers(0, 256, (10, 10, 1), np.uint8))
    args = ["export", str(tmp_path / "m.keras"), "--calibration-data", str(tmp_path / "pictures"),
            "--out", str(tmp_path / "run")]  # fmt: skip
    assert main(args) == 2
    assert "0.png: a 10x10 grey picture does not fit" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    assert main([*args, "--resize"]) == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["export"]["input_preprocessing"] == (
        "3 pictures from pictures/; 10x10 grey PNG (3); copied grey to R, G and B (3); resized "
        "from 10x10 to 8x8 by area averaging (3); pixels p -> p / 255 (3)"
    )
    assert main(["export", str(tmp_path / "run"), "--resize"]) == 2  # a run folder: no pictures
    assert "--resize and --out are for a MODEL.keras file" in capsys.readouterr().err


def test_a_softmax_on_near_constant_logits_is_refused_before_tflm_aborts(tmp_path):
    """Zero weights: the logits calibrate to a scale of ~8e-9, below what TFLite's SOFTMAX
    takes; TFLM (checked here in a child process) aborts the whole process on it, so the
    exporter refuses it first, with the reason."""
    import subprocess
    import sys

    import keras

    from tinyflash.export.any_model import check_softmax_scales, export_model
    from tinyflash.export.tflite import convert_int8

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax",
                              kernel_initializer="zeros")])  # fmt: skip
    x = np.random.default_rng(10).random((8, 4), dtype=np.float32)
    blob = convert_int8(model, x)
    (tmp_path / "m.tflite").write_bytes(blob)
    child = ("import numpy as np, sys; from tinyflash.export.reference import run_tflm; "
             "run_tflm(open(sys.argv[1], 'rb').read(), np.zeros((1, 4), np.int8))")  # fmt: skip
    done = subprocess.run([sys.executable, "-P", "-c", child, str(tmp_path / "m.tflite")],
                          capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == -6  # SIGABRT: TFLM's check failed, no Python exception
    with pytest.raises(UserError, match=r"SOFTMAX \(operator 1\) input scale 7.84e-09: expected "
                       r"beta \* scale \* 2\^26 > 1"):  # fmt: skip
        check_softmax_scales(blob)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(UserError, match="near-constant logits"):
        export_model(tmp_path / "m.keras", tmp_path / "x.npy", tmp_path / "run", log=print)
    assert not (tmp_path / "run" / "manifest.json").exists()


def test_a_concatenate_exports_to_tflite_and_onnx_and_runs_as_in_tflm():
    """CONCATENATION (TFLite) and Concat (ONNX) are in the exporter's operator sets, which are
    the runtime's kernel registries; the int8 model equals TFLM bit for bit."""
    import keras
    import onnx

    import tinyflash.runtime as rt
    from tinyflash.export import onnx as onnx_export
    from tinyflash.export import reference
    from tinyflash.export.tflite import convert_int8, tflite_ops

    L = keras.layers
    keras.utils.set_random_seed(11)
    x = inputs = keras.Input((8, 8, 3))
    x = L.Concatenate()([L.Conv2D(4, 3, padding="same", activation="relu")(x),
                         L.Conv2D(3, 1, activation="relu")(x)])  # fmt: skip
    model = keras.Model(inputs, L.Dense(2)(L.GlobalAveragePooling2D()(x)))
    calibration = np.random.default_rng(12).random((16, 8, 8, 3), dtype=np.float32)
    blob = convert_int8(model, calibration)
    assert "CONCATENATION" in tflite_ops(blob)
    float_onnx = onnx.load_from_string(onnx_export.convert_float32(model))
    assert "Concat" in onnx_export.onnx_ops(float_onnx)
    codes = np.random.default_rng(13).integers(-128, 128, (20, 8, 8, 3), dtype=np.int8)
    ours = np.asarray(rt.load(blob)(codes))
    np.testing.assert_array_equal(ours, reference.run_tflm(blob, codes))
    assert len({row.tobytes() for row in ours}) > 1  # the outputs depend on the inputs
