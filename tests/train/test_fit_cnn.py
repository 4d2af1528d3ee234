"""A short real fit of a tiny CNN on an MNIST subset: the run folder, the summary, the shapes."""

from __future__ import annotations

import json

import numpy as np

from tinyflash.train import config as cfg
from tinyflash.train.fit import train

TINY_CNN = [
    {"type": "conv2d", "filters": 8, "activation": "relu"},
    {"type": "max_pool2d"},
    {"type": "conv2d", "filters": 16, "activation": "relu"},
    {"type": "max_pool2d"},
    {"type": "flatten"},
]


def _config(**changes):
    settings = dict(layers=TINY_CNN, hidden=[], epochs=1, train_limit=600, batch_size=16,
                    learning_rate=3e-3, early_stopping=False, validation_split=0.0,
                    seed=3)  # fmt: skip
    settings.update(changes)
    return cfg.resolve(cfg.TrainConfig(preset="t"), settings)


def test_tiny_cnn_learns_from_600_images(tmp_path, mnist):
    tables: list[str] = []
    metrics = train(_config(), mnist, tmp_path, log=lambda s: None, verbose=0, plots=True,
                    summary=tables.append)  # fmt: skip
    assert metrics["test_accuracy"] > 0.6  # chance is 0.10; one epoch of 600 images
    assert metrics["train_images"] == 600 and metrics["input_shape"] == [28, 28, 1]
    # the summary printed before fitting, and recorded per layer in metrics.json
    (text,) = tables
    assert text.splitlines()[0].split() == ["layer", "type", "output", "params", "int8", "B",
                                            "MACs"]  # fmt: skip
    assert "int8 activation arena (estimate, batch 1)" in text
    saved = json.loads((tmp_path / "metrics.json").read_text())
    kinds = [row["kind"] for row in saved["layers"]]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert saved["macs"] == 28 * 28 * 8 * 9 + 14 * 14 * 16 * 8 * 9 + 7 * 7 * 16 * 10
    assert saved["int8_weight_bytes"] == sum(row["int8_bytes"] for row in saved["layers"])
    assert (tmp_path / "misclassified.png").read_bytes()[:4] == b"\x89PNG"
    import keras

    model = keras.saving.load_model(tmp_path / "model.keras")
    assert tuple(model.inputs[0].shape) == (None, 28, 28, 1)
    # the saved config rebuilds the same layer list
    assert cfg.resolve(cfg.TrainConfig(), cfg.from_toml(tmp_path / "config.toml")) == _config()


def test_cnn_on_user_images_of_another_shape(tmp_path, mnist):
    """A user's .npz of 3-channel 20x24 images: the model input follows the data."""
    from tinyflash.train.data import load

    x = np.repeat(mnist.x_train[:300, 4:24, 2:26, None], 3, axis=3)  # (300, 20, 24, 3)
    np.savez(tmp_path / "mine.npz", x=x, y=mnist.y_train[:300])
    data = load(tmp_path / "mine.npz")
    config = _config(layers=[{"type": "conv2d", "filters": 4, "activation": "relu"},
                             {"type": "global_average_pool2d"}], hidden=[8])  # fmt: skip
    metrics = train(config, data, tmp_path / "run", log=lambda s: None, verbose=0, plots=False)
    assert metrics["input_shape"] == [20, 24, 3] and metrics["train_images"] == 240
    assert metrics["layers"][0]["macs"] == 20 * 24 * 4 * 3 * 3 * 3
