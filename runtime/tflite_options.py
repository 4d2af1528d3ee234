"""Operator options of a .tflite file, decoded per BuiltinOptions type into plain Python values.

Each supported operator names the one options table it takes (schema.fbs `union BuiltinOptions`)
and the decoder of that table: fields by their index in the schema, defaults as the schema gives
them. A table of another type, a field the decoder does not know, or an option value the kernels
do not implement is an error naming the operator and the option in words.
"""

from __future__ import annotations

from collections.abc import Callable

from tinyflash.runtime.errors import ModelFormatError, UnsupportedOperatorError
from tinyflash.runtime.flatbuffer import Table
from tinyflash.runtime.tflite_schema import BUILTIN_OPTIONS

__all__ = ["FUSED_ACTIVATIONS", "OPTIONS", "PADDINGS", "decode_options"]

# schema.fbs enum ActivationFunctionType (the ones the kernels implement) and enum Padding.
FUSED_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6"}
_ACTIVATION_NAMES = {**FUSED_ACTIVATIONS, 4: "TANH", 5: "SIGN_BIT"}
PADDINGS = {0: "SAME", 1: "VALID"}


class _Fields:
    """Checked reads of one options table (None: the table is absent, every field default)."""

    def __init__(self, table: Table | None, where: str, known: int):
        self.t, self.where = table, where
        if table is not None:
            extra = [i for i in range(known, table.nfields) if table.has(i)]
            if extra:
                raise UnsupportedOperatorError(
                    f"{where}: options field {extra[0]} is not known to this reader (it knows "
                    f"fields 0..{known - 1} of the options table)"
                )

    def get(self, index: int, kind: str, default, name: str):
        return default if self.t is None else self.t.scalar(index, kind, default, name)

    def activation(self, index: int) -> str:
        code = self.get(index, "i8", 0, "fused_activation_function")
        if code not in FUSED_ACTIVATIONS:
            found = _ACTIVATION_NAMES.get(code, f"unknown code {code}")
            raise UnsupportedOperatorError(
                f"{self.where}: fused activation {found} is not supported; supported: "
                f"{list(FUSED_ACTIVATIONS.values())}"
            )
        return FUSED_ACTIVATIONS[code]

    def padding(self, index: int) -> str:
        code = self.get(index, "i8", 0, "padding")
        if code not in PADDINGS:
            raise ModelFormatError(f"{self.where}: padding code {code}; known: SAME (0), VALID (1)")
        return PADDINGS[code]


def _none(f: _Fields) -> dict:
    return {}


def _conv_2d(f: _Fields) -> dict:
    bias_type = f.get(6, "i8", 0, "quantized_bias_type")
    if bias_type not in (0, 2):  # unset (FLOAT32 default) or INT32
        raise UnsupportedOperatorError(
            f"{f.where}: quantized_bias_type {bias_type} is not supported; supported: INT32"
        )
    return {
        "padding": f.padding(0),
        "stride_w": f.get(1, "i32", 0, "stride_w"),
        "stride_h": f.get(2, "i32", 0, "stride_h"),
        "fused_activation": f.activation(3),
        "dilation_w": f.get(4, "i32", 1, "dilation_w_factor"),
        "dilation_h": f.get(5, "i32", 1, "dilation_h_factor"),
    }


def _depthwise_conv_2d(f: _Fields) -> dict:
    return {
        "padding": f.padding(0),
        "stride_w": f.get(1, "i32", 0, "stride_w"),
        "stride_h": f.get(2, "i32", 0, "stride_h"),
        "depth_multiplier": f.get(3, "i32", 0, "depth_multiplier"),
        "fused_activation": f.activation(4),
        "dilation_w": f.get(5, "i32", 1, "dilation_w_factor"),
        "dilation_h": f.get(6, "i32", 1, "dilation_h_factor"),
    }


def _pool_2d(f: _Fields) -> dict:
    return {
        "padding": f.padding(0),
        "stride_w": f.get(1, "i32", 0, "stride_w"),
        "stride_h": f.get(2, "i32", 0, "stride_h"),
        "filter_w": f.get(3, "i32", 0, "filter_width"),
        "filter_h": f.get(4, "i32", 0, "filter_height"),
        "fused_activation": f.activation(5),
    }


def _fully_connected(f: _Fields) -> dict:
    if f.get(1, "i8", 0, "weights_format") != 0:
        raise UnsupportedOperatorError(
            f"{f.where}: weights_format SHUFFLED4x16INT8 is not supported; supported: DEFAULT"
        )
    if f.get(3, "u8", 0, "asymmetric_quantize_inputs"):
        raise UnsupportedOperatorError(
            f"{f.where}: asymmetric_quantize_inputs (hybrid) is not supported"
        )
    bias_type = f.get(4, "i8", 0, "quantized_bias_type")
    if bias_type not in (0, 2):
        raise UnsupportedOperatorError(
            f"{f.where}: quantized_bias_type {bias_type} is not supported; supported: INT32"
        )
    return {"fused_activation": f.activation(0), "keep_num_dims": bool(f.get(2, "u8", 0, "k"))}


