"""QUANTIZE and DEQUANTIZE as graph operators (rt.load on one-op models) against TFLM and
ai-edge-litert BUILTIN_REF; the arithmetic itself is tests/runtime/test_quantize.py."""

import numpy as np
import pytest
from runtime_testkit import unary_model

import tinyflash.runtime as rt
from tinyflash.export.reference import run_litert, run_tflm


@pytest.mark.parametrize("scale,zp", [(1 / 255, -128), (0.125, 3), (0.0173, 127)])
def test_quantize_op(scale, zp):
    rng = np.random.default_rng(4)
    x = rng.uniform(-300 * scale, 300 * scale, (50, 64)).astype(np.float32)
    x[0] = (np.arange(64) - 32 + 0.5) * np.float32(scale)  # ties
    model = unary_model("QUANTIZE", 64, None, (scale, zp))
    model = _retype(model, "float32", "int8")
    got = rt.load(model)(x)
    np.testing.assert_array_equal(got, run_tflm(model, x))
    np.testing.assert_array_equal(got, run_litert(model, x, kernels="reference"))


@pytest.mark.parametrize("scale,zp", [(1 / 255, -128), (0.125, 3), (0.0173, 127)])
def test_dequantize_op(scale, zp):
    x = np.arange(-128, 128, dtype=np.int8).reshape(4, 64)
    model = _retype(unary_model("DEQUANTIZE", 64, (scale, zp), None), "int8", "float32")
    got = rt.load(model)(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, run_tflm(model, x))
    np.testing.assert_array_equal(got, run_litert(model, x, kernels="reference"))


def _retype(model: bytes, in_dtype: str, out_dtype: str) -> bytes:
    """unary_model gives both tensors one dtype; set input/output dtypes separately."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema
    from runtime_testkit import TFL_TYPES

    m = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    x, y = m.subgraphs[0].tensors
    x.type, y.type = TFL_TYPES[in_dtype], TFL_TYPES[out_dtype]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


@pytest.mark.parametrize(
    "src,dst,in_q,out_q",
    [
        ("uint8", "int8", (0.02, 128), (0.02, 0)),  # a uint8 interface: offsets only
        ("uint8", "int8", (0.02, 131), (0.013, -5)),
        ("int8", "int8", (0.05, -3), (0.011, 7)),  # where two scales meet
        ("int8", "int8", (0.011, 7), (0.2, -100)),
        ("int8", "uint8", (0.03, 0), (0.03, 128)),
    ],
)
def test_requantize_op(src, dst, in_q, out_q):
    from runtime_testkit import act_t, check_tensors, one_op

    x = act_t("x", (1, 4, 4, 16), in_q, src)
    y = act_t("y", (1, 4, 4, 16), out_q, dst)
    model = one_op("QUANTIZE", [x], y)
    info = np.iinfo(src)
    v = np.arange(info.min, info.max + 1).astype(src)
    rows = np.resize(v, (4, 4, 4, 16)).astype(src)  # every input value
    check_tensors(model, rows)
