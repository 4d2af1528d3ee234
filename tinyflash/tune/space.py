"""The search space: which architectures and training settings a tune study may try.

    space = default_space((28, 28, 1))           # dense and convolutional, sized for the data
    space = load_space("space.toml", (28, 28, 1))  # or a [space] table (keys as below)
    config = suggest(trial, space)               # an Optuna trial -> a validated TrainConfig

A space file holds one [space] table; every key is optional (the default space fills the
rest). A range is [low, high] (integers, or floats for learning_rate); a choice is a list:

    [space]
    families = ["dense", "cnn"]    # dense: an MLP on the flattened image; cnn: conv blocks
    dense_layers = [1, 2]          # hidden Dense layers of an MLP
    units = [8, 128]               # units per hidden Dense layer (log scale)
    activations = ["relu", "tanh"] # of the hidden Dense layers
    conv_blocks = [1, 3]           # per block: conv k x k (no bias) -> batch norm -> relu -> pool 2
    filters = [4, 32]              # filters per conv block (log scale)
    kernels = [3, 5]
    pools = ["max", "average"]
    head_layers = [0, 1]           # hidden Dense layers after the CNN's Flatten
    optimizers = ["adam", "rmsprop"]
    learning_rate = [3e-4, 3e-3]   # log scale
    lr_schedules = ["cosine", "constant"]  # cosine: decay to 0 over the epochs (train/fit.py)
    batch_sizes = [64, 128]
    epochs = [5, 30]               # the most epochs; early stopping on validation loss ends sooner
    patience = 3                   # early stopping's patience (a single value)
    train_limit = 0                # use only the first N training images (0: all)

Every architecture a space allows is built from these, so `corners(space)` can list the
smallest model of each shape the space allows (widths at their minimum): the footprint of
every other model is at least that of one of them.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyflash.errors import ConfigError
from tinyflash.train.config import ACTIVATIONS, LR_SCHEDULES, OPTIMIZERS, TrainConfig
from tinyflash.train.layers import LayerSpec, parse_layer

__all__ = ["FAMILIES", "Space", "corners", "default_space", "load_space", "suggest"]

FAMILIES = ("dense", "cnn")
POOLS = {"max": "max_pool2d", "average": "average_pool2d"}
PRESET = "tune"  # the preset name written into every trial's config.toml

# key -> kind: "range" [low, high] of int, "frange" [low, high] of float, "choice" a list,
# "int" a single integer.
_KINDS = {
    "families": "choice", "dense_layers": "range", "units": "range", "activations": "choice",
    "conv_blocks": "range", "filters": "range", "kernels": "choice", "pools": "choice",
    "head_layers": "range", "optimizers": "choice", "learning_rate": "frange",
    "lr_schedules": "choice", "batch_sizes": "choice", "epochs": "range", "patience": "int",
    "train_limit": "int",
}  # fmt: skip


@dataclass(frozen=True)
class Space:
    """A validated search space (see the module docstring for each key)."""

    image_shape: tuple[int, int, int]  # (H, W, C) of the data's images
    families: tuple[str, ...] = FAMILIES
    dense_layers: tuple[int, int] = (1, 2)
    units: tuple[int, int] = (8, 256)
    activations: tuple[str, ...] = ("relu",)
    conv_blocks: tuple[int, int] = (1, 3)
    filters: tuple[int, int] = (4, 32)
    kernels: tuple[int, ...] = (3, 5)
    pools: tuple[str, ...] = ("max", "average")
    head_layers: tuple[int, int] = (0, 1)
    optimizers: tuple[str, ...] = ("adam",)
    learning_rate: tuple[float, float] = (5e-4, 5e-3)
    # A constant rate with early stopping ends BatchNorm CNNs early on a noisy validation loss
    # (16,32,32 k3 max: 5 epochs, 98.65 % int8); cosine runs its epochs (12: 99.18 %).
    lr_schedules: tuple[str, ...] = ("cosine", "constant")
    batch_sizes: tuple[int, ...] = (64, 128)
    epochs: tuple[int, int] = (5, 30)
    patience: int = 3
    train_limit: int = 0

    def __post_init__(self) -> None:
        _check(self)

    def to_dict(self) -> dict[str, Any]:
        """The space as JSON-able values (stored with the study, so a resume can compare)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}  # fmt: skip


def _check(s: Space) -> None:
    def bad(key: str, expected: str) -> ConfigError:
        return ConfigError(f"space '{key}': expected {expected}, found {getattr(s, key)!r}")

    allowed = {"families": FAMILIES, "activations": ACTIVATIONS, "pools": tuple(POOLS),
               "optimizers": OPTIMIZERS, "lr_schedules": LR_SCHEDULES}  # fmt: skip
    for key, known in allowed.items():
        values = getattr(s, key)
        if not values or any(v not in known for v in values):
            raise bad(key, f"a non-empty list of {', '.join(known)}")
    for key in ("dense_layers", "units", "conv_blocks", "filters", "head_layers", "epochs"):
        low, high = getattr(s, key)
        smallest = 0 if key == "head_layers" else 1
        if not smallest <= low <= high:
            raise bad(key, f"[low, high] integers with {smallest} <= low <= high")
    low, high = s.learning_rate
    if not 0 < low <= high:
        raise bad("learning_rate", "[low, high] with 0 < low <= high")
    for key in ("kernels", "batch_sizes"):
        if not getattr(s, key) or min(getattr(s, key)) < 1:
            raise bad(key, "a non-empty list of positive integers")
    if s.patience < 0 or s.train_limit < 0:
        raise bad("patience" if s.patience < 0 else "train_limit", "an integer >= 0")
    side = min(s.image_shape[:2])
    if "cnn" in s.families and side >> s.conv_blocks[1] < 1:  # each block halves the image
        most = max(int(math.log2(side)), 0)
        raise bad("conv_blocks", f"at most {most} blocks for {side}-pixel images (each pools 2)")
    if "cnn" in s.families and max(s.kernels) > side:
        raise bad("kernels", f"kernels no larger than the {side}-pixel image")


