"""The C generator's integer-overflow bound, at and beyond the edge, and its name checks.

The generated FULLY_CONNECTED kernel stores weights and inputs offset-binary (w + 128 and
x + 128, both 0..255) and accumulates acc = bias' + sum wu * u in int32, so the generator
(firmware_c/plan.py) requires |bias'| + 255 * 255 * ceil16(in_features) < 2^31 and refuses a
model beyond it (UnsupportedOperatorError; `tinyflash codegen` exits 2). Here a real exported
model (tests/hostile/corpus/8_tanh.int8.tflite) gets its first layer widened to the largest
width the bound admits, with every weight +127, and runs under UBSan with every input +127 --
the largest possible partial sums -- and matches the Python interpreter; one block of 16 more
inputs is refused.
"""

from __future__ import annotations

import subprocess
import sys

import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

import fuzzlib
import tinyflash.runtime as rt
from tinyflash.errors import UserError
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
    x = np.stack([np.full(LARGEST, 127), np.full(LARGEST, -128),
                  np.where(np.arange(LARGEST) % 2, 127, -128)]).astype(np.int8)
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
    proc = subprocess.run([sys.executable, "-P", "-m", "tinyflash", "codegen", str(run_dir)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "int32" in proc.stderr, proc.stderr


@pytest.mark.parametrize("prefix", ["mnïst", "mnist model", "mnist\n#define x", "mnist;", "$x",
                                    "while", "MNIST__", "a-b", "1"])
def test_prefixes_that_are_not_plain_c_identifiers_are_refused(prefix):
    with pytest.raises(UserError, match="C identifier"):
        generate_int8_header(fuzzlib.CORPUS / "8_tanh.int8.tflite", prefix=prefix)