def _softmax(f: _Fields) -> dict:
    return {"beta": float(f.get(0, "f32", 0.0, "beta"))}


def _reshape(f: _Fields) -> dict:
    arr = None if f.t is None else f.t.array(0, "new_shape", "i32")
    return {"new_shape": None if arr is None else tuple(int(d) for d in arr)}


def _add(f: _Fields) -> dict:
    return {"fused_activation": f.activation(0), "pot_scale_int16": bool(f.get(1, "u8", 1, "p"))}


def _activation_only(f: _Fields) -> dict:
    return {"fused_activation": f.activation(0)}


def _concatenation(f: _Fields) -> dict:
    return {"axis": f.get(0, "i32", 0, "axis"), "fused_activation": f.activation(1)}


def _reducer(f: _Fields) -> dict:
    return {"keep_dims": bool(f.get(0, "u8", 0, "keep_dims"))}


def _strided_slice(f: _Fields) -> dict:
    names = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")
    out: dict = {name: f.get(i, "i32", 0, name) for i, name in enumerate(names)}
    out["offset"] = bool(f.get(5, "u8", 0, "offset"))
    return out


def _pack(f: _Fields) -> dict:
    return {"values_count": f.get(0, "i32", 0, "values_count"), "axis": f.get(1, "i32", 0, "axis")}


def _squeeze(f: _Fields) -> dict:
    arr = None if f.t is None else f.t.array(0, "squeeze_dims", "i32")
    return {"squeeze_dims": () if arr is None else tuple(int(d) for d in arr)}


def _shape(f: _Fields) -> dict:
    return {"out_type": f.get(0, "i8", 0, "out_type")}  # TensorType (the schema's default 0)


# operator -> (its BuiltinOptions table name or None, number of fields the decoder knows, decoder)
OPTIONS: dict[str, tuple[str | None, int, Callable[[_Fields], dict]]] = {
    "ADD": ("AddOptions", 2, _add),
    "AVERAGE_POOL_2D": ("Pool2DOptions", 6, _pool_2d),
    "BATCH_TO_SPACE_ND": ("BatchToSpaceNDOptions", 0, _none),
    "CONCATENATION": ("ConcatenationOptions", 2, _concatenation),
    "CONV_2D": ("Conv2DOptions", 7, _conv_2d),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", 7, _depthwise_conv_2d),
    "DEQUANTIZE": ("DequantizeOptions", 0, _none),
    "FULLY_CONNECTED": ("FullyConnectedOptions", 5, _fully_connected),
    "LOGISTIC": (None, 0, _none),
    "MAX_POOL_2D": ("Pool2DOptions", 6, _pool_2d),
    "MEAN": ("ReducerOptions", 1, _reducer),
    "MUL": ("MulOptions", 1, _activation_only),
    "PACK": ("PackOptions", 2, _pack),
    "PAD": ("PadOptions", 0, _none),
    "QUANTIZE": ("QuantizeOptions", 0, _none),
    "RELU": (None, 0, _none),
    "RELU6": (None, 0, _none),
    "RELU_N1_TO_1": (None, 0, _none),
    "RESHAPE": ("ReshapeOptions", 1, _reshape),
    "SHAPE": ("ShapeOptions", 1, _shape),
    "SOFTMAX": ("SoftmaxOptions", 1, _softmax),
    "SPACE_TO_BATCH_ND": ("SpaceToBatchNDOptions", 0, _none),
    "SQUEEZE": ("SqueezeOptions", 1, _squeeze),
    "STRIDED_SLICE": ("StridedSliceOptions", 6, _strided_slice),
    "TANH": (None, 0, _none),
}


def decode_options(op: str, options_type: int, table: Table | None, where: str) -> dict:
    """The operator's options as a dict; the table must be the type the operator takes."""
    if op not in OPTIONS:
        raise UnsupportedOperatorError(f"{where}: the reader has no options decoder for {op}")
    expected, known, decode = OPTIONS[op]
    found = BUILTIN_OPTIONS.get(options_type, f"unknown options type {options_type}")
    if table is not None or options_type != 0:
        if found != expected:
            raise ModelFormatError(
                f"{where}: builtin_options is {found}, expected {expected or 'none'} for {op}"
            )
    return decode(_Fields(table, where, known))
