"""The ONNX reader and kernels against onnxruntime, and against the int8 TFLite model."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from tests_support import MLAS_AVX512

import tinyflash.runtime as rt
from tinyflash.export.reference import run_onnxruntime
from tinyflash.runtime.onnx import read_onnx
from tinyflash.runtime.ops.onnx_sigmoid import run as run_sigmoid
from tinyflash.runtime.ops.onnx_softmax import run as run_softmax
from tinyflash.runtime.ops.onnx_tanh import run as run_tanh
from tinyflash.runtime.quantize import quantize

MODELS = [
    ((32,), "relu"),
    ((32,), "sigmoid"),
    ((32,), "tanh"),
    ((32,), "linear"),
    ((37, 19), "relu"),
]
ALLOWED = (rt.ModelFormatError, rt.UnsupportedOperatorError)


@pytest.mark.parametrize("hidden,activation", MODELS)
def test_float_onnx_matches_onnxruntime(onnx_models, x_test_pixels, hidden, activation):
    """Bit-identical to onnxruntime with optimizations off (MLAS's SGEMM order and activation
    approximations); within 1e-6 of its optimized graph (fused kernels sum in another order)."""
    path = onnx_models(hidden, activation)["float32"]
    x = x_test_pixels[:3000]
    got = rt.load(path)(x)
    if MLAS_AVX512:
        np.testing.assert_array_equal(got, run_onnxruntime(path, x, optimize=False))
    for optimize in (False, True):
        np.testing.assert_allclose(
            got, run_onnxruntime(path, x, optimize=optimize), atol=1e-6, rtol=0
        )


@pytest.mark.slow
@pytest.mark.parametrize("hidden,activation", MODELS)
def test_int8_onnx_matches_onnxruntime(
    onnx_models, tflite_models, x_test_pixels, hidden, activation
):
    """Equal to onnxruntime with graph optimizations off, every byte, where onnxruntime runs the
    MLAS kernels the runtime reproduces (x86-64 AVX-512F): on the 10,000 test images, 10,000
    random int8 rows and the extreme rows (the MatMul reproduces MLAS's float32 summation
    order, Sigmoid / Tanh / Softmax its approximations: runtime/ops/onnx_math.py). On other
    CPUs within 1 LSB on at most 1 element in 10,000."""
    path = onnx_models(hidden, activation)["int8"]
    model = rt.load(path)
    assert model.input.dtype == "int8" and model.input.scale is not None
    x = quantize(x_test_pixels, model.input.scale, model.input.zero_point)
    noise = np.random.default_rng(9).integers(-128, 128, (10_000, 784), dtype=np.int8)
    extremes = np.array([[-128] * 784, [127] * 784, [-128, 127] * 392, [127, -128] * 392], np.int8)
    got = model(x)
    for rows in (x, noise, extremes):
        ref = run_onnxruntime(path, rows, optimize=False)
        if MLAS_AVX512:
            np.testing.assert_array_equal(model(rows), ref)
        else:  # another MLAS exp / logistic kernel (AVX2, NEON): a rounding boundary may move
            # by one bit, so one element may be 1 LSB off (measured under QEMU's Haswell CPU:
            # README.md, 'CPUs tried').
            diff = np.abs(model(rows).astype(int) - ref)
            assert diff.max() <= 1 and np.mean(diff != 0) <= 1e-4, (diff.max(), np.sum(diff != 0))
    tfl = rt.load(tflite_models(hidden, activation)["int8"])(x)
    exact = np.mean(np.all(got == tfl, axis=1))
    print(
        f"{hidden} {activation}: vs int8 TFLite exact rows "
        f"{exact:.4f}, max LSB {np.abs(got.astype(int) - tfl).max()}"
    )
    assert exact >= 0.95  # QDQ float requantization vs TFLite fixed point (export's choice)


def _activation_inputs() -> np.ndarray:
    """(100_000,) float32: normal and uniform values around the approximations' ranges, random
    bit patterns (subnormals, huge values) and the edges (+-0, range ends, +-inf, NaN)."""
    rng = np.random.default_rng(13)
    bits = rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    edges = [0.0, -0.0, 1e-45, -1e-45, 9.0, -9.0, 18.0, -18.0, -103.972, 88.8, 3e38, -3e38]
    edges += [np.inf, -np.inf, np.nan]
    parts = [rng.normal(0, 3, 40_000), rng.uniform(-120, 120, 40_000 - len(edges)), edges]
    return np.concatenate([np.concatenate(parts).astype(np.float32), bits])


def _single_node(op: str, shape: list, **attrs) -> bytes:
    g = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], **attrs)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@pytest.mark.parametrize(
    "op,width", [("Sigmoid", 1), ("Tanh", 1)] + [("Softmax", w) for w in (1, 10, 17, 48, 100)]
)
def test_float_activations_bit_identical_to_onnxruntime(op, width):
    """One Sigmoid / Tanh / Softmax node on 100,000 float32 values: every bit equal to
    onnxruntime's MLAS kernels, through the runtime (finite rows: it refuses others) and the
    kernel itself (all rows, NaN where onnxruntime gives NaN)."""
    if not MLAS_AVX512:
        pytest.skip("onnxruntime runs MLAS's AVX-512F/FMA3 kernels only on such x86-64 CPUs")
    x = _activation_inputs()
    x = x[: len(x) // width * width].reshape(-1, width)
    data = _single_node(op, [None, width])
    kernel = {"Sigmoid": run_sigmoid, "Tanh": run_tanh, "Softmax": run_softmax}[op]
    np.testing.assert_array_equal(kernel(None, x), run_onnxruntime(data, x, optimize=False))
    finite = x[np.isfinite(x).all(axis=1)]
    np.testing.assert_array_equal(rt.load(data)(finite), run_onnxruntime(data, finite, False))


def _tiny(nodes, inits, input_type=TensorProto.FLOAT, opset=17):
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", input_type, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


W = helper.make_tensor("w", TensorProto.FLOAT, [3, 2], [1, 2, 3, 4, 5, 6])


def _bad_dims():
    t = helper.make_tensor(
        "w", TensorProto.FLOAT, [3, 2], np.arange(6, dtype=np.float32).tobytes(), raw=True
    )
    t.dims[1] = 3  # 6 values stored, 9 declared
    return t


def test_tiny_graph_runs():
    data = _tiny([helper.make_node("MatMul", ["x", "w"], ["y"])], [W])
    y = rt.load(data)(np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(y, np.full((4, 2), [9, 12], np.float32))


@pytest.mark.parametrize(
    "data,message",
    [
        (b"\x08\x07garbage\xff\xff", "ONNX"),
        (_tiny([helper.make_node("MatMul", ["x", "nope"], ["y"])], [W]), "nope"),
        (_tiny([helper.make_node("MatMul", ["x", "w"], ["y"])], [W], opset=11), "opset"),
        (_tiny([helper.make_node("MatMul", ["x", "w"], ["y"], domain="com.x")], [W]), "domain"),
        (_tiny([helper.make_node("MatMul", ["x", "w"], ["y"])], [_bad_dims()]), "'w'"),
        (_tiny([helper.make_node("Conv", ["x", "w"], ["y"])], [W]), "Conv"),
        (
            _tiny(
                [helper.make_node("MatMul", ["x", "w"], ["y"])],
                [helper.make_tensor("w", TensorProto.DOUBLE, [3, 2], [1.0] * 6)],
            ),
            "data type",
        ),
    ],
)
def test_malformed_onnx(data, message):
    with pytest.raises(ALLOWED, match=message):
        rt.load(data)


def test_truncated_and_corrupted_real_file(onnx_models):
    data = onnx_models((32,), "relu")["int8"].read_bytes()
    rng = np.random.default_rng(5)
    for n in rng.integers(0, len(data), 60):
        with pytest.raises(ALLOWED):
            rt.Model(read_onnx(data[:n]))
    for _ in range(300):
        buf = bytearray(data)
        buf[int(rng.integers(0, 4000))] = int(rng.integers(0, 256))  # the graph structure
        try:
            rt.Model(read_onnx(bytes(buf)))(np.zeros((2, 784), np.int8))
        except ALLOWED:
            pass


def test_onnx_reader_keeps_quantization_of_io(onnx_models):
    g = read_onnx(onnx_models((32,), "sigmoid")["int8"].read_bytes())
    assert g.format == "onnx" and g.tensors[g.inputs[0]].quant is not None
    assert g.tensors[g.outputs[0]].quant.zero_point[0] == -128
    assert {op.op for op in g.operators} == {
        "DequantizeLinear",
        "MatMul",
        "Add",
        "QuantizeLinear",
        "Sigmoid",
        "Softmax",
    }
    assert onnx  # the reader needs the onnx package, never onnxruntime


def test_int8_onnx_single_rows_match_onnxruntime(onnx_models, x_test_pixels):
    """One image per call takes MLAS's M=1 kernel (another summation order): still equal."""
    path = onnx_models((37, 19), "relu")["int8"]
    model = rt.load(path)
    x = quantize(x_test_pixels[:150], model.input.scale, model.input.zero_point)
    x = np.concatenate([x, np.random.default_rng(2).integers(-128, 128, (150, 784), np.int8)])
    got = np.concatenate([model(x[i : i + 1]) for i in range(len(x))])
    ref = np.concatenate(
        [run_onnxruntime(path, x[i : i + 1], optimize=False) for i in range(len(x))]
    )
    np.testing.assert_array_equal(got, ref)


