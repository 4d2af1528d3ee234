"""bench/firmware_cnn.py end to end on a tiny dense model (20 -> 16 relu -> 4 softmax), without
the peers: the header runs under QEMU on the M4 (DSP) and the M0+ (portable), the output bytes
the emulated firmware wrote equal tinyflash.runtime's, the flash split holds the model's
weights, and the tables carry the measured figures and say the peers were skipped."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

BENCH = Path(__file__).resolve().parents[2] / "bench" / "firmware_cnn.py"
RUNS = (("cortex-m4", "-O2", "DSP"), ("cortex-m0plus", "-O2", "portable"))
N = 6


def _bench():
    spec = importlib.util.spec_from_file_location("bench_firmware_cnn", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny():
    import keras

    inp = keras.Input((20,))
    x = keras.layers.Dense(16, activation="relu")(inp)
    return keras.Model(inp, keras.layers.Dense(4, activation="softmax")(x))


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """(the bench module, its work folder), shared by the tests of this file."""
    return _bench(), tmp_path_factory.mktemp("fw_cnn")


def test_tables_from_a_real_run(measured, tool, monkeypatch):
    for name in ("gcc", "arm-none-eabi-gcc", "arm-none-eabi-objdump", "qemu-system-arm"):
        tool(name)
    import tinyflash.runtime as rt

    bench, work = measured
    monkeypatch.setenv("TFLM_PEERS", str(work / "no-peers-here"))
    rec = bench.measure(work, {"tiny": tiny}, runs=RUNS, sizes=(("cortex-m4", "-Os"),), n=N,
                        log=lambda s: None)  # fmt: skip
    assert rec["peers"] == bench.SKIPPED
    (m,) = rec["models"]
    model = rt.load(work / "models" / "tiny.tflite")
    assert m["macs"] == 20 * 16 + 16 * 4
    x = bench._inputs(tuple(model.input.shape), N)
    expected = np.asarray(model(x)).reshape(N, -1)
    for t, run in zip(m["targets"], RUNS, strict=True):
        # What the emulated firmware itself wrote, against the Python interpreter.
        written = np.fromfile(work / "tiny" / "-".join(run) / "outputs.bin", np.int8)
        np.testing.assert_array_equal(written.reshape(N, -1), expected)
        assert t["rows_equal"] == t["rows_equal_tflm"] == N
        assert t["instr_min"] <= t["instr_per_inference"] <= t["instr_max"]
        assert t["instr_per_inference"] > m["macs"] / 2  # at most 2 MACs per instruction (SMLAD)
        assert 0 < t["stack_bytes"] < 4096
    dsp, m0 = m["targets"]
    assert dsp["instr_per_inference"] < m0["instr_per_inference"]
    (f,) = m["footprint"]
    fc = [op for op in model.graph.operators if op.op == "FULLY_CONNECTED"]
    weights = [model.graph.tensors[k].data for op in fc for k in op.inputs[1:] if k >= 0]
    # (out, in) int8 weights and (out,) int32 biases (if the converter kept them) in flash
    assert f["constants"] >= sum(w.nbytes for w in weights) > 0
    assert f["code"] > 0 and f["flash"] == f["code"] + f["constants"]
    assert f["ram_static"] >= m["arena_bytes"] > 0
    text = bench.markdown(rec)
    assert f"| tiny | 384 | cortex-m4 | -O2 | DSP | {dsp['instr_per_inference']:,.0f}" in text
    assert f"| tiny | cortex-m4 | -Os | {f['code']:,} |" in text
    assert f"cortex-m0plus -O2 portable: {N}/{N} ({N}/{N})" in text
    assert bench.SKIPPED in text
    assert f"| tiny | - | - | - | - | {f['code']:,} | yes |" in text  # no peer ratio, no verdict


def test_a_model_codegen_refuses_is_a_row(measured, monkeypatch):
    """An operator the generator has no kernel for: the model's rows say so, nothing raises."""
    import tinyflash.firmware_c.generate as generate
    from tinyflash.runtime.errors import UnsupportedOperatorError

    bench, work = measured
    if not (work / "models" / "tiny.tflite").is_file():
        bench.build_models(work / "models", {"tiny": tiny}, lambda s: None)

    def refuse(*args, **kwargs):
        raise UnsupportedOperatorError("operator 0 (CONV_2D): no int8 C kernel")

    monkeypatch.setattr(generate, "generate_header", refuse)
    monkeypatch.setenv("TFLM_PEERS", str(work / "no-peers-here"))
    rec = bench.measure(work, {"tiny": tiny}, runs=RUNS, sizes=(), n=2, log=lambda s: None)
    text = bench.markdown(rec)
    assert "tinyflash: not supported yet: operator 0 (CONV_2D): no int8 C kernel" in text
    assert rec["models"][0]["runtime_vs_tflm_rows_equal"] == 2  # the runtime still = TFLM
