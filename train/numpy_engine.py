"""`tinyflash train --engine numpy`: fit the Keras model's weights with tinyflash.learn.

The Keras model is built and initialised exactly as for the Keras engine (same seed, same
Glorot weights); tinyflash.learn then trains a numpy copy of it (the same layers, loss and
optimizer, minibatches shuffled by numpy from the config's seed, validation split and early
stopping as Keras does them), and the learned weights are written back into the Keras model.
The rest of the run folder (model.keras, metrics, plots) is then made as for Keras, so
export, codegen and verify work on the result unchanged.

Supported: Dense layers (relu, sigmoid, tanh, linear hidden; softmax output) and Dropout,
every optimizer and loss of the config, up to MAX_PARAMETERS weights.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinyflash.errors import ConfigError

__all__ = ["MAX_PARAMETERS", "SUPPORTED_KEYS", "check_supported", "fit_numpy"]

# 784-256-128-10 is 235,146 weights: a few seconds an epoch in numpy. Beyond that, use Keras.
MAX_PARAMETERS = 300_000
SUPPORTED_KEYS = {
    "preset", "engine", "hidden", "activation", "optimizer", "learning_rate", "momentum", "loss",
    "batch_size", "epochs", "dropout", "early_stopping", "patience", "validation_split", "seed",
    "train_limit",
}  # fmt: skip
LAYERS = ("Dense", "Dropout")


def _refuse(what: str) -> ConfigError:
    return ConfigError(
        f"the numpy engine (tinyflash.learn) {what}; it trains Dense and Dropout layers "
        f"(up to {MAX_PARAMETERS:,} weights): use --engine keras"
    )


def check_supported(config: Any) -> None:
    """Refuse, before any data is read, a configuration the numpy engine cannot train: any
    setting beyond SUPPORTED_KEYS that differs from its default (e.g. image layers)."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        default = (
            field.default_factory()  # type: ignore[misc]
            if field.default_factory is not dataclasses.MISSING
            else field.default
        )
        if field.name not in SUPPORTED_KEYS and value != default:
            raise _refuse(f"has no support for config '{field.name}' (found {_describe(value)})")


def _describe(value: Any) -> str:
    """A short account of a setting: the layer types of a layer list, else its repr."""
    kinds = [getattr(v, "type", None) for v in value] if isinstance(value, tuple | list) else []
    if kinds and all(isinstance(k, str) for k in kinds):
        return "layers " + ", ".join(dict.fromkeys(str(k) for k in kinds))
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _numpy_layers(model: Any, rng: np.random.Generator) -> list[Any]:
    import keras

    from tinyflash.learn import Dense, Dropout

    layers: list[Any] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            W, b = (np.array(w, dtype=np.float32) for w in layer.get_weights())
            layers.append(Dense(W, b, layer.activation.__name__))
        elif isinstance(layer, keras.layers.Dropout):
            layers.append(Dropout(float(layer.rate), rng))
        else:
            raise _refuse(f"has no {type(layer).__name__} layer (found in layer {layer.name!r})")
    count = sum(int(np.prod(w.shape)) for w in model.get_weights())
    if count > MAX_PARAMETERS:
        sizes = "-".join(str(layer.W.shape[0]) for layer in layers if isinstance(layer, Dense))
        raise _refuse(
            f"refuses a model this large: {sizes}-{model.output_shape[-1]} has {count:,} "
            f"weights, more than {MAX_PARAMETERS:,}"
        )
    return layers


def fit_numpy(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    config: Any,
    log: Callable[[str], None] = print,
) -> dict[str, list[float]]:
    """Train `model`'s weights in numpy; x (N, features) float32, y (N, classes) one-hot.

    Returns the per-epoch history in Keras's layout (loss, accuracy, val_loss, val_accuracy)
    and leaves the learned weights in `model`.
    """
    from tinyflash.learn import MLP, OPTIMIZERS, EarlyStopping, fit

    check_supported(config)
    rng = np.random.default_rng(config.seed)
    net = MLP(_numpy_layers(model, rng), loss=config.loss)
    validation = None
    if config.validation_split > 0:  # the last fraction of the images, before shuffling (Keras)
        split = int(math.floor(len(x) * (1.0 - config.validation_split)))
        x, y, validation = x[:split], y[:split], (x[split:], y[split:])
    kwargs = {"momentum": config.momentum} if config.optimizer == "sgd" else {}
    optimizer = OPTIMIZERS[config.optimizer](learning_rate=config.learning_rate, **kwargs)
    stopper = EarlyStopping(config.patience) if config.early_stopping else None

    def on_epoch(epoch: int, logs: dict[str, float]) -> None:
        log(
            f"epoch {epoch + 1}/{config.epochs}: "
            + ", ".join(f"{k} {v:.4f}" for k, v in logs.items())
        )

    history = fit(
        net,
        optimizer,
        x,
        y,
        epochs=config.epochs,
        batch_size=config.batch_size,
        rng=rng,
        validation=validation,
        early_stopping=stopper,
        on_epoch=on_epoch,
    )
    model.set_weights(net.params)
    return history
