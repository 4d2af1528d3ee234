"""Load a trained Keras model and check that the exporter can represent it.

Supported: a chain `Input(F) -> [Dense(act) | Dropout]* -> Dense(softmax)`, i.e. what
tinyflash.train builds. Hidden Dense activations: relu, sigmoid, tanh, linear; the last layer
is Dense with softmax; every Dense has a bias; Dropout is an identity at inference and vanishes
from every artifact. Anything else raises UserError naming the layer and what is supported,
before any file is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyflash.errors import UserError

__all__ = ["HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "DenseLayer", "check_supported", "load"]

HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
OUTPUT_ACTIVATIONS = ("softmax",)
SUPPORTED = (
    "a chain Input(features) -> Dense(relu|sigmoid|tanh|linear) / Dropout ... -> Dense(softmax)"
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


def _activation(layer: Any) -> str:
    act = layer.get_config().get("activation")
    return act if isinstance(act, str) else repr(act)


def check_supported(model: Any, where: str = "model") -> list[DenseLayer]:
    """Raise UserError unless `model` is a supported Dense chain; return its Dense layers."""
    import keras

    inputs, outputs = list(model.inputs), list(model.outputs)
    if len(inputs) != 1 or len(outputs) != 1:
        raise UserError(
            f"{where}: expected one input and one output, found {len(inputs)} inputs and "
            f"{len(outputs)} outputs (supported: {SUPPORTED})"
        )
    in_shape = tuple(inputs[0].shape)
    if len(in_shape) != 2 or not isinstance(in_shape[1], int):
        raise UserError(
            f"{where}: expected a flat input of shape (batch, features), found {in_shape} "
            f"(supported: {SUPPORTED})"
        )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    found: list[DenseLayer] = []
    features = in_shape[1]
    for layer in layers:
        kind = type(layer).__name__
        if isinstance(layer, keras.layers.Dropout):
            continue
        if not isinstance(layer, keras.layers.Dense):
            raise UserError(
                f"{where}: layer {layer.name!r} is a {kind}; only Dense and Dropout layers are "
                f"supported ({SUPPORTED})"
            )
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
        found.append(DenseLayer(layer.name, features, int(layer.units), act))
        features = int(layer.units)
    if not found:
        raise UserError(f"{where}: no Dense layer found (supported: {SUPPORTED})")
    return found
