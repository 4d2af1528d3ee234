"""Load a trained Keras model and check that the exporter can represent it.

Supported: what tinyflash.train builds, and the models users bring (`tinyflash export
MODEL.keras`, keras.applications.MobileNet among them). One input, either flat (batch, features)
or an image (batch, H, W, C) with static sizes, and one output of shape (batch, outputs)
produced by a Dense (softmax for a classifier, linear for regression), an Activation / Softmax
(softmax or linear), a Reshape or a Flatten (MobileNet's classifier is a 1x1 Conv2D, Reshape to
(classes,), Activation softmax). In between, any graph (Sequential or functional, with residual
Add and Concatenate) of these layers:

    Dense               activation relu | sigmoid | tanh | linear, with a bias, on (batch, F)
    Conv2D, DepthwiseConv2D, SeparableConv2D
                        channels_last, activation linear | relu | relu6 (Conv2D: groups 1)
    MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D   channels_last (keepdims either)
    BatchNormalization  on the channel axis (folded into the convolution before it)
    ReLU                plain, or max_value 6 (ReLU6); no negative slope, no threshold
    Activation          relu | relu6 | sigmoid | tanh | linear | softmax; Softmax on axis -1
    ZeroPadding2D       channels_last (a PAD)
    Add, Concatenate    (Concatenate not along the batch axis)
    Flatten, Reshape    static shapes (see `static_flatten`); Dropout (an identity at
                        inference: it vanishes from every artifact)

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
    "is_classifier",
    "load",
    "output_layer",
    "static_flatten",
]

HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
OUTPUT_ACTIVATIONS = ("softmax", "linear")  # a classifier, or regression outputs
CONV_ACTIVATIONS = ("linear", "relu", "relu6")
LAYER_ACTIVATIONS = ("relu", "relu6", "sigmoid", "tanh", "linear", "softmax")  # Activation(..)
CONVOLUTIONS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")
POOLS = ("MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D")
PLAIN = ("Flatten", "Reshape", "Dropout", "Add", "Concatenate", "BatchNormalization", "ReLU",
         "Activation", "Softmax", "ZeroPadding2D")  # fmt: skip
OUTPUT_LAYERS = ("Dense", "Activation", "Softmax", "Reshape", "Flatten")
SUPPORTED = (
    "one input (batch, features) or (batch, H, W, C); layers Dense(relu|sigmoid|tanh|linear), "
    "Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, "
    "GlobalAveragePooling2D, BatchNormalization, ReLU, ReLU6, Activation, Softmax, "
    "ZeroPadding2D, Add, Concatenate, Flatten, Reshape, Dropout; one output (batch, outputs) "
    "from a Dense(softmax|linear), Activation(softmax|linear), Softmax, Reshape or Flatten"
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
    """`model` with every Flatten and Reshape replaced by a reshape to (-1, *its output shape),
    same weights.

    Keras's Flatten and Reshape reshape to (shape(x)[0], ...), a batch size read at run time,
    which the converters write as SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE (and Shape, Slice,
    Concat in ONNX, which tf2onnx folds or not depending on what the process ran before); the
    -1 form is one RESHAPE with a constant shape and any batch. A model without either is
    returned as it is.
    """
    import keras

    kinds = (keras.layers.Flatten, keras.layers.Reshape)
    if not any(isinstance(layer, kinds) for layer in model.layers):
        return model

    class StaticReshape(keras.layers.Layer):
        """(N, ...) -> (N, *shape), the batch as -1."""

        def __init__(self, shape: tuple[int, ...], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.shape = tuple(shape)

        def call(self, x: Any) -> Any:
            return keras.ops.reshape(x, (-1, *self.shape))

        def compute_output_shape(self, shape: Any) -> Any:
            return (shape[0], *self.shape)

    def clone(layer: Any) -> Any:
        if isinstance(layer, kinds):
            return StaticReshape(tuple(int(d) for d in layer.output.shape[1:]), name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def output_layer(model: Any) -> Any:
    """The layer that produces the model's (first) output."""
    history = getattr(model.outputs[0], "_keras_history", None)
    return history[0] if history is not None else model.layers[-1]


def is_classifier(model: Any) -> bool:
    """True if the model's output layer is a softmax (Dense, Activation or Softmax)."""
    last = output_layer(model)
    return type(last).__name__ == "Softmax" or last.get_config().get("activation") == "softmax"


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
    if kind == "Activation" and _activation(layer) not in LAYER_ACTIVATIONS:
        raise UserError(
            f"{name}: activation {_activation(layer)!r}; supported: {', '.join(LAYER_ACTIVATIONS)}"
        )
    if kind == "Softmax" and config.get("axis") not in (-1, [-1]):
        raise UserError(f"{name}: axis {config.get('axis')}; supported: the last axis (-1)")
    if kind == "Concatenate" and config.get("axis") == 0:
        raise UserError(f"{name}: axis 0 (the batch); supported: any other axis")
    if kind in ("Flatten", "Reshape") and not all(
        isinstance(d, int) for d in tuple(layer.output.shape)[1:]
    ):
        raise UserError(f"{name}: output shape {tuple(layer.output.shape)}; supported: static")


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
    out_shape = tuple(outputs[0].shape)
    last = output_layer(model) if layers else None
    last_kind = type(last).__name__
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    for layer in layers:
        if layer not in dense:
            _check_layer(layer, where)
    for layer in dense:
        x_shape = tuple(layer.input.shape)
        if len(x_shape) != 2:
            raise UserError(
                f"{where}: layer {layer.name!r} (Dense) reads a tensor of shape {x_shape}; "
                "supported: Dense on (batch, features) (put a Flatten or GlobalAveragePooling2D "
                "before it)"
            )
    if last is None or last_kind not in OUTPUT_LAYERS or len(out_shape) != 2:
        raise UserError(
            f"{where}: the model output {out_shape} comes from "
            f"{'no layer' if last is None else f'layer {last.name!r} ({last_kind})'}; supported: "
            "an output of shape (batch, outputs) from a Dense(softmax|linear), "
            "Activation(softmax|linear), Softmax, Reshape or Flatten"
        )
    if last_kind == "Activation" and _activation(last) not in OUTPUT_ACTIVATIONS:
        raise UserError(
            f"{where}: layer {last.name!r} is the output layer with activation "
            f"{_activation(last)!r}; supported there: {', '.join(OUTPUT_ACTIVATIONS)}"
        )
    found: list[DenseLayer] = []
    for layer in dense:
        act = _activation(layer)
        allowed = OUTPUT_ACTIVATIONS if layer is last else HIDDEN_ACTIVATIONS
        if act not in allowed:
            role = "the output layer" if layer is last else "a hidden layer"
            raise UserError(
                f"{where}: layer {layer.name!r} is {role} with activation {act!r}; supported "
                f"there: {', '.join(allowed)}"
            )
        if not layer.use_bias:
            raise UserError(
                f"{where}: layer {layer.name!r} has no bias; supported: Dense with bias"
            )
        found.append(DenseLayer(layer.name, int(layer.input.shape[1]), int(layer.units), act))
    return found