def test_fma32_rounds_once():
    """_fma32 equals a * b + c rounded once to float32 (exact rationals), also where rounding
    through float64 would land on a float32 tie: (1 + 2^-12)^2 + 2^-60 must round up."""
    from fractions import Fraction

    from tinyflash.runtime.ops.onnx_math import _fma32

    one = np.float32(1 + 2**-12)
    tie = _fma32(
        np.array([one, one]), np.array([one, -one]), np.array([2**-60, -(2**-60)], np.float32)
    )
    up = 1 + 2**-11 + 2**-23
    np.testing.assert_array_equal(tie, np.array([up, -up], np.float32))
    rng = np.random.default_rng(4)
    a, b = (1 + rng.integers(0, 2**23, (2, 3000)) * 2.0**-23).astype(np.float32)
    c = (rng.choice([-1, 1], 3000) * 2.0 ** rng.integers(-80, 2, 3000)).astype(np.float32)
    for ai, bi, ci, got in zip(a, b, c, _fma32(a, b, c), strict=True):
        exact = Fraction(float(ai)) * Fraction(float(bi)) + Fraction(float(ci))
        near = np.float32(float(exact))
        steps = [
            np.nextafter(near, np.float32(-np.inf)),
            near,
            np.nextafter(near, np.float32(np.inf)),
        ]
        best = min(steps, key=lambda v: (abs(Fraction(float(v)) - exact), v.view(np.uint32) & 1))
        assert got == best, (ai, bi, ci, got, best)
