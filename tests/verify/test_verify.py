"""`tinyflash verify` end to end on a real run folder, and the ways it must fail."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from tests_support import IN_CI

from tinyflash.cli import main
from tinyflash.verify import EXIT_FAILED, verify

LIMIT = 500  # test images per verify call in these tests (the CLI default is all 10,000)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def verified(exported, mnist, tmp_path_factory):
    """A run folder verified once: (folder, verify.json document)."""
    run = Path(shutil.copytree(exported.folder, tmp_path_factory.mktemp("verified") / "run"))
    # In CI every executor must run (.ci/run installs gcc, arm-none-eabi-gcc, qemu-system-arm)
    require = ("all",) if IN_CI else ()
    return run, verify(run, limit=LIMIT, hostile=32, data=mnist, require=require)


def test_verify_passes_on_a_real_run_folder(verified) -> None:
    run_folder, doc = verified
    assert doc["verdict"] == "pass", doc["failures"]
    status = {e["name"]: e["status"] for e in doc["executors"]}
    assert status["tflm"] == status["litert-int8-ref"] == status["keras"] == "ran"
    for e in doc["executors"]:  # skipped ones say why
        assert e["status"] == "ran" or e["reason"], e
    assert doc["contracts"]["float"]["verdict"] == "pass"
    assert json.loads((run_folder / "verify.json").read_text())["verdict"] == "pass"
    assert (run_folder / "report.md").read_text().startswith("# tinyflash verify: PASS")
    assert "data:image/png;base64," in (run_folder / "report.html").read_text()


def test_report_table_marks_float_vs_int8_pairs_not_compared(verified) -> None:
    """keras vs tflm has no agreement contract (the difference is quantization): 'n/a', not a
    red-looking 0.0000; tflm vs litert-int8-ref is measured."""
    run_folder, _ = verified
    rows = {
        tuple(cell.strip() for cell in line.strip("|").split("|")[:2]): line
        for line in (run_folder / "report.md").read_text().splitlines()
        if line.startswith("| ")
    }
    assert "| n/a (float vs int8) |" in rows[("keras", "tflm")]
    assert "n/a" not in rows[("tflm", "litert-int8-ref")]


def test_report_says_what_the_int8_onnx_executor_is(verified) -> None:
    """ort-int8 joins no contract: report.md and report.html say why, and that its fused
    kernels give the same bytes on every CPU (the exporter's uint8 weights)."""
    from tinyflash.report import ONNX_INT8_NOTE

    run_folder, doc = verified
    ran = {e["name"] for e in doc["executors"] if e["status"] == "ran"}
    if "ort-int8" not in ran:
        pytest.skip("onnxruntime not installed")
    assert f"- note: {ONNX_INT8_NOTE}" in (run_folder / "report.md").read_text()
    assert "same bytes on AVX2 and AVX-512" in (run_folder / "report.html").read_text()


def test_tampered_artifact_is_refused_before_anything_runs(run_folder: Path, capsys) -> None:
    path = run_folder / "model_int8.tflite"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert main(["verify", str(run_folder), "--limit", "10"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "artifact tflite_int8 (model_int8.tflite) differs from manifest.json" in err
    assert _sha(path) in err
    assert not (run_folder / "report.html").exists()


def test_swapped_model_file_is_refused(run_folder: Path, mnist) -> None:
    shutil.copy(run_folder / "model_float32.tflite", run_folder / "model_int8.tflite")
    doc = verify(run_folder, limit=10, data=mnist)
    assert doc["verdict"] == "fail" and doc["executors"] == []
    assert "model_int8.tflite) differs from manifest.json" in doc["failures"][0]


def test_require_turns_a_skip_into_a_failure(run_folder: Path, mnist) -> None:
    (run_folder / "model_int8.onnx").unlink()
    manifest = json.loads((run_folder / "manifest.json").read_text())
    del manifest["artifacts"]["onnx_int8"]
    (run_folder / "manifest.json").write_text(json.dumps(manifest))
    doc = verify(run_folder, only=("ort-int8", "tflm"), require=("ort-int8",), limit=20, data=mnist)
    assert doc["verdict"] == "fail"
    assert doc["failures"] == [
        "required executor ort-int8 was skipped: no onnx_int8 artifact: manifest.json lists none"
    ]


def test_report_html_renders_in_headless_chromium(verified, browser, tmp_path: Path) -> None:
    run_folder, _ = verified
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom')</script>")
    # the console check can fail: a page that logs an error is caught
    assert any("boom" in m for m in browser.open(bad))
    assert browser.open(run_folder / "report.html") == []
    assert browser.title() == "tinyflash verify: pass"
    png = browser.screenshot()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    shot = run_folder / "report_screenshot.png"
    shot.write_bytes(png)
    print(f"screenshot: {shot}")


def test_assert_parity_passes_and_fails_like_verify(run_folder: Path, mnist) -> None:
    from tinyflash.testing import assert_parity

    doc = assert_parity(run_folder, only=("tflm", "litert-int8-ref"), require=("tflm",), limit=50,
                        data=mnist)  # fmt: skip
    assert doc["contracts"]["tflm"]["verdict"] == "not checked"  # one member: nothing to pair
    (run_folder / "model.keras").write_bytes(b"not the trained model")
    message = r"artifact keras \(model.keras\) differs from manifest.json"
    with pytest.raises(AssertionError, match=message):
        assert_parity(run_folder, limit=50, data=mnist)


def _change_one_header_weight(run_folder: Path, mnist) -> None:
    """Move one weight byte of the second layer in mnist_model.h by 100, for a unit that fires.

    mnist__s1_fc_weights (step s1) is (10 outputs x 32 inputs) offset-binary uint8 in 4x4 blocks:
    [row block][input group][row in block][input in group] (the header documents the layout).
    """
    import re

    import numpy as np

    from tinyflash.runtime.interpreter import load
    from tinyflash.runtime.quantize import quantize
    from tinyflash.train.model import preprocess

    model = load(run_folder / "model_int8.tflite")
    graph = model.graph
    fc0 = next(op for op in graph.operators if op.op == "FULLY_CONNECTED")
    hidden = graph.tensors[fc0.outputs[0]]
    x = quantize(preprocess(mnist.x_test[:1]),
                 model.input.scale, model.input.zero_point)  # fmt: skip
    unit = int(np.flatnonzero(model.trace(x)[hidden.name].ravel() != hidden.quant.zero_point[0])[0])
    n_in16 = -(-hidden.shape[-1] // 16) * 16
    index = (unit // 4) * 16 + unit % 4  # output row 0: block 0, row 0 of its block
    assert n_in16 == 32 and index < 384
    path = run_folder / "mnist_model.h"
    text = path.read_text()
    match = re.search(r"mnist__s1_fc_weights\[\d+\][^{]*\{([^}]*)\}", text)
    values = match.group(1).split(",")
    old = int(values[index], 0)
    new = old + 100 if old < 128 else old - 100
    values[index] = values[index].replace(values[index].strip(), str(new))
    path.write_text(text[: match.start(1)] + ",".join(values) + text[match.end(1) :])


def test_one_byte_in_a_header_weight_is_refused_then_caught_by_parity(run_folder: Path, mnist):
    from tinyflash.report_runfolder import register_artifacts

    _change_one_header_weight(run_folder, mnist)
    doc = verify(run_folder, limit=200, hostile=8, data=mnist)
    assert doc["failures"][0].startswith(
        "artifact header_int8 (mnist_model.h) differs from manifest.json: sha256 expected"
    )
    # Re-hashed as if the generator itself had written it: now the C disagrees with TFLM.
    register_artifacts(run_folder, {"header_int8": run_folder / "mnist_model.h"})
    only = ("tflm", "py-int8-tflm", "c-host-int8", "c-m4-int8")
    doc = verify(run_folder, only=only, limit=200, hostile=8, report=False, data=mnist)
    ran = {e["name"] for e in doc["executors"] if e["status"] == "ran"}
    assert "c-host-int8" in ran, doc["executors"]
    assert doc["verdict"] == "fail"
    first = doc["failures"][0]
    assert first.startswith(
        "contract tflm broken: tflm vs c-host-int8 disagree first on test image 0"
    )
    assert first.endswith("all 3 traced tensors agree on this input (traced with tflm vs "
                          "py-int8-tflm): the difference is inside c-host-int8 (its artifact "
                          "or its code)")  # fmt: skip
    assert {(v["a"], v["b"]) for v in doc["violations"]} >= {("tflm", "c-host-int8")}
    assert ("c-host-int8", "c-m4-int8") not in {(v["a"], v["b"]) for v in doc["violations"]}
    argv = ["verify", str(run_folder), "--only", ",".join(only), "--limit", "50"]
    assert main(argv) == EXIT_FAILED


def test_user_errors_are_one_line_with_exit_2(run_folder: Path, tmp_path: Path, capsys) -> None:
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    assert f"run folder not found: {tmp_path / 'nowhere'}" in capsys.readouterr().err
    assert main(["verify", str(tmp_path)]) == 2
    assert f"{tmp_path / 'manifest.json'} not found" in capsys.readouterr().err
    assert main(["verify", str(run_folder), "--require", "tflm,c-vax"]) == 2
    assert "unknown executor 'c-vax'; known: c-host-float," in capsys.readouterr().err


def test_an_executor_that_breaks_is_an_error_not_a_skip(run_folder: Path, mnist, monkeypatch):
    import dataclasses

    from tinyflash import report_executors as rx

    keras_run = next(e for e in rx.EXECUTORS if e.name == "keras").run

    def truncated(path, x):
        return keras_run(path, x)[:-1]  # one row short

    broken = tuple(dataclasses.replace(e, run=truncated) if e.name == "keras" else e
                   for e in rx.EXECUTORS)  # fmt: skip
    monkeypatch.setattr(rx, "EXECUTORS", broken)
    doc = verify(run_folder, only=("keras", "litert-float"), limit=20, hostile=4, data=mnist,
                 report=False)  # fmt: skip
    assert doc["verdict"] == "fail"
    assert doc["failures"] == [
        "executor keras failed: ValueError: expected outputs of shape (24, classes), found (23, 10)"
    ]
    assert [e["status"] for e in doc["executors"] if e["name"] in ("keras", "litert-float")] == [
        "error",
        "ran",
    ]
