"""Load a trained Keras model and check that the exporter can represent it.

Supported: what tinyflash.train builds. One input, either flat (batch, features) or an image
(batch, H, W, C) with static sizes, and one output, a Dense layer: softmax for a classifier,
linear for regression (or any model a user brings, `tinyflash export MODEL.keras`). In between, any
graph (Sequential or functional, with residual Add) of these layers:

    Dense               activation relu | sigmoid | tanh | linear, with a bias, on (batch, F)
    Conv2D, DepthwiseConv2D, SeparableConv2D
                        channels_last, activation linear | relu | relu6 (Conv2D: groups 1)
    MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D   channels_last
    BatchNormalization  on the channel axis (folded into the convolution before it)
    ReLU                plain, or max_value 6 (ReLU6); no negative slope, no threshold
    Add                 two inputs of the same shape
    Flatten, Dropout    (Dropout is an identity at inference and vanishes from every artifact)

Anything else raises UserError naming the layer and what is supported, before any file is
written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyflash.errors import UserError

__all__ = [
    "CONV_ACTIVATIONS",
    "HIDDEN_ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
    "DenseLayer",
    "check_supported",
    "input_shape",
    "load",
    "static_flatten",
]

HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
OUTPUT_ACTIVATIONS = ("softmax", "linear")  # a classifier, or regression outputs
CONV_ACTIVATIONS = ("linear", "relu", "relu6")
CONVOLUTIONS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")
POOLS = ("MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D")
PLAIN = ("Flatten", "Dropout", "Add", "BatchNormalization", "ReLU")
SUPPORTED = (
    "one input (batch, features) or (batch, H, W, C); layers Dense(relu|sigmoid|tanh|linear), "
    "Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, "
    "GlobalAveragePooling2D, BatchNormalization, ReLU, ReLU6, Add, Flatten, Dropout; "
    "the output a Dense(softmax) (classifier) or Dense(linear) (regression)"
)


@dataclass(frozen=True)
class DenseLayer:
    """One Dense layer as exported: kernel (in_features, units) float32, bias (units,)."""

    name: str
    in_features: int
    units: int
    activation: str


def load(path: str | Path) -> Any:
    """Read a .keras file and check it (see `check_supported`); returns the keras.Model."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such model file (expected a Keras model saved by `train`)")
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - any failure to read is the file's fault
        raise UserError(
            f"{path}: not a readable Keras model: {type(exc).__name__}: {exc}"
        ) from None
    check_supported(model, where=str(path))
    return model


def input_shape(model: Any) -> tuple[int, ...]:
    """The model input without the batch: (features,) or (H, W, C)."""
    return tuple(int(d) for d in model.inputs[0].shape[1:])


