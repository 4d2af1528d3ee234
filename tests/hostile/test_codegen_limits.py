"""Integer limits at and beyond their edge: the C generator's accumulator bound, int8 SOFTMAX's
depth, and the generator's name checks.

The generated FULLY_CONNECTED kernel stores weights and inputs offset-binary (w + 128 and
x + 128, both 0..255) and accumulates acc = bias' + sum wu * u in int32, so the generator
(firmware_c/plan.py) requires |bias'| + 255 * 255 * ceil16(in_features) < 2^31 and refuses a
model beyond it (UnsupportedOperatorError; `tinyflash codegen` exits 2). Here a real exported
model (tests/hostile/corpus/8_tanh.int8.tflite) gets its first layer widened to the largest
width the bound admits, with every weight +127, and runs under UBSan with every input +127 --
the largest possible partial sums -- and matches the Python interpreter; one block of 16 more
inputs is refused.

int8 SOFTMAX sums depth terms of exp(0) = 2^19 (Q12.19) for equal inputs; its output shift
num_bits_over_unit + 23 stays <= 31 only below 2^28, so at most 511 values (TFLite's reference
kernel has the same limit). At 511, with equal and random rows, the interpreter matches TFLM and
ai-edge-litert BUILTIN_REF and the generated C is UBSan-clean and identical; 512 is refused.
"""

from __future__ import annotations

import subprocess
import sys

import flatbuffers
import fuzzlib
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

import tinyflash.runtime as rt
from tinyflash.errors import UserError
from tinyflash.export.reference import run_litert, run_tflm
from tinyflash.firmware_c.generate import generate_int8_header

LARGEST = (2**31 // (255 * 255)) // 16 * 16  # 33,024 inputs: 2,147,385,600 + |bias'| < 2^31


def widened(n_in: int) -> bytes:
    """8_tanh.int8.tflite with its first FULLY_CONNECTED taking n_in inputs, all weights +127."""
    data = (fuzzlib.CORPUS / "8_tanh.int8.tflite").read_bytes()
    m = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    sub = m.subgraphs[0]
    x, w, _ = sub.operators[0].inputs
    n_out = sub.tensors[w].shape[0]
    for index, shape in ((x, [1, n_in]), (w, [n_out, n_in])):
        sub.tensors[index].shape = np.array(shape, np.int32)
        sub.tensors[index].shapeSignature = None
    m.buffers[sub.tensors[w].buffer].data = np.full(n_out * n_in, 127, np.int8).view(np.uint8)
    b = flatbuffers.Builder(1 << 20)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_the_widest_admitted_layer_cannot_overflow(tmp_path):
    from test_sanitizers import _build, _run

    path = tmp_path / "wide.tflite"
    path.write_bytes(widened(LARGEST))
    header = tmp_path / "mnist_model.h"
    header.write_text(generate_int8_header(path, prefix="mnist"))
    model = rt.load(path)
    x = np.stack(
        [np.full(LARGEST, 127), np.full(LARGEST, -128), np.where(np.arange(LARGEST) % 2, 127, -128)]
    ).astype(np.int8)
    c = np.frombuffer(_run(_build(header, "mnist", 0), x.tobytes()), np.int8).reshape(3, -1)
    np.testing.assert_array_equal(c, model(x))


def test_one_block_more_is_refused(tmp_path):
    path = tmp_path / "wider.tflite"
    path.write_bytes(widened(LARGEST + 16))
    rt.load(path)  # the interpreter (int64 accumulation) still runs it
    with pytest.raises(rt.UnsupportedOperatorError, match=r"overflow the int32 accumulator"):
        generate_int8_header(path, prefix="mnist")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "model_int8.tflite").write_bytes(path.read_bytes())
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", "codegen", str(run_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "int32" in proc.stderr, proc.stderr


