"""Hostile inputs to model(x): each is refused with a clear error or has a documented behaviour.

The contract (tinyflash.runtime.interpreter, Model.__call__), for every real exported model in
tests/hostile/corpus (.tflite and .onnx, float32 and int8):
  - x must be (N, *model.input.shape); anything else raises InputError (a UserError and a
    ValueError) naming the expected and the found shape.
  - dtype: the input's own dtype (any byte order), or, for a quantized input, any float dtype,
    which is quantized with TFLite's rounding (half away from zero) and SATURATES to the int8
    range; anything else (bool, uint8 for an int8 input, float64 for a float32 model, object)
    raises InputError naming both dtypes.
  - NaN or +-Inf in a float input raises InputError naming the first row and feature (an int8
    model would otherwise quantize NaN to the zero point: a silent, plausible answer).
  - N = 0 returns an empty (0, *output.shape) batch of the output dtype.
  - memory layout does not matter: strided, Fortran-ordered, read-only and big-endian views
    give exactly the bits of a C-contiguous copy.
Large finite floats are not range-checked for float32 models (float arithmetic, as TFLite).
"""

from __future__ import annotations

import fuzzlib
import numpy as np
import pytest

import tinyflash.runtime as rt
from tinyflash.errors import UserError

MODELS = sorted(p.name for p in fuzzlib.CORPUS.iterdir() if p.name.startswith("16_relu."))


@pytest.fixture(scope="module", params=MODELS)
def model(request):
    return rt.load(fuzzlib.CORPUS / request.param)


@pytest.fixture(scope="module")
def pixels(mnist):
    """(8, 784) float32: real MNIST test images / 255."""
    return mnist.x_test[:8].reshape(8, -1).astype(np.float32) / np.float32(255)


def _native(model, pixels):
    if model.input.dtype == "float32":
        return pixels
    from tinyflash.runtime.quantize import quantize

    return quantize(pixels, model.input.scale, model.input.zero_point, model.input.dtype)


def _refused(model, x, *words):
    with pytest.raises(rt.InputError) as info:
        model(x)
    assert isinstance(info.value, ValueError) and isinstance(info.value, UserError)
    message = str(info.value)
    assert "\n" not in message and all(w in message for w in words), message
    return message


@pytest.mark.parametrize("shape", [(784,), (8, 28, 28), (8, 783), (8, 785), (1, 8, 784), ()])
def test_wrong_shape_is_refused(model, pixels, shape):
    x = np.resize(_native(model, pixels), shape)
    _refused(model, x, "shape", "(N, 784)", str(x.shape))


@pytest.mark.parametrize(
    "dtype",
    ["bool", "uint8", "int16", "int32", "int64", "object", "complex64", "float64", "float16", "U3"],
)
def test_wrong_dtype_is_refused_or_quantized(model, pixels, dtype):
    x = pixels.astype(dtype) if dtype != "U3" else pixels.astype(str)
    if model.input.dtype == "int8" and x.dtype.kind == "f":  # documented: quantized
        np.testing.assert_array_equal(model(x), model(pixels.astype(np.float32)))
        return
    _refused(model, x, "dtype", model.input.dtype, x.dtype.name)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_floats_are_refused(model, pixels, bad):
    x = pixels.copy()
    x[5, 300] = bad
    _refused(model, x, "finite", "row 5", "feature 300")


def test_int8_inputs_saturate_like_tflite_quantize(model, pixels):
    """Out-of-range floats to an int8 model: clamped to the int8 codes, exactly as TFLite's
    QUANTIZE; the float32 model computes with them as given (no range check)."""
    x = pixels.copy()
    x[:, :100] = 1e30
    x[:, 100:200] = -1e30
    y = model(x)
    if model.input.dtype != "int8":
        assert y.dtype == np.float32 and np.all(np.isfinite(y) | np.isnan(y))
        return
    q = _native(model, pixels).copy()
    q[:, :100], q[:, 100:200] = 127, -128
    np.testing.assert_array_equal(y, model(q))


def test_empty_batch_gives_an_empty_result(model, pixels):
    y = model(_native(model, pixels)[:0])
    assert y.shape == (0, *model.output.shape) and y.dtype == np.dtype(model.output.dtype)


def test_memory_layout_does_not_change_the_bits(model, pixels):
    x = _native(model, pixels)
    expected = model(np.ascontiguousarray(x))
    strided = np.repeat(x, 2, axis=0)[::2]
    fortran = np.asfortranarray(x)
    readonly = x.copy()
    readonly.setflags(write=False)
    for view in (strided, fortran, readonly, x.astype(x.dtype.newbyteorder(">"))):
        np.testing.assert_array_equal(model(view), expected)
    assert not strided.flags.c_contiguous and not fortran.flags.c_contiguous


def test_the_input_is_not_modified(model, pixels):
    x = _native(model, pixels).copy()
    before = x.copy()
    model(x)
    np.testing.assert_array_equal(x, before)
