"""The ONNX reader and kernels against onnxruntime, and against the int8 TFLite model."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import tinyflash.runtime as rt
from tinyflash.export.reference import run_onnxruntime
from tinyflash.runtime.onnx import read_onnx
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
def test_float_onnx_within_1e6(onnx_models, x_test_pixels, hidden, activation):
    path = onnx_models(hidden, activation)["float32"]
    x = x_test_pixels[:3000]
    got = rt.load(path)(x)
    for optimize in (False, True):
        np.testing.assert_allclose(
            got, run_onnxruntime(path, x, optimize=optimize), atol=1e-6, rtol=0
        )  # float32 summation order / MLAS exp approximations


@pytest.mark.slow
@pytest.mark.parametrize("hidden,activation", MODELS)
def test_int8_onnx_matches_onnxruntime(
    onnx_models, tflite_models, x_test_pixels, hidden, activation
):
    """Equal to onnxruntime with graph optimizations off: every byte on the 10,000 test images
    (the MatMul reproduces MLAS's float32 summation order, runtime/ops/onnx_math.py); on 10,000
    random int8 rows at most 1 in 10,000 elements may differ by 1 LSB, where MLAS's polynomial
    exp / logistic (Softmax, Sigmoid, Tanh) and our float64 ones straddle a rounding boundary."""
    path = onnx_models(hidden, activation)["int8"]
    model = rt.load(path)
    assert model.input.dtype == "int8" and model.input.scale is not None
    x = quantize(x_test_pixels, model.input.scale, model.input.zero_point)
    noise = np.random.default_rng(9).integers(-128, 128, (10_000, 784), dtype=np.int8)
    got = model(x)
    np.testing.assert_array_equal(got, run_onnxruntime(path, x, optimize=False))
    diff = np.abs(model(noise).astype(int) - run_onnxruntime(path, noise, optimize=False))
    assert diff.max() <= 1 and np.mean(diff != 0) <= 1e-4, (diff.max(), np.sum(diff != 0))
    tfl = rt.load(tflite_models(hidden, activation)["int8"])(x)
    exact = np.mean(np.all(got == tfl, axis=1))
    print(
        f"{hidden} {activation}: vs int8 TFLite exact rows "
        f"{exact:.4f}, max LSB {np.abs(got.astype(int) - tfl).max()}"
    )
    assert exact >= 0.95  # QDQ float requantization vs TFLite fixed point (export's choice)


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
