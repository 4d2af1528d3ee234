"""Training configuration: presets, a TOML file, then command-line flags (flags win).

The resolved configuration is saved beside the model as config.toml, so a run folder says
exactly how it was made. Everything is validated here, before any training starts.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyflash.errors import ConfigError
from tinyflash.train.layers import LayerSpec, check_layers, parse_layer

__all__ = ["TrainConfig", "PRESETS", "preset", "from_toml", "resolve", "to_toml"]

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "adadelta")
LOSSES = ("categorical_crossentropy", "mse")
LR_SCHEDULES = ("constant", "cosine")
ENGINES = ("keras", "numpy")  # numpy: tinyflash.learn (train/numpy_engine.py)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trained weights (with the data and the machine)."""

    preset: str = "default"
    hidden: tuple[int, ...] = (128,)  # Dense units per hidden layer; the output layer is softmax
    layers: tuple[LayerSpec, ...] = ()  # image layers before the dense head (train/layers.py)
    activation: str = "relu"  # hidden-layer activation: relu | sigmoid | tanh | linear
    optimizer: str = "adam"  # sgd | adam | rmsprop | adagrad | adadelta
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"  # or "cosine": lr * (1 + cos(pi * epoch / epochs)) / 2
    momentum: float = 0.0  # SGD only
    loss: str = "categorical_crossentropy"  # or "mse", as the course teaches both
    batch_size: int = 128
    epochs: int = 20
    dropout: float = 0.0  # rate of a Dropout layer after each hidden layer; 0 = none
    early_stopping: bool = True  # stop on validation loss, restore the best weights
    patience: int = 3
    validation_split: float = 0.1  # last fraction of the training images, held out
    seed: int = 1234
    train_limit: int = 0  # use only the first N training images (0 = all); for quick runs
    engine: str = "keras"  # who fits the weights: keras | numpy (tinyflash.learn)

    def __post_init__(self) -> None:
        _check(self)


