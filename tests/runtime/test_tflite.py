"""The .tflite reader: structure of a real file, and hostile files.

Any malformed file must raise ModelFormatError (or UnsupportedOperatorError for a valid file
using something we do not implement) naming the tensor/operator: never IndexError, struct.error,
a hang, or a silently wrong model.
"""

import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import Op, T, build_model

import tinyflash.runtime as rt
from tinyflash.runtime.tflite import read_tflite

ALLOWED = (rt.ModelFormatError, rt.UnsupportedOperatorError)


def _small_model() -> bytes:
    """784 -> FC(5, per-channel, RELU) -> SOFTMAX, int8, with constants: a compact real graph."""
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (5, 12), dtype=np.int8)
    tensors = [
        T("x", (1, 12), "int8", scale=[0.02], zero_point=[-3]),
        T("w", (5, 12), "int8", w, scale=[0.01, 0.02, 0.03, 0.015, 0.011], zero_point=[0] * 5),
        T(
            "b",
            (5,),
            "int32",
            rng.integers(-500, 500, 5, dtype=np.int32),
            scale=[0.0002, 0.0004, 0.0006, 0.0003, 0.00022],
            zero_point=[0] * 5,
        ),
        T("h", (1, 5), "int8", scale=[0.05], zero_point=[-128]),
        T("y", (1, 5), "int8", scale=[1 / 256], zero_point=[-128]),
    ]
    fc = schema.FullyConnectedOptionsT()
    fc.fusedActivationFunction = 1
    sm = schema.SoftmaxOptionsT()
    sm.beta = 1.0
    ops = [
        Op("FULLY_CONNECTED", [0, 1, 2], [3], fc, schema.BuiltinOptions.FullyConnectedOptions),
        Op("SOFTMAX", [3], [4], sm, schema.BuiltinOptions.SoftmaxOptions),
    ]
    return build_model(tensors, ops, [0], [4])


def _edit(model: bytes, change) -> bytes:
    m = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    change(m)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _outputs(data: bytes) -> np.ndarray:
    x = np.arange(-128, 127, 11, dtype=np.int8)[:12].reshape(1, 12).repeat(4, axis=0)
    return rt.Model(read_tflite(data))(x)


def test_reads_real_model_structure(tflite_models):
    g = read_tflite(tflite_models((37, 19), "relu")["int8"].read_bytes())
    assert g.format == "tflite" and len(g.sha256) == 64
    assert [op.op for op in g.operators] == ["FULLY_CONNECTED"] * 3 + ["SOFTMAX"]
    w = g.tensors[g.operators[0].inputs[1]]
    assert w.shape == (37, 784) and w.dtype == "int8" and w.quant.axis == 0
    assert w.quant.scale.shape == (37,) and not w.data.flags.writeable
    assert g.operators[0].options["fused_activation"] == "RELU"


def test_small_model_runs():
    assert _outputs(_small_model()).shape == (4, 5)


def test_every_truncation_is_rejected():
    data = _small_model()
    for n in range(len(data)):
        with pytest.raises(ALLOWED):
            read_tflite(data[:n]) if n % 2 or n < 8 else rt.load(data[:n])


def test_random_corruption_never_escapes_as_another_error():
    data = _small_model()
    reference = _outputs(data)
    rng = np.random.default_rng(7)
    outcomes = {"rejected": 0, "same": 0, "different": 0}
    for _ in range(1500):
        buf = bytearray(data)
        for pos in rng.integers(0, len(buf), rng.integers(1, 4)):
            buf[pos] = int(rng.integers(0, 256))
        try:
            out = _outputs(bytes(buf))
        except ALLOWED as exc:
            assert str(exc)
            outcomes["rejected"] += 1
            continue
        outcomes["same" if np.array_equal(out, reference) else "different"] += 1
    assert outcomes["rejected"] > 100, outcomes  # flips into weights are valid models


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda m: setattr(m.subgraphs[0].operators[0], "inputs", [0, 99, 2]), "tensor index 99"),
        (lambda m: setattr(m.subgraphs[0].operators[0], "opcodeIndex", 7), "opcode index 7"),
        (lambda m: setattr(m.subgraphs[0].tensors[1], "buffer", 40), "buffer index 40"),
        (lambda m: setattr(m.subgraphs[0].tensors[1], "shape", [5, 13]), "expected 65"),
        (
            lambda m: setattr(m.subgraphs[0].tensors[1].quantization, "zeroPoint", [0, 0]),
            "2 zero points",
        ),
        (lambda m: setattr(m.subgraphs[0].tensors[3].quantization, "scale", [-1.0]), "> 0"),
        (lambda m: setattr(m.subgraphs[0].tensors[3].quantization, "scale", [float("nan")]), "> 0"),
        (lambda m: setattr(m.subgraphs[0].tensors[0], "type", 11), "tensor type COMPLEX128"),
        (lambda m: setattr(m.subgraphs[0], "inputs", [3]), "neither a graph input"),
        (lambda m: m.subgraphs.append(m.subgraphs[0]), "exactly 1 subgraph"),
        (lambda m: setattr(m, "version", 2), "schema version 3"),
        (lambda m: setattr(m.subgraphs[0].operators[1], "outputs", [3]), "written twice"),
        (lambda m: setattr(m.subgraphs[0].tensors[0], "shape", [1, 13]), "in_features 12"),
        (
            lambda m: setattr(m.subgraphs[0].tensors[4].quantization, "zeroPoint", [0]),
            "zero point -128",
        ),
    ],
)
def test_inconsistent_models_name_the_problem(change, message):
    with pytest.raises(ALLOWED, match=message):
        rt.Model(read_tflite(_edit(_small_model(), change)))


