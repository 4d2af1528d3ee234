"""Train the model (MLP or CNN) and write the run folder.

Run folder contents (each written atomically):
    model.keras     the trained Keras model (zip entries with fixed timestamps: reproducible)
    config.toml     the resolved training configuration
    history.json    per-epoch loss / accuracy (and validation) curves
    metrics.json    test loss and accuracy, per-class accuracy, confusion matrix, data source,
                    and the model summary (per layer parameters, int8 bytes, MACs; arena)
    training_curves.png, confusion_matrix.png, misclassified.png
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash import atomic
from tinyflash.train.config import TrainConfig, to_toml
from tinyflash.train.data import Dataset
from tinyflash.train.model import build_model, input_shape, preprocess
from tinyflash.train.summary import arena_bytes, format_summary, layer_costs

__all__ = ["train", "confusion_matrix", "cosine_schedule", "seed_everything"]

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest zip timestamp: no wall clock in artifacts


def seed_everything(seed: int) -> None:
    """Python, numpy and TensorFlow seeds, and deterministic TensorFlow ops."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def cosine_schedule(config: TrainConfig) -> Callable[[int, float], float]:
    """epoch -> learning rate: cosine decay from config.learning_rate towards 0 at config.epochs."""

    def rate(epoch: int, _current: float) -> float:
        return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / config.epochs))

    return rate


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(classes, classes) int64 counts: row = true class, column = predicted class."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _renumber_shared_ids(obj: Any, ids: dict[int, int] | None = None) -> Any:
    """Keras writes id(object) (a memory address) as shared_object_id: number them 0, 1, ...

    The same address keeps the same number, so objects shared between layers stay shared.
    """
    ids = {} if ids is None else ids
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == "shared_object_id" and isinstance(v, int):
                out[k] = ids.setdefault(v, len(ids))
            else:
                out[k] = _renumber_shared_ids(v, ids)
        return out
    if isinstance(obj, list):
        return [_renumber_shared_ids(v, ids) for v in obj]
    return obj


def _reproducible_zip(raw: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and sorted entries (Keras stamps the wall clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = src.read(name)
            if name == "metadata.json":  # {"keras_version": ..., "date_saved": <wall clock>}
                meta = json.loads(content)
                meta.pop("date_saved", None)
                content = json.dumps(meta, sort_keys=True).encode()
            elif name == "config.json":
                content = json.dumps(_renumber_shared_ids(json.loads(content))).encode()
            dst.writestr(info, content)
    return out.getvalue()


def save_model(model: Any, path: Path) -> None:
    """Save a Keras model atomically and byte-reproducibly."""

    def write(tmp: Path) -> None:
        keras_tmp = tmp.with_name(tmp.name + ".keras")
        try:
            model.save(keras_tmp)
            tmp.write_bytes(_reproducible_zip(keras_tmp.read_bytes()))
        finally:
            keras_tmp.unlink(missing_ok=True)

    atomic.write_with(path, write)


def train(
    config: TrainConfig,
    data: Dataset,
    run_dir: str | os.PathLike[str],
    *,
    log: Callable[[str], None] = print,
    verbose: int | str = "auto",
    plots: bool = True,
    summary: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train `config` on `data`, write the run folder, return the test metrics.

    summary: where the model summary table goes before fitting (default: `log`).
    """
    import keras

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)

    x_train, y_train = data.x_train, data.y_train
    if config.train_limit:
        x_train, y_train = x_train[: config.train_limit], y_train[: config.train_limit]
    shape = input_shape(config, data.x_train)  # MLP (H*W*C,), e.g. (784,); CNN (H, W, C)
    x = preprocess(x_train, shape)  # (N, *shape) float32, pixels / 255
    y = keras.utils.to_categorical(y_train, data.num_classes)  # (N, classes) one-hot
    x_test = preprocess(data.x_test, shape)

    keras.backend.clear_session()  # fresh name counters: "adam", not "adam_3", in the file
    model = build_model(config, data.num_classes, shape)
    costs, arena = layer_costs(model), arena_bytes(model)
    (log if summary is None else summary)(format_summary(costs, arena))
    callbacks = []
    if config.early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=config.patience, restore_best_weights=True
            )
        )
    if config.lr_schedule == "cosine":
        callbacks.append(keras.callbacks.LearningRateScheduler(cosine_schedule(config)))
    start = time.perf_counter()
    if config.engine == "numpy":  # tinyflash.learn fits the same model's weights
        from tinyflash.train.numpy_engine import fit_numpy

        history = keras.callbacks.History()
        progress = log if verbose == 0 else print  # one line per epoch, as Keras's bar
        history.history = fit_numpy(model, x, y, config, log=progress)
    else:
        history = model.fit(
            x,
            y,
            batch_size=config.batch_size,
            epochs=config.epochs,
            validation_split=config.validation_split,
            shuffle=True,
            callbacks=callbacks,
            verbose=verbose,
        )
    train_seconds = time.perf_counter() - start

    probabilities = model.predict(x_test, batch_size=1024, verbose=0)
    predicted = probabilities.argmax(axis=1)
    y_test_1h = keras.utils.to_categorical(data.y_test, data.num_classes)
    test_loss, test_acc = model.evaluate(x_test, y_test_1h, batch_size=1024, verbose=0)
    cm = confusion_matrix(data.y_test, predicted, data.num_classes)
    per_class = (np.diag(cm) / np.maximum(cm.sum(axis=1), 1)).round(6)

    curves = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    metrics = {
        "test_loss": float(test_loss),
        "test_accuracy": float(test_acc),
        "test_accuracy_from_argmax": float(np.mean(predicted == data.y_test)),
        "per_class_accuracy": dict(zip(data.class_names, per_class.tolist(), strict=True)),
        "confusion_matrix": cm.tolist(),
        "class_names": list(data.class_names),
        "epochs_run": len(curves.get("loss", [])),
        "train_images": int(len(x)),
        "train_seconds": round(train_seconds, 2),
        "parameters": int(model.count_params()),
        "int8_weight_bytes": sum(c.int8_bytes for c in costs),
        "macs": sum(c.macs for c in costs),
        "int8_arena_bytes_estimate": arena,
        "input_shape": list(shape),
        "layers": [dataclasses.asdict(c) for c in costs],
        "data_source": data.source,
    }

    save_model(model, run_dir / "model.keras")
    atomic.write_text(run_dir / "config.toml", to_toml(config))
    atomic.write_json(run_dir / "history.json", curves)
    atomic.write_json(run_dir / "metrics.json", metrics)
    if plots:
        from tinyflash.train import plots as plotting

        plotting.write_all(run_dir, curves, cm, data, probabilities)
    shape_text = "x".join(map(str, shape))
    what = (
        f"{len(config.layers)} image layers on {shape_text}, dense {list(config.hidden)}"
        if config.layers
        else "-".join(map(str, [*shape, *config.hidden, data.num_classes]))
    )
    log(
        f"trained {config.preset} {what} ({config.activation}, {config.optimizer}) in "
        f"{train_seconds:.1f} s, {metrics['epochs_run']} epochs: test accuracy {test_acc:.4f}"
    )
    return metrics


def load_metrics(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    return json.loads((Path(run_dir) / "metrics.json").read_text())