def _check(c: TrainConfig) -> None:
    def bad(name: str, found: object, expected: str) -> ConfigError:
        return ConfigError(f"config '{name}': expected {expected}, found {found!r}")

    if (not c.hidden and not c.layers) or any(
        not isinstance(u, int) or isinstance(u, bool) or u < 1 for u in c.hidden
    ):
        raise bad(
            "hidden",
            list(c.hidden),
            "a list of positive layer sizes, e.g. [128] (empty only with a 'layers' list)",
        )
    check_layers(c.layers)
    if c.activation not in ACTIVATIONS:
        raise bad("activation", c.activation, f"one of {', '.join(ACTIVATIONS)}")
    if c.optimizer not in OPTIMIZERS:
        raise bad("optimizer", c.optimizer, f"one of {', '.join(OPTIMIZERS)}")
    if c.loss not in LOSSES:
        raise bad("loss", c.loss, f"one of {', '.join(LOSSES)}")
    if c.lr_schedule not in LR_SCHEDULES:
        raise bad("lr_schedule", c.lr_schedule, f"one of {', '.join(LR_SCHEDULES)}")
    for name in ("learning_rate", "momentum", "dropout", "validation_split"):
        v = getattr(c, name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise bad(name, v, "a finite number")
    if c.learning_rate <= 0:
        raise bad("learning_rate", c.learning_rate, "a number > 0")
    if not 0 <= c.momentum < 1:
        raise bad("momentum", c.momentum, "a number in [0, 1)")
    if not 0 <= c.dropout < 1:
        raise bad("dropout", c.dropout, "a rate in [0, 1)")
    if not 0 <= c.validation_split < 1:
        raise bad("validation_split", c.validation_split, "a fraction in [0, 1)")
    if c.early_stopping and c.validation_split == 0:
        raise bad("early_stopping", True, "validation_split > 0 (early stopping watches it)")
    for name, low in (
        ("batch_size", 1),
        ("epochs", 1),
        ("patience", 0),
        ("seed", 0),
        ("train_limit", 0),
    ):
        v = getattr(c, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise bad(name, v, f"an integer >= {low}")
    if c.engine not in ENGINES:
        raise bad("engine", c.engine, f"one of {', '.join(ENGINES)}")
    if c.engine == "numpy":  # refuse what it cannot train before any data is read
        from tinyflash.train.numpy_engine import check_supported

        check_supported(c)


def _conv_blocks(*blocks: int | str, dropout: float = 0.0) -> tuple[LayerSpec, ...]:
    """A layer list: an int F is conv 3x3 F filters (no bias) -> batch norm -> relu, "pool" a
    max pool 2, "gap" global average pooling, "flatten" a Flatten; then Dropout if > 0."""
    tables: list[dict[str, Any]] = []
    for b in blocks:
        if isinstance(b, int):
            tables += [{"type": "conv2d", "filters": b, "use_bias": False},
                       {"type": "batch_norm"}, {"type": "relu"}]  # fmt: skip
        else:
            kind = {"pool": "max_pool2d", "gap": "global_average_pool2d", "flatten": "flatten"}[b]
            tables.append({"type": kind})
    if dropout:
        tables.append({"type": "dropout", "rate": dropout})
    return tuple(parse_layer(t, i) for i, t in enumerate(tables))


PRESETS: dict[str, TrainConfig] = {
    # The course's first MNIST network: 10 sigmoid units, SGD, 5 epochs (about 92%).
    "classic": TrainConfig(
        preset="classic",
        hidden=(10,),
        activation="sigmoid",
        optimizer="sgd",
        learning_rate=0.5,
        batch_size=32,
        epochs=5,
        early_stopping=False,
        validation_split=0.0,
    ),
    # 784-128-10 ReLU, Adam: the model the firmware benchmarks are quoted for (>= 98.0%).
    "default": TrainConfig(
        preset="default",
        hidden=(128,),
        activation="relu",
        optimizer="adam",
        learning_rate=5e-4,
        batch_size=64,
        epochs=80,
        dropout=0.2,
        patience=8,
    ),
    # int8 weights under 32 KB (784*32 + 32*10 bytes) for small MCUs.
    "tiny": TrainConfig(
        preset="tiny",
        hidden=(32,),
        activation="relu",
        optimizer="adam",
        learning_rate=2e-3,
        batch_size=128,
        epochs=30,
        patience=4,
    ),
    # MNIST CNN for small MCUs: >= 99.0% int8 with <= 20 KB of int8 weights and an int8
    # activation arena <= 12 KB (the first conv keeps 8 channels: 784 + 6,272 bytes live).
    "cnn": TrainConfig(
        preset="cnn",
        hidden=(),
        layers=_conv_blocks(8, "pool", 16, 16, "pool", 32, 24, "pool", "flatten", dropout=0.3),
        optimizer="adam",
        learning_rate=2e-3,
        lr_schedule="cosine",
        batch_size=128,
        epochs=12,
        patience=8,
    ),
    # A larger MNIST CNN (>= 99.3%): the cnn preset with twice the channels.
    "cnn-large": TrainConfig(
        preset="cnn-large",
        hidden=(),
        layers=_conv_blocks(16, "pool", 32, 32, "pool", 64, 48, "pool", "flatten", dropout=0.3),
        optimizer="adam",
        learning_rate=2e-3,
        lr_schedule="cosine",
        batch_size=128,
        epochs=15,
        patience=8,
    ),
}


_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}


def preset(name: str) -> TrainConfig:
    """The named preset; unknown names list the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r} (supported: {', '.join(PRESETS)})") from None


def _coerce(name: str, value: Any) -> Any:
    if name not in _FIELDS:
        raise ConfigError(f"unknown config key {name!r} (supported: {', '.join(_FIELDS)})")
    if name == "layers":
        if not isinstance(value, list | tuple):
            raise ConfigError(f"config 'layers': expected a list of layer tables, found {value!r}")
        return tuple(parse_layer(t, i) for i, t in enumerate(value))
    if name == "hidden":
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config 'hidden': expected a list of layer sizes, found {value!r}")
        return tuple(value)
    kind = {"float": float, "int": int, "str": str, "bool": bool}[str(_FIELDS[name].type)]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"config {name!r}: expected {kind.__name__}, found {value!r}")
    return value


def resolve(base: TrainConfig, overrides: Mapping[str, Any]) -> TrainConfig:
    """`base` with `overrides` applied (None values are ignored), validated."""
    changes = {k: _coerce(k, v) for k, v in overrides.items() if v is not None}
    return dataclasses.replace(base, **changes)


def from_toml(path: str | Path) -> dict[str, Any]:
    """Read a config TOML file: keys at the top level or under a [train] table."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file: {exc}") from None
    data = data.get("train", data)
    for key in data:
        if key not in _FIELDS:
            raise ConfigError(
                f"{path}: unknown config key {key!r} (supported: {', '.join(_FIELDS)})"
            )
    return dict(data)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def to_toml(config: TrainConfig, extra: Mapping[str, Any] | None = None) -> str:
    """The configuration as a [train] TOML table that `from_toml` reads back to the same value.

    The layer list, if any, follows as [[train.layers]] tables (TOML wants them last).
    """
    lines = ["# tinyflash training configuration (resolved: preset, file, then flags)", "[train]"]
    lines += [
        f"{f.name} = {_toml_value(getattr(config, f.name))}"
        for f in dataclasses.fields(config)
        if f.name != "layers"
    ]
    for k, v in (extra or {}).items():
        lines.append(f"# {k}: {v}")
    for spec in config.layers:
        lines += ["", "[[train.layers]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in spec.to_dict().items()]
    return "\n".join(lines) + "\n"
