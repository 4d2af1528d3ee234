"""The executor registry: skip reasons, and finding the first diverging layer with traces."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np

from tinyflash import report_executors as rx
from tinyflash.runtime.quantize import quantize


def _executor(name: str) -> rx.Executor:
    return next(e for e in rx.EXECUTORS if e.name == name)


def test_every_executor_has_a_unique_name_and_a_known_contract() -> None:
    from tinyflash.report_parity import CONTRACTS
    from tinyflash.report_runfolder import ARTIFACT_KINDS

    names = [e.name for e in rx.EXECUTORS]
    assert len(names) == len(set(names))
    for e in rx.EXECUTORS:
        assert e.contract is None or e.contract in CONTRACTS
        assert e.artifact in ARTIFACT_KINDS


def test_unavailable_names_the_missing_module_tool_or_artifact(converted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tflm = _executor("tflm")
    model = converted.files["tflite_int8"]
    assert rx.unavailable(tflm, model) is None
    no_module = dataclasses.replace(tflm, modules=("tinyflash_no_such_module",))
    assert rx.unavailable(no_module, model) == "Python module tinyflash_no_such_module is not available"
    no_tool = dataclasses.replace(tflm, tools=("tinyflash-no-such-tool",))
    assert rx.unavailable(no_tool, model) == "tool tinyflash-no-such-tool not found on PATH"
    assert rx.unavailable(tflm, None) == "no tflite_int8 artifact: manifest.json lists none"
    assert "(gone.tflite) is missing" in rx.unavailable(tflm, tmp_path / "gone.tflite")


def test_first_divergence_names_the_layer_whose_weight_changed(converted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One byte of the second layer's weights differs: the first layer still agrees."""
    from tinyflash.runtime.interpreter import load

    model = converted.files["tflite_int8"]
    graph = load(model).graph
    fc = [op for op in graph.operators if op.op == "FULLY_CONNECTED"]
    weights = graph.tensors[fc[1].inputs[1]].data.tobytes()
    data = bytearray(model.read_bytes())
    at = data.find(weights)
    assert at > 0 and data.find(weights, at + 1) < 0
    data[at] = (data[at] + 100) % 256  # a change of 100 in one weight
    changed = tmp_path / "changed.tflite"
    changed.write_bytes(bytes(data))

    scale, zero_point = load(model).input.scale, load(model).input.zero_point
    x1 = quantize(converted.x_test[:1], scale, zero_point)
    tflm, py = _executor("tflm"), _executor("py-int8-tflm")
    found = rx.first_divergence(tflm, py, model, changed, x1, x1, tolerance=0)
    assert found["layer"] == graph.tensors[fc[1].outputs[0]].name, found
    same = rx.first_divergence(tflm, py, model, shutil.copy(model, tmp_path / "same.tflite"),
                               x1, x1, tolerance=0)  # fmt: skip
    assert same["layer"] is None and "agree" in same["layer_text"]
    litert = _executor("litert-int8-ref")
    found = rx.first_divergence(litert, py, model, changed, x1, x1, tolerance=0)
    assert found["layer"] == graph.tensors[fc[1].outputs[0]].name, found
