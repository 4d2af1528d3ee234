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


def test_float_executors_meet_the_float_contract(exported, real_outputs) -> None:
    """The exported 784-N-10 MLP is 3 operators deep (FULLY_CONNECTED, FULLY_CONNECTED,
    SOFTMAX): its bound is the 1e-5 the contract was first set to on it."""
    from tinyflash.runtime.tflite import read_tflite

    _, outs = real_outputs
    depth = read_tflite(exported.files["tflite_float"].read_bytes()).depth()
    assert depth == 3 and rp.float_tolerance(depth) == pytest.approx(1e-5)
    pairs = rp.parity_matrix({k: outs[k] for k in ("litert-float", "ort-float")}, depth)
    assert pairs[0].unit == "abs" and pairs[0].max_scaled_diff <= rp.float_tolerance(depth)
    assert rp.check_contracts(pairs, {"litert-float": "float", "ort-float": "float"}, depth) == []


def test_the_float_bound_is_relative_to_the_row_above_one(real_outputs) -> None:
    """Outputs in the thousands (a regression model) are held to the bound relative to their
    size: ort's and litert's probabilities times 4096 still agree, row by row, as they did;
    a relative change of 1e-4 in one output breaks a 3-operator model's bound."""
    _, outs = real_outputs
    a, b = outs["litert-float"].values, outs["ort-float"].values
    small = rp.compare("a", rp.Outputs(a), "b", rp.Outputs(b))
    big = rp.compare("a", rp.Outputs(a * 4096), "b", rp.Outputs(b * 4096))
    assert big.max_diff == pytest.approx(4096 * small.max_diff)  # absolute: 4096 times larger
    size = np.maximum(np.abs(a).max(1), np.abs(b).max(1)) * 4096
    np.testing.assert_allclose(big.row_scaled, big.row_diff / size)
    assert rp.check_contracts([big], {"a": "float", "b": "float"}, 3) == []
    changed = a * 4096
    changed[5, a[5].argmax()] *= 1 + 1e-4
    (v,) = rp.check_contracts([rp.compare("a", rp.Outputs(changed), "b", rp.Outputs(b * 4096))],
                              {"a": "float", "b": "float"}, 3)  # fmt: skip
    assert (v.contract, v.row) == ("float", 5)


def test_graph_depth_is_the_longest_operator_path(cnn_models) -> None:
    """Graph.depth against a recursion from each output over the producers (an independent
    count); ResNet-8's shortcut branches make it shorter than its operator list."""
    from tinyflash.runtime.tflite import read_tflite

    for name in ("ds_cnn", "resnet8", "mobilenet_v1_025"):
        graph = read_tflite(cnn_models[name]["float32"].read_bytes())
        producer = {o: op for op in graph.operators for o in op.outputs}

        def longest(t, producer=producer):
            op = producer.get(t)
            return 0 if op is None else 1 + max((longest(i) for i in op.inputs if i >= 0),
                                                 default=0)  # fmt: skip

        assert graph.depth() == max(longest(o) for o in graph.outputs), name
        branched = name == "resnet8"
        assert (graph.depth() < len(graph.operators)) == branched, name


def test_a_wrong_bias_breaks_a_deep_models_bound(cnn_models) -> None:
    """MobileNetV1 0.25 float: litert's reference kernels and the interpreter agree within its
    depth's bound; the interpreter on the same graph with one bias of the classifier (the last
    FULLY_CONNECTED or CONV_2D) off by 0.01 does not."""
    import dataclasses

    from tinyflash.runtime.interpreter import Model
    from tinyflash.runtime.tflite import read_tflite

    path = cnn_models["mobilenet_v1_025"]["float32"]
    graph = read_tflite(path.read_bytes())
    depth = graph.depth()
    x = np.random.default_rng(0).normal(0, 1, (8, *cnn_models["mobilenet_v1_025"]["shape"]))
    x = x.astype(np.float32)
    fc = next(op for op in reversed(graph.operators)
              if op.op in ("FULLY_CONNECTED", "CONV_2D") and op.inputs[2] >= 0)  # fmt: skip
    bias = graph.tensors[fc.inputs[2]]
    tensors = list(graph.tensors)
    off = bias.data.copy()
    off[0] += np.float32(0.01)
    tensors[fc.inputs[2]] = dataclasses.replace(bias, data=off)
    wrong = Model(dataclasses.replace(graph, tensors=tuple(tensors)))
    outs = {"litert-float": rp.Outputs(run_litert(path, x)),
            "py-float": rp.Outputs(Model(graph)(x)), "wrong": rp.Outputs(wrong(x))}  # fmt: skip
    pairs = rp.parity_matrix(outs, depth)
    contracts = dict.fromkeys(outs, "float")
    broken = {(v.a, v.b) for v in rp.check_contracts(pairs, contracts, depth)}
    assert broken == {("litert-float", "wrong"), ("py-float", "wrong")}


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
