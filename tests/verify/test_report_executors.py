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


def test_unavailable_names_the_missing_module_tool_or_artifact(exported, tmp_path: Path) -> None:
    tflm = _executor("tflm")
    model = exported.files["tflite_int8"]
    assert rx.unavailable(tflm, model) is None
    no_module = dataclasses.replace(tflm, modules=("tinyflash_no_such_module",))
    expected = "Python module tinyflash_no_such_module is not available"
    assert rx.unavailable(no_module, model) == expected
    no_tool = dataclasses.replace(tflm, tools=("tinyflash-no-such-tool",))
    assert rx.unavailable(no_tool, model) == "tool tinyflash-no-such-tool not found on PATH"
    assert rx.unavailable(tflm, None) == "no tflite_int8 artifact: manifest.json lists none"
    assert "(gone.tflite) is missing" in rx.unavailable(tflm, tmp_path / "gone.tflite")


def test_first_divergence_names_the_layer_whose_weight_changed(exported, tmp_path: Path) -> None:
    """One weight of the second layer differs: the first layer's output still agrees."""
    from tinyflash.runtime.interpreter import load

    model = exported.files["tflite_int8"]
    original = load(model)
    graph = original.graph
    fc = [op for op in graph.operators if op.op == "FULLY_CONNECTED"]
    scale, zero_point = original.input.scale, original.input.zero_point
    x1 = quantize(exported.x_test[:1], scale, zero_point)
    hidden_q = graph.tensors[fc[0].outputs[0]].quant
    hidden = original.trace(x1)[graph.tensors[fc[0].outputs[0]].name].ravel()
    active = int(np.flatnonzero(hidden != hidden_q.zero_point[0])[0])  # a unit that fired
    weights = graph.tensors[fc[1].inputs[1]].data  # (10, hidden) int8
    data = bytearray(model.read_bytes())
    at = data.find(weights.tobytes())
    assert at > 0 and data.find(weights.tobytes(), at + 1) < 0
    data[at + active] = (data[at + active] + 100) % 256  # weight [0, active] moves by 100
    changed = tmp_path / "changed.tflite"
    changed.write_bytes(bytes(data))

    tflm, py = _executor("tflm"), _executor("py-int8-tflm")
    # py-int8-tflm reads a changed copy: give it its own artifact kind in this test
    py = dataclasses.replace(py, artifact="changed")
    paths = {"tflite_int8": model, "changed": changed}
    found = rx.first_divergence(tflm, py, paths, lambda ex: x1, tolerance=0)
    assert found["layer"] == graph.tensors[fc[1].outputs[0]].name, found
    paths["changed"] = Path(shutil.copy(model, tmp_path / "same.tflite"))
    same = rx.first_divergence(tflm, py, paths, lambda ex: x1, tolerance=0)
    assert same["layer"] is None and "all 3 traced tensors agree" in same["layer_text"]
    paths["changed"] = changed
    litert = _executor("litert-int8-ref")
    found = rx.first_divergence(litert, py, paths, lambda ex: x1, tolerance=0)
    assert found["layer"] == graph.tensors[fc[1].outputs[0]].name, found


def test_verify_docstring_lists_every_executor_with_its_contract() -> None:
    import tinyflash.verify

    rows = {line.split()[0]: line for line in tinyflash.verify.__doc__.splitlines()
            if line.startswith("    ") and len(line.split()) > 2}  # fmt: skip
    for e in rx.EXECUTORS:
        assert e.name in rows, e.name
        assert rows[e.name].rstrip().split("  ")[-1].strip().startswith(e.contract or "-")