def test_unknown_operator_lists_supported_ones():
    def to_custom(m):
        m.operatorCodes[1].builtinCode = 32
        m.operatorCodes[1].deprecatedBuiltinCode = 32
        m.operatorCodes[1].customCode = "MyOp"

    with pytest.raises(rt.UnsupportedOperatorError, match="FULLY_CONNECTED"):
        rt.load(_edit(_small_model(), to_custom))

    def to_gelu(m):
        m.operatorCodes[1].builtinCode = 150  # GELU
        m.operatorCodes[1].deprecatedBuiltinCode = 127

    with pytest.raises(
        rt.UnsupportedOperatorError, match="operator GELU is not supported.*SOFTMAX"
    ):
        rt.load(_edit(_small_model(), to_gelu))

    def to_unknown(m):
        m.operatorCodes[1].builtinCode = 4000
        m.operatorCodes[1].deprecatedBuiltinCode = 127

    with pytest.raises(rt.UnsupportedOperatorError, match="unknown builtin operator code 4000"):
        rt.load(_edit(_small_model(), to_unknown))


def test_every_builtin_operator_has_a_name():
    from ai_edge_litert import schema_py_generated as schema

    from tinyflash.runtime.tflite_schema import BUILTIN_OPERATORS, BUILTIN_OPTIONS

    ops = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    assert {k: BUILTIN_OPERATORS[k] for k in ops} == ops and max(BUILTIN_OPERATORS) >= 150
    opts = {v: k for k, v in vars(schema.BuiltinOptions).items() if not k.startswith("_")}
    assert {k: BUILTIN_OPTIONS[k] for k in opts} == opts


def test_supported_operators_come_from_the_kernel_registry():
    from tinyflash.runtime.ops import TFLITE_KERNELS
    from tinyflash.runtime.tflite import supported_operators
    from tinyflash.runtime.tflite_options import OPTIONS

    assert supported_operators() == sorted(TFLITE_KERNELS)
    assert set(OPTIONS) == set(TFLITE_KERNELS)  # every kernel has its options decoder


def test_options_of_another_type_are_an_error():
    def wrong_options(m):
        m.subgraphs[0].operators[0].builtinOptionsType = schema.BuiltinOptions.Conv2DOptions
        m.subgraphs[0].operators[0].builtinOptions = schema.Conv2DOptionsT()

    with pytest.raises(rt.ModelFormatError, match="Conv2DOptions, expected FullyConnectedOptions"):
        rt.load(_edit(_small_model(), wrong_options))


def test_not_a_tflite_file():
    with pytest.raises(rt.ModelFormatError, match="TFL3"):
        read_tflite(b"\x00" * 64)
    with pytest.raises(rt.ModelFormatError, match="shorter"):
        read_tflite(b"abc")


def test_input_checks():
    model = rt.load(_small_model())
    with pytest.raises(rt.UserError if hasattr(rt, "UserError") else Exception, match="shape"):
        model(np.zeros((2, 13), np.int8))
    with pytest.raises(Exception, match="dtype"):
        model(np.zeros((2, 12), np.int32))


def test_an_options_field_the_reader_does_not_know_is_an_error():
    def quant_spec(m):  # FullyConnectedOptions field 5 (a newer schema's quant_spec)
        m.subgraphs[0].operators[0].builtinOptions.quantSpec = [1, 2]

    with pytest.raises(rt.UnsupportedOperatorError, match="options field 5 is not known"):
        rt.load(_edit(_small_model(), quant_spec))


def test_a_fused_activation_not_implemented_is_named():
    def tanh(m):
        m.subgraphs[0].operators[0].builtinOptions.fusedActivationFunction = 4

    with pytest.raises(rt.UnsupportedOperatorError, match="fused activation TANH is not supp"):
        rt.load(_edit(_small_model(), tanh))


def test_old_style_opcodes_read_the_same():
    """Files from older converters carry only deprecated_builtin_code (builtin_code 0)."""

    def old(m):
        for c in m.operatorCodes:
            c.builtinCode = 0

    x = np.arange(-128, 127, 11, dtype=np.int8)[:12].reshape(1, 12).repeat(4, axis=0)
    np.testing.assert_array_equal(rt.load(_edit(_small_model(), old))(x), _outputs(_small_model()))


def test_an_unsupported_tensor_type_is_named():
    def float16(m):
        m.subgraphs[0].tensors[1].type = 1  # FLOAT16 weights

    with pytest.raises(rt.ModelFormatError, match="tensor type FLOAT16 is not supported"):
        rt.load(_edit(_small_model(), float16))
