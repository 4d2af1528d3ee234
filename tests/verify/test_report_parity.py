"""Parity math on outputs of real executors (ai-edge-litert, TFLM, onnxruntime)."""

from __future__ import annotations

import numpy as np
import pytest

from tinyflash import report_parity as rp
from tinyflash.export.reference import run_litert, run_onnxruntime, run_tflm
from tinyflash.report_runfolder import hostile_rows, make_inputs


def _quant(path, which):
    from ai_edge_litert import interpreter as litert

    it = litert.Interpreter(model_path=str(path))
    d = (it.get_input_details() if which == "input" else it.get_output_details())[0]
    return float(d["quantization"][0]), int(d["quantization"][1])


@pytest.fixture(scope="module")
def real_outputs(exported):
    f = exported.files
    in_quant = _quant(f["tflite_int8"], "input")
    inputs = make_inputs(exported.x_test[:500], exported.y_test[:500], in_quant, hostile=64, seed=1)
    oq = _quant(f["tflite_int8"], "output")
    outs = {
        "litert-float": rp.Outputs(run_litert(f["tflite_float"], inputs.as_float)),
        "ort-float": rp.Outputs(run_onnxruntime(f["onnx_float"], inputs.as_float)),
        "tflm": rp.Outputs(run_tflm(f["tflite_int8"], inputs.as_int8), oq),
        "litert-int8-ref": rp.Outputs(run_litert(f["tflite_int8"], inputs.as_int8), oq),
        "litert-int8": rp.Outputs(run_litert(f["tflite_int8"], inputs.as_int8, "default"), oq),
        "ort-int8": rp.Outputs(run_onnxruntime(f["onnx_int8"], inputs.as_int8), oq),
    }
    return inputs, outs


def test_hostile_rows_cover_the_extremes_and_are_seeded() -> None:
    rows = hostile_rows(16, 784, seed=3)
    assert rows.dtype == np.int8 and rows.shape == (16, 784)
    assert (rows[0] == -128).all() and (rows[1] == 127).all()
    np.testing.assert_array_equal(rows, hostile_rows(16, 784, seed=3))
    assert not np.array_equal(rows[4:], hostile_rows(16, 784, seed=4)[4:])


def test_same_executor_twice_is_bit_exact(exported, real_outputs) -> None:
    inputs, outs = real_outputs
    again = rp.Outputs(run_tflm(exported.files["tflite_int8"], inputs.as_int8), outs["tflm"].quant)
    stats = rp.compare("tflm", outs["tflm"], "tflm-again", again)
    assert (stats.exact, stats.max_diff, stats.unit, stats.first_mismatch) == (1.0, 0, "LSB", None)


def test_float_executors_meet_the_float_contract(real_outputs) -> None:
    _, outs = real_outputs
    pairs = rp.parity_matrix({k: outs[k] for k in ("litert-float", "ort-float")})
    assert pairs[0].unit == "abs" and pairs[0].max_diff <= rp.FLOAT_TOLERANCE
    assert rp.check_contracts(pairs, {"litert-float": "float", "ort-float": "float"}) == []


def test_matrix_measures_every_pair_against_direct_numpy(real_outputs) -> None:
    _, outs = real_outputs
    pairs = rp.parity_matrix(outs)
    assert len(pairs) == len(outs) * (len(outs) - 1) // 2
    for p in pairs:
        a, b = outs[p.a], outs[p.b]
        if p.unit == "LSB":
            d = np.abs(a.values.astype(int) - b.values.astype(int))
        else:
            d = np.abs(a.real() - b.real())
        assert p.max_diff == d.max()
        assert p.exact == (d.max(axis=1) == 0).mean()
        assert p.argmax == (a.values.argmax(1) == b.values.argmax(1)).mean()
    # int8 vs float is compared on dequantized values, never code by code
    mixed = next(p for p in pairs if {p.a, p.b} == {"tflm", "litert-float"})
    assert mixed.unit == "abs"


def test_a_changed_output_row_breaks_the_contract_at_that_row(real_outputs) -> None:
    _, outs = real_outputs
    tampered = outs["tflm"].values.copy()
    tampered[37, 3] ^= 1  # one bit of one class score of one image
    pairs = rp.parity_matrix({"tflm": outs["tflm"], "c": rp.Outputs(tampered, outs["tflm"].quant)})
    (v,) = rp.check_contracts(pairs, {"tflm": "tflm", "c": "tflm"})
    assert (v.a, v.b, v.row, v.max_diff, v.unit) == ("tflm", "c", 37, 1, "LSB")
    # the same pair in no contract is only reported
    assert rp.check_contracts(pairs, {"tflm": "tflm", "c": None}) == []


def test_tflm_and_litert_reference_are_different_contracts(real_outputs) -> None:
    """Measured, not assumed: if the two rounding modes ever agree everywhere, this says so."""
    _, outs = real_outputs
    (p,) = rp.parity_matrix({k: outs[k] for k in ("tflm", "litert-int8-ref")})
    assert p.argmax > 0.98  # both are the same quantized model
    # they are only required to agree within their own groups
    assert rp.check_contracts([p], {"tflm": "tflm", "litert-int8-ref": "litert"}) == []
