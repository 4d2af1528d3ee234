"""FULLY_CONNECTED int8 (per-tensor and per-channel, every fused activation, no bias) and float32,
single-operator models against TFLM and ai-edge-litert BUILTIN_REF."""

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import Op, T, build_model

import tinyflash.runtime as rt
from tinyflash.export.reference import run_litert, run_tflm

FUSED = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def _model(n_in, n_out, fused, per_channel, bias=True, dtype="int8", seed=0):
    rng = np.random.default_rng(seed)
    opts = schema.FullyConnectedOptionsT()
    opts.fusedActivationFunction = FUSED[fused]
    if dtype == "float32":
        tensors = [
            T("x", (1, n_in), "float32"),
            T("w", (n_out, n_in), "float32", rng.normal(0, 0.2, (n_out, n_in))),
            T("b", (n_out,), "float32", rng.normal(0, 0.1, n_out)),
            T("y", (1, n_out), "float32"),
        ]
    else:
        in_s, w_s = 0.0213, rng.uniform(0.002, 0.02, n_out if per_channel else 1)
        tensors = [
            T("x", (1, n_in), "int8", scale=[in_s], zero_point=[-7]),
            T(
                "w",
                (n_out, n_in),
                "int8",
                rng.integers(-127, 128, (n_out, n_in)),
                scale=list(w_s),
                zero_point=[0] * len(w_s),
            ),
            T(
                "b",
                (n_out,),
                "int32",
                rng.integers(-3000, 3000, n_out),
                scale=list(np.float32(in_s) * w_s.astype(np.float32)),
                zero_point=[0] * len(w_s),
            ),
            T("y", (1, n_out), "int8", scale=[0.0131 * np.sqrt(n_in)], zero_point=[5]),
        ]
    inputs = [0, 1, 2] if bias else [0, 1, -1]
    op = Op("FULLY_CONNECTED", inputs, [3], opts, schema.BuiltinOptions.FullyConnectedOptions)
    return build_model(tensors, [op], [0], [3])


@pytest.mark.parametrize("fused", list(FUSED))
@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("n_in,n_out", [(784, 37), (19, 10), (5, 1)])
def test_int8(fused, per_channel, n_in, n_out):
    model = _model(n_in, n_out, fused, per_channel)
    rng = np.random.default_rng(n_in)
    x = rng.integers(-128, 128, (500, n_in), dtype=np.int8)
    x[:3] = [[-128], [127], [0]]
    refs = {"tflm": run_tflm(model, x), "litert": run_litert(model, x, kernels="reference")}
    for rounding, ref in refs.items():
        np.testing.assert_array_equal(rt.load(model, rounding=rounding)(x), ref, rounding)


def test_int8_without_bias():
    model = _model(19, 10, "RELU", True, bias=False)
    x = np.random.default_rng(1).integers(-128, 128, (300, 19), dtype=np.int8)
    np.testing.assert_array_equal(rt.load(model)(x), run_tflm(model, x))
    np.testing.assert_array_equal(
        rt.load(model, rounding="litert")(x), run_litert(model, x, kernels="reference")
    )


@pytest.mark.parametrize("fused", list(FUSED))
def test_float32(fused):
    model = _model(37, 11, fused, False, dtype="float32")
    x = np.random.default_rng(2).normal(0, 1, (300, 37)).astype(np.float32)
    got = rt.load(model)(x)
    for ref in (run_tflm(model, x), run_litert(model, x, kernels="reference")):
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)


def test_prepared_constants_are_public():
    params = rt.prepare(rt.load(_model(19, 10, "RELU6", True)).graph, "tflm")
    (p,) = params
    assert p.multipliers.shape == (10,) and p.shifts.shape == (10,)
    assert p.weights.shape == (10, 19) and p.bias.dtype == np.int32
    assert p.act_min >= 5 and p.per_channel and p.rounding == "tflm"


@pytest.mark.parametrize("n_in", [1024, 1100])  # float32 BLAS path at 1024, float64 above
def test_int8_exact_at_the_blas_precision_limit(n_in):
    """All-extreme rows against weights of -128 / 127: the largest sums the kernel can see."""
    model = _model(n_in, 3, "NONE", True, seed=n_in)
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    m = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    w = m.subgraphs[0].tensors[1]
    data = np.full((3, n_in), -128, np.int8)
    data[1] = 127
    data[2, ::2] = 127
    m.buffers[w.buffer].data = data.reshape(-1).view(np.uint8).tolist()
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    model = bytes(b.Output())
    x = np.stack(
        [np.full(n_in, -128), np.full(n_in, 127), np.where(np.arange(n_in) % 2, 127, -128)]
    )
    x = x.astype(np.int8)
    for rounding, ref in {
        "tflm": run_tflm(model, x),
        "litert": run_litert(model, x, kernels="reference"),
    }.items():
        p = rt.prepare(rt.load(model).graph, rounding)[0]
        assert p.weights_t.dtype == (np.float32 if n_in <= 1024 else np.float64)
        np.testing.assert_array_equal(rt.load(model, rounding=rounding)(x), ref, rounding)


def test_int8_on_a_4d_input_flattens_it():
    """Older converters feed (1, H, W, C) straight into FULLY_CONNECTED (no RESHAPE)."""
    from runtime_testkit import act_t, bias_t, check_tensors, filter_t, one_op, random_input

    rng = np.random.default_rng(3)
    w = filter_t(rng, "w", (5, 2 * 3 * 4), 0, True)
    opts = schema.FullyConnectedOptionsT()
    model = one_op(
        "FULLY_CONNECTED",
        [act_t("x", (1, 2, 3, 4), (0.02, 3)), w, bias_t(rng, "b", 0.02, w)],
        act_t("y", (1, 5), (0.05, -2)),
        opts,
        schema.BuiltinOptions.FullyConnectedOptions,
    )
    check_tensors(model, random_input(model, 50))