@pytest.mark.parametrize("kind", ["int8", "float32"])
def test_arrays_beyond_the_object_limit_are_refused(kind, monkeypatch):
    """The arena and every weight array must stay within MAX_OBJECT_BYTES (2^31 - 1, offsets
    fit int32 / size_t on a 32-bit MCU). No real file reaches it (the weights alone would be
    2 GB), so the limit is lowered to the real model's own arena and weight sizes."""
    import re

    from tinyflash.firmware_c import plan
    from tinyflash.firmware_c.generate import generate_float_header

    path = fuzzlib.CORPUS / f"12-8_sigmoid.{kind}.tflite"
    make = generate_int8_header if kind == "int8" else generate_float_header
    text = make(path, prefix="mnist")
    arena = int(re.search(r"#define MNIST_ARENA_SIZE (\d+)", text).group(1))
    monkeypatch.setattr(plan, "MAX_OBJECT_BYTES", arena - 1)
    with pytest.raises(rt.UnsupportedOperatorError, match=f"activation arena: needs {arena} bytes"):
        make(path, prefix="mnist")
    monkeypatch.setattr(plan, "MAX_OBJECT_BYTES", arena)  # the first layer's weights are larger
    with pytest.raises(
        rt.UnsupportedOperatorError,
        match=r"(s\d+ \(FULLY_CONNECTED\) constants|l\d+ weights): needs \d+ bytes",
    ):
        make(path, prefix="mnist")


@pytest.mark.parametrize(
    "prefix",
    ["mnïst", "mnist model", "mnist\n#define x", "mnist;", "$x", "while", "MNIST__", "a-b", "1"],
)
def test_prefixes_that_are_not_plain_c_identifiers_are_refused(prefix):
    with pytest.raises(UserError, match="C identifier"):
        generate_int8_header(fuzzlib.CORPUS / "8_tanh.int8.tflite", prefix=prefix)


def softmax_model(depth: int) -> bytes:
    """A one-operator int8 SOFTMAX over `depth` values (input scale 0.1, zero point 0)."""
    m = schema.ModelT()
    m.version, m.buffers = 3, [schema.BufferT()]
    tensors = []
    for name, scale, zero_point in (("x", 0.1, 0), ("y", 1 / 256, -128)):
        t = schema.TensorT()
        t.name, t.shape, t.type, t.buffer = name, [1, depth], schema.TensorType.INT8, 0
        t.quantization = schema.QuantizationParametersT()
        t.quantization.scale, t.quantization.zeroPoint = [scale], [zero_point]
        tensors.append(t)
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [1]
    op.builtinOptionsType = schema.BuiltinOptions.SoftmaxOptions
    op.builtinOptions = schema.SoftmaxOptionsT()
    op.builtinOptions.beta = 1.0
    sub = schema.SubGraphT()
    sub.tensors, sub.operators, sub.inputs, sub.outputs = tensors, [op], [0], [1]
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.SOFTMAX
    code.version = 1
    m.subgraphs, m.operatorCodes = [sub], [code]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_int8_softmax_at_its_largest_depth_matches_tflm_litert_and_c(tmp_path):
    from test_sanitizers import _build, _run

    path = tmp_path / "softmax511.tflite"
    path.write_bytes(softmax_model(511))
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [np.full((3, 511), [[-128], [0], [127]]), rng.integers(-128, 128, (61, 511))]
    ).astype(np.int8)
    np.testing.assert_array_equal(rt.load(path, rounding="tflm")(x), run_tflm(path, x))
    np.testing.assert_array_equal(
        rt.load(path, rounding="litert")(x), run_litert(path, x, "reference")
    )
    header = tmp_path / "mnist_model.h"
    header.write_text(generate_int8_header(path, prefix="mnist"))
    c = np.frombuffer(_run(_build(header, "mnist", 0), x.tobytes()), np.int8).reshape(len(x), -1)
    np.testing.assert_array_equal(c, rt.load(path)(x))


def test_int8_softmax_beyond_its_depth_is_refused():
    with pytest.raises(rt.UnsupportedOperatorError, match="at most 511 values"):
        rt.load(softmax_model(512))
