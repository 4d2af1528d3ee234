"""The layer list: TOML tables describing Keras layers, validated, then built as a functional model.

A configuration's `layers` is a list of tables, each with a `type` and that type's options:

    [[train.layers]]
    type = "conv2d"            # required; one of LAYER_TYPES
    filters = 8                # options of the type (see LAYER_TYPES), the rest take defaults
    name = "stem"              # optional; the name an `add` layer refers to

They run in order on the image (N, H, W, C); `add` sums the current tensor with the output of
an earlier named layer (or "input"), a residual connection, optionally through a 1x1
convolution (`project = true`) when the channels or the size differ. The dense head (`hidden`,
then Dense(classes, softmax)) follows, after an automatic Flatten if the tensor is still 4-D.

Keras layers built, per type (N, H, W, C) -> (N, H', W', C'):
    conv2d                Conv2D(filters, kernel, strides, padding, dilation_rate, activation)
    depthwise_conv2d      DepthwiseConv2D(kernel, strides, padding, depth_multiplier, ...)
    separable_conv2d      SeparableConv2D(filters, kernel, strides, padding, depth_multiplier, ...)
    max_pool2d            MaxPooling2D(pool, strides (default pool), padding)
    average_pool2d        AveragePooling2D(pool, strides (default pool), padding)
    global_average_pool2d GlobalAveragePooling2D()          -> (N, C)
    batch_norm            BatchNormalization(momentum)
    relu, relu6           ReLU(), ReLU(max_value=6)
    flatten               Flatten()                         -> (N, H * W * C)
    dropout               Dropout(rate)
    add                   Add()([current, named]), after Conv2D(C, 1, strides, SAME) on the skip
                          path if project = true (strides: the size ratio, rounded up)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tinyflash.errors import ConfigError

if TYPE_CHECKING:
    import keras

__all__ = ["LAYER_TYPES", "LayerSpec", "build_layers", "conv_stack", "parse_layer"]

CONV_ACTIVATIONS = ("linear", "relu", "relu6")
PADDINGS = ("same", "valid")

# type -> {option: default}; None marks a required option.
_CONV = {"kernel": 3, "strides": 1, "padding": "same", "dilation": 1, "activation": "linear",
         "use_bias": True}  # fmt: skip
_POOL = {"pool": 2, "strides": 0, "padding": "valid"}  # strides 0: the pool size, as Keras
LAYER_TYPES: dict[str, dict[str, Any]] = {
    "conv2d": {"filters": None, **_CONV},
    "depthwise_conv2d": {**_CONV, "depth_multiplier": 1},
    "separable_conv2d": {"filters": None, **_CONV, "depth_multiplier": 1},
    "max_pool2d": dict(_POOL),
    "average_pool2d": dict(_POOL),
    "global_average_pool2d": {},
    "batch_norm": {"momentum": 0.99},  # of the moving mean / variance, as Keras
    "relu": {},
    "relu6": {},
    "flatten": {},
    "dropout": {"rate": None},
    "add": {"from": None, "project": False},
}


@dataclass(frozen=True)
class LayerSpec:
    """One validated layer table: its type, its name ("" = automatic) and every option."""

    type: str
    name: str = ""
    options: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str) -> Any:
        return dict(self.options)[key]

    def to_dict(self) -> dict[str, Any]:
        """The table as written in TOML: type, name if set, then the options (defaults too)."""
        return {"type": self.type, **({"name": self.name} if self.name else {}),
                **dict(self.options)}  # fmt: skip


def _pair(where: str, key: str, value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in value)
    ):
        raise ConfigError(
            f"{where} '{key}': expected a positive integer or [h, w], found {value!r}"
        )
    return int(value[0]), int(value[1])


def _check_option(where: str, kind: str, key: str, value: Any) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where} '{key}': expected {expected}, found {value!r}")

    if key == "strides" and value == 0 and kind.endswith("pool2d"):
        return 0  # the pool size
    if key in ("kernel", "pool", "dilation", "strides"):
        return _pair(where, key, value)
    if key in ("filters", "depth_multiplier"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise bad("an integer >= 1")
        return value
    if key == "padding":
        if value not in PADDINGS:
            raise bad(f"one of {', '.join(PADDINGS)}")
        return value
    if key == "activation":
        if value not in CONV_ACTIVATIONS:
            raise bad(f"one of {', '.join(CONV_ACTIVATIONS)}")
        return value
    if key in ("use_bias", "project"):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key in ("rate", "momentum"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            raise bad("a rate in [0, 1)")
        return float(value)
    if key == "from":
        if not isinstance(value, str) or not value:
            raise bad('the name of an earlier layer, or "input"')
        return value
    raise AssertionError(key)  # every option of LAYER_TYPES is handled above


def parse_layer(table: Any, index: int) -> LayerSpec:
    """One TOML table (or a LayerSpec, returned as is) -> a validated LayerSpec."""
    if isinstance(table, LayerSpec):
        return table
    where = f"config 'layers'[{index}]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table with a 'type', found {table!r}")
    kind = table.get("type")
    if kind not in LAYER_TYPES:
        raise ConfigError(
            f"{where} 'type': expected one of {', '.join(LAYER_TYPES)}, found {kind!r}"
        )
    where = f"{where} ({kind})"
    defaults = LAYER_TYPES[kind]
    unknown = sorted(set(table) - {"type", "name", *defaults})
    if unknown:
        raise ConfigError(
            f"{where}: unknown option {unknown[0]!r} (supported: name, {', '.join(defaults)})"
            if defaults
            else f"{where}: unknown option {unknown[0]!r} (supported: name)"
        )
    name = table.get("name", "")
    if not isinstance(name, str) or name == "input":
        raise ConfigError(f"{where} 'name': expected a text other than 'input', found {name!r}")
    options = []
    for key, default in defaults.items():
        if key not in table and default is None:
            raise ConfigError(f"{where}: missing required option {key!r}")
        options.append((key, _check_option(where, kind, key, table.get(key, default))))
    return LayerSpec(kind, name, tuple(options))


def check_layers(layers: tuple[LayerSpec, ...]) -> None:
    """Names are unique, and every `add` refers to an earlier layer (or "input")."""
    seen = {"input"}
    for i, spec in enumerate(layers):
        if spec.type == "add" and spec.get("from") not in seen:
            raise ConfigError(
                f"config 'layers'[{i}] (add) 'from': expected the name of an earlier layer or "
                f"'input' (known: {', '.join(sorted(seen))}), found {spec.get('from')!r}"
            )
        if spec.name:
            if spec.name in seen:
                raise ConfigError(f"config 'layers'[{i}] 'name': {spec.name!r} is used twice")
            seen.add(spec.name)


def conv_stack(filters: list[int]) -> tuple[LayerSpec, ...]:
    """`--conv 8,16`: per entry conv 3x3 (no bias) -> batch_norm -> relu -> max_pool 2, but the
    last block ends in global_average_pool2d instead of the pool."""
    tables: list[dict[str, Any]] = []
    for i, f in enumerate(filters):
        tables += [{"type": "conv2d", "filters": f, "use_bias": False},
                   {"type": "batch_norm"}, {"type": "relu"}]  # fmt: skip
        last = i == len(filters) - 1
        tables.append({"type": "global_average_pool2d"} if last else {"type": "max_pool2d"})
    return tuple(parse_layer(t, i) for i, t in enumerate(tables))


def _build_one(spec: LayerSpec, x: Any, name: str | None) -> Any:
    import keras

    L, o = keras.layers, dict(spec.options)
    conv = lambda: dict(kernel_size=o["kernel"], strides=o["strides"],  # noqa: E731
                        padding=o["padding"], dilation_rate=o["dilation"],
                        activation=o["activation"], use_bias=o["use_bias"], name=name)  # fmt: skip
    pool = lambda: dict(pool_size=o["pool"], padding=o["padding"], name=name,  # noqa: E731
                        strides=o["strides"] or None)  # fmt: skip
    make = {
        "conv2d": lambda: L.Conv2D(o["filters"], **conv()),
        "depthwise_conv2d": lambda: L.DepthwiseConv2D(
            depth_multiplier=o["depth_multiplier"], **conv()
        ),
        "separable_conv2d": lambda: L.SeparableConv2D(
            o["filters"], depth_multiplier=o["depth_multiplier"], **conv()
        ),
        "max_pool2d": lambda: L.MaxPooling2D(**pool()),
        "average_pool2d": lambda: L.AveragePooling2D(**pool()),
        "global_average_pool2d": lambda: L.GlobalAveragePooling2D(name=name),
        "batch_norm": lambda: L.BatchNormalization(momentum=o["momentum"], name=name),
        "relu": lambda: L.ReLU(name=name),
        "relu6": lambda: L.ReLU(max_value=6.0, name=name),
        "flatten": lambda: L.Flatten(name=name),
        "dropout": lambda: L.Dropout(o["rate"], name=name),
    }
    return make[spec.type]()(x)


def build_layers(layers: tuple[LayerSpec, ...], inputs: keras.KerasTensor) -> keras.KerasTensor:
    """Apply the layer list to `inputs` (N, H, W, C); returns the last tensor."""
    import keras

    outputs: dict[str, Any] = {"input": inputs}
    x = inputs
    for i, spec in enumerate(layers):
        name = spec.name or None
        if spec.type != "add":
            x = _build_one(spec, x, name)
        else:
            skip = outputs[spec.get("from")]
            if spec.get("project"):  # 1x1, stride ceil(skip / x), SAME: sizes then match
                stride = tuple(-(-int(skip.shape[k]) // int(x.shape[k])) for k in (1, 2))
                skip = keras.layers.Conv2D(int(x.shape[-1]), 1, strides=stride, padding="same",
                                           name=name and f"{name}_projection")(skip)  # fmt: skip
            if tuple(skip.shape[1:]) != tuple(x.shape[1:]):
                raise ConfigError(
                    f"config 'layers'[{i}] (add): the tensors have shapes {tuple(x.shape[1:])} "
                    f"and {tuple(skip.shape[1:])} (from {spec.get('from')!r}); expected equal "
                    "shapes (set project = true for a 1x1 convolution on the skip path)"
                )
            x = keras.layers.Add(name=name)([x, skip])
        if spec.name:
            outputs[spec.name] = x
    return x