def default_space(image_shape: tuple[int, int, int]) -> Space:
    """Dense and convolutional models for images of (H, W, C); dense only below 8 pixels."""
    side = min(image_shape[:2])
    if side < 8:
        return Space(image_shape=image_shape, families=("dense",))
    return Space(image_shape=image_shape, conv_blocks=(1, min(3, int(math.log2(side)) - 1)))


def _coerce(key: str, value: Any, where: str) -> Any:
    kind = _KINDS.get(key)
    if kind is None:
        raise ConfigError(f"{where}: unknown space key {key!r} (supported: {', '.join(_KINDS)})")
    number = (int,) if kind != "frange" else (int, float)
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{where} '{key}': expected an integer, found {value!r}")
        return value
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where} '{key}': expected a non-empty list, found {value!r}")
    if kind in ("range", "frange"):
        if len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, number) for v in value):
            raise ConfigError(f"{where} '{key}': expected [low, high] numbers, found {value!r}")
        return (float(value[0]), float(value[1])) if kind == "frange" else tuple(value)
    return tuple(value)


def load_space(path: str | Path, image_shape: tuple[int, int, int]) -> Space:
    """The default space for image_shape with the file's [space] keys applied."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such space file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file: {exc}") from None
    table = data.get("space")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: expected a [space] table, found keys {sorted(data)}")
    changes = {k: _coerce(k, v, str(path)) for k, v in table.items()}
    return dataclasses.replace(default_space(image_shape), **changes)


def conv_layers(filters: list[int], kernel: int, pool: str) -> tuple[LayerSpec, ...]:
    """Per block: conv kernel x kernel, same padding, no bias -> batch norm -> relu -> pool 2;
    then Flatten. (H, W, C) -> (H / 2^blocks, W / 2^blocks, filters[-1]) -> flat."""
    tables: list[dict[str, Any]] = []
    for f in filters:
        tables += [{"type": "conv2d", "filters": f, "kernel": kernel, "use_bias": False},
                   {"type": "batch_norm"}, {"type": "relu"}, {"type": POOLS[pool]}]  # fmt: skip
    tables.append({"type": "flatten"})
    return tuple(parse_layer(t, i) for i, t in enumerate(tables))


def _config(**changes: Any) -> TrainConfig:
    return dataclasses.replace(TrainConfig(preset=PRESET), **changes)


def suggest(trial: Any, space: Space) -> TrainConfig:
    """Ask an Optuna trial for one point of the space; returns its training configuration.

    Parameter names: family; MLP: dense_layers, units_<i>, activation; CNN: conv_blocks,
    filters_<b>, kernel, pool, head_layers, units_<i>; both: optimizer, learning_rate,
    lr_schedule, batch_size, epochs."""
    family = trial.suggest_categorical("family", list(space.families))
    if family == "dense":
        depth = trial.suggest_int("dense_layers", *space.dense_layers)
        layers: tuple[LayerSpec, ...] = ()
        activation = trial.suggest_categorical("activation", list(space.activations))
    else:
        blocks = trial.suggest_int("conv_blocks", *space.conv_blocks)
        filters = [trial.suggest_int(f"filters_{b}", *space.filters, log=True)
                   for b in range(blocks)]  # fmt: skip
        kernel = trial.suggest_categorical("kernel", list(space.kernels))
        layers = conv_layers(filters, kernel, trial.suggest_categorical("pool", list(space.pools)))
        depth = trial.suggest_int("head_layers", *space.head_layers)
        activation = "relu"
    hidden = tuple(trial.suggest_int(f"units_{i}", *space.units, log=True) for i in range(depth))
    return _config(
        hidden=hidden,
        layers=layers,
        activation=activation,
        optimizer=trial.suggest_categorical("optimizer", list(space.optimizers)),
        learning_rate=trial.suggest_float("learning_rate", *space.learning_rate, log=True),
        lr_schedule=trial.suggest_categorical("lr_schedule", list(space.lr_schedules)),
        batch_size=trial.suggest_categorical("batch_size", list(space.batch_sizes)),
        epochs=trial.suggest_int("epochs", *space.epochs),
        patience=space.patience,
        train_limit=space.train_limit,
    )


def corners(space: Space) -> list[TrainConfig]:
    """The smallest model of every depth the space allows: MLPs of each depth at the fewest
    units; CNNs of each block count and head depth at the fewest filters and units, the
    smallest kernel. Growing a width or a kernel never shrinks weights, arena or MACs, so no
    model of the space is smaller (in all three) than every one of these."""
    out = []
    if "dense" in space.families:
        for depth in range(space.dense_layers[0], space.dense_layers[1] + 1):
            out.append(_config(hidden=(space.units[0],) * depth))
    if "cnn" in space.families:
        for blocks in range(space.conv_blocks[0], space.conv_blocks[1] + 1):
            layers = conv_layers([space.filters[0]] * blocks, min(space.kernels), "max")
            for depth in range(space.head_layers[0], space.head_layers[1] + 1):
                out.append(_config(hidden=(space.units[0],) * depth, layers=layers))
    return out