def static_flatten(model: Any) -> Any:
    """`model` with every Flatten replaced by a reshape to (-1, features), same weights.

    Keras's Flatten reshapes to (shape(x)[0], features), a batch size read at run time, which
    the converters write as SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE (and Shape, Slice,
    Concat in ONNX); the -1 form is one RESHAPE with a constant shape and any batch. A model
    without Flatten is returned as it is.
    """
    import keras

    if not any(isinstance(layer, keras.layers.Flatten) for layer in model.layers):
        return model

    class FlattenRows(keras.layers.Layer):
        """(N, ...) -> (N, features), the batch as -1."""

        def __init__(self, features: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.features = features

        def call(self, x: Any) -> Any:
            return keras.ops.reshape(x, (-1, self.features))

        def compute_output_shape(self, shape: Any) -> Any:
            return (shape[0], self.features)

    def clone(layer: Any) -> Any:
        if isinstance(layer, keras.layers.Flatten):
            return FlattenRows(int(layer.output.shape[-1]), name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def _activation(layer: Any) -> str:
    act = layer.get_config().get("activation")
    return act if isinstance(act, str) else repr(act)


def _check_layer(layer: Any, where: str) -> None:
    """Raise UserError unless a non-Dense layer is one the exporter supports (module doc)."""
    kind, config = type(layer).__name__, layer.get_config()
    name = f"{where}: layer {layer.name!r} ({kind})"
    if kind not in (*CONVOLUTIONS, *POOLS, *PLAIN):
        raise UserError(
            f"{where}: layer {layer.name!r} is a {kind}; not supported (supported: {SUPPORTED})"
        )
    if config.get("data_format", "channels_last") != "channels_last":
        raise UserError(f"{name}: data_format {config['data_format']!r}; supported: channels_last")
    if kind in CONVOLUTIONS and _activation(layer) not in CONV_ACTIVATIONS:
        raise UserError(
            f"{name}: activation {_activation(layer)!r}; supported: {', '.join(CONV_ACTIVATIONS)}"
        )
    if kind == "Conv2D" and config.get("groups", 1) != 1:
        raise UserError(f"{name}: groups {config['groups']}; supported: groups 1")
    if kind == "BatchNormalization" and config.get("axis") not in (-1, 3, [-1], [3]):
        raise UserError(f"{name}: axis {config.get('axis')}; supported: the channel axis (-1)")
    if kind == "ReLU" and (
        config.get("negative_slope") or config.get("threshold")
        or config.get("max_value") not in (None, 6.0)
    ):  # fmt: skip
        raise UserError(
            f"{name}: max_value {config.get('max_value')}, negative_slope "
            f"{config.get('negative_slope')}, threshold {config.get('threshold')}; supported: "
            "ReLU() and ReLU(max_value=6)"
        )
    if kind == "GlobalAveragePooling2D" and config.get("keepdims"):
        raise UserError(f"{name}: keepdims True; supported: keepdims False")


def check_supported(model: Any, where: str = "model") -> list[DenseLayer]:
    """Raise UserError unless `model` is supported (module doc); return its Dense layers."""
    import keras

    inputs, outputs = list(model.inputs), list(model.outputs)
    if len(inputs) != 1 or len(outputs) != 1:
        raise UserError(
            f"{where}: expected one input and one output, found {len(inputs)} inputs and "
            f"{len(outputs)} outputs (supported: {SUPPORTED})"
        )
    in_shape = tuple(inputs[0].shape)
    if len(in_shape) not in (2, 4) or not all(isinstance(d, int) for d in in_shape[1:]):
        raise UserError(
            f"{where}: expected an input of shape (batch, features) or (batch, H, W, C) with "
            f"fixed sizes, found {in_shape} (supported: {SUPPORTED})"
        )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise UserError(f"{where}: no Dense layer found (supported: {SUPPORTED})")
    found: list[DenseLayer] = []
    for layer in layers:
        if not isinstance(layer, keras.layers.Dense):
            _check_layer(layer, where)
            continue
        act = _activation(layer)
        last = layer is dense[-1]
        allowed = OUTPUT_ACTIVATIONS if last else HIDDEN_ACTIVATIONS
        if act not in allowed:
            role = "the output layer" if last else "a hidden layer"
            raise UserError(
                f"{where}: layer {layer.name!r} is {role} with activation {act!r}; supported "
                f"there: {', '.join(allowed)}"
            )
        if not layer.use_bias:
            raise UserError(
                f"{where}: layer {layer.name!r} has no bias; supported: Dense with bias"
            )
        x_shape = tuple(layer.input.shape)
        if len(x_shape) != 2:
            raise UserError(
                f"{where}: layer {layer.name!r} (Dense) reads a tensor of shape {x_shape}; "
                "supported: Dense on (batch, features) (put a Flatten or GlobalAveragePooling2D "
                "before it)"
            )
        found.append(DenseLayer(layer.name, int(x_shape[1]), int(layer.units), act))
    if layers[-1] is not dense[-1]:
        raise UserError(
            f"{where}: the model output is not the last Dense(softmax) layer's "
            f"{dense[-1].name!r} (supported: {SUPPORTED})"
        )
    return found
