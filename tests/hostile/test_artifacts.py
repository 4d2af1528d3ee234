"""Artifacts under faults: a killed `tinyflash export` and reproducible bytes.

Real processes on a real trained model (the lead's trained_run, real MNIST) with a small real
data folder (1,000 training / 200 test images, IDX): `tinyflash export` writes its artifacts
through tinyflash.atomic (temporary file, fsync, rename), deleting the stale manifest first and
writing the new one last. Since exports are byte-reproducible, a complete file under a final
name has exactly the sha256 of the first export; a replaced one also has a new inode.

- killed with SIGKILL half-way through writing model_int8.onnx's temporary file (a hook inside
  the process, so the moment is exact): the three files already replaced are complete, the
  fourth is the previous complete file, no manifest claims anything, the partial bytes sit only
  under the hidden temporary name, and the next write of that name removes it;
- killed with SIGKILL by this test as soon as the first artifact's inode changes (a real
  external kill, timing as it comes): every file under a final name is complete;
- two exports in two processes give byte-identical .tflite/.onnx files, two codegens
  byte-identical headers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests_support import write_idx_folder

import tinyflash.runtime as rt
from tinyflash import atomic

pytestmark = pytest.mark.slow

ARTIFACTS = ("model_float32.tflite", "model_int8.tflite", "model_float32.onnx", "model_int8.onnx")
HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONSAFEPATH": "1"}


def _tinyflash(*args: str) -> list[str]:
    return [sys.executable, "-P", "-m", "tinyflash", *args]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _export_args(run_dir: Path, data: Path) -> list[str]:
    return ["export", str(run_dir), "--data", str(data), "--calibration", "100"]


def _fresh_run(source: Path, target: Path) -> Path:
    target.mkdir()
    for name in ("model.keras", "config.toml"):
        shutil.copy(source / name, target / name)
    return target


@pytest.fixture(scope="module")
def exported(trained_run, mnist, tmp_path_factory):
    """(data folder, run folder A exported once by the CLI, {artifact: sha256})."""
    root = tmp_path_factory.mktemp("artifacts")
    data = root / "data"
    data.mkdir()
    write_idx_folder(data, mnist, n_train=1000, n_test=200, gz=False)
    run_a = _fresh_run(trained_run(), root / "a")
    done = subprocess.run(
        _tinyflash(*_export_args(run_a, data)), env=ENV, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return data, run_a, {name: _sha(run_a / name) for name in ARTIFACTS}


def _copy_of(run_a: Path, target: Path) -> dict[str, int]:
    shutil.copytree(run_a, target)
    return {name: (target / name).stat().st_ino for name in ARTIFACTS}


def _assert_complete_or_absent(run_dir: Path, shas: dict[str, str]) -> None:
    """Every final name holds a complete artifact; a manifest, if any, matches its files."""
    for name in ARTIFACTS:
        assert _sha(run_dir / name) == shas[name], f"{name} is not a complete artifact"
        rt.load(run_dir / name)
    manifest = run_dir / "manifest.json"
    if manifest.exists():
        import json

        for entry in json.loads(manifest.read_text())["artifacts"].values():
            assert _sha(run_dir / entry["file"]) == entry["sha256"], entry["file"]
    final = set(ARTIFACTS) | {"model.keras", "config.toml", "manifest.json"}
    for path in run_dir.iterdir():
        assert path.name in final or (path.name.startswith(".") and path.name.endswith(".tmp")), (
            f"unexpected file {path.name} after the kill"
        )


def test_sigkill_while_writing_an_artifact_keeps_the_previous_one(exported, tmp_path):
    data, run_a, shas = exported
    run_c = tmp_path / "c"
    inodes = _copy_of(run_a, run_c)
    killed = subprocess.run(
        [sys.executable, "-P", str(HERE / "killhook.py"), "model_int8.onnx", "--",
         *_export_args(run_c, data)], env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    _assert_complete_or_absent(run_c, shas)
    replaced = {name for name in ARTIFACTS if (run_c / name).stat().st_ino != inodes[name]}
    assert replaced == {"model_float32.tflite", "model_int8.tflite", "model_float32.onnx"}
    assert not (run_c / "manifest.json").exists()  # removed before the first artifact
    partial = list(run_c.glob(".model_int8.onnx.*.tmp"))
    assert (
        len(partial) == 1
        and 0 < partial[0].stat().st_size < (run_a / "model_int8.onnx").stat().st_size
    )
    # The next write of that name (the re-run) removes the dead process's temporary.
    atomic.write_bytes(run_c / "model_int8.onnx", (run_a / "model_int8.onnx").read_bytes())
    assert not list(run_c.glob(".*.tmp"))


def test_external_sigkill_after_the_first_artifact_appears(exported, tmp_path):
    data, run_a, shas = exported
    run_d = tmp_path / "d"
    inodes = _copy_of(run_a, run_d)
    proc = subprocess.Popen(
        _tinyflash(*_export_args(run_d, data)),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            changed = any((run_d / n).stat().st_ino != inodes[n] for n in ARTIFACTS)
        except FileNotFoundError:  # cannot happen with atomic renames; fail below if it does
            changed = True
        if changed:
            proc.send_signal(signal.SIGKILL)
            break
    code = proc.wait(timeout=60)
    assert code == -signal.SIGKILL, f"export ended with {code} before the kill"
    _assert_complete_or_absent(run_d, shas)
    assert any((run_d / n).stat().st_ino != inodes[n] for n in ARTIFACTS)


def test_two_exports_give_identical_bytes(exported, trained_run, tmp_path):
    data, run_a, shas = exported
    run_b = _fresh_run(trained_run(), tmp_path / "b")
    done = subprocess.run(
        _tinyflash(*_export_args(run_b, data)), env=ENV, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert {name: _sha(run_b / name) for name in ARTIFACTS} == shas


def test_two_codegens_give_identical_headers(exported, tmp_path):
    _, run_a, _ = exported
    headers = []
    for k in range(2):
        out = tmp_path / f"h{k}"
        done = subprocess.run(
            _tinyflash("codegen", str(run_a), "--out", str(out)),
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        headers.append({p.name: _sha(p) for p in sorted(out.glob("*.h"))})
    assert headers[0] and headers[0] == headers[1]


def test_export_into_a_blocked_name_exits_2_naming_it(exported, trained_run, tmp_path):
    """A folder where model_int8.tflite should go (as root, permission bits cannot stop a
    write, so this stands in for an unwritable output): exit 2, one line naming the path."""
    data, _, shas = exported
    run_e = _fresh_run(trained_run(), tmp_path / "e")
    (run_e / "model_int8.tflite").mkdir()
    done = subprocess.run(
        _tinyflash(*_export_args(run_e, data)), env=ENV, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [s for s in done.stderr.splitlines() if s.startswith("tinyflash")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"cannot write {run_e / 'model_int8.tflite'}" in lines[0], lines[0]
    assert _sha(run_e / "model_float32.tflite") == shas["model_float32.tflite"]
    assert not (run_e / "manifest.json").exists()


MANIFEST_EDITS = [
    (("artifacts", "tflite_int8", "file"), "/etc/passwd", "file name in the run folder"),
    (("artifacts", "tflite_int8", "file"), "../a/model_int8.tflite", "file name in the run"),
    (("artifacts", "tflite_int8", "sha256"), 12, "must be a string"),
    (("quantization", "input"), [0.5, 3], "quantization.input"),
]


@pytest.mark.parametrize(
    ("where", "value", "message"),
    MANIFEST_EDITS,
    ids=[".".join(w) + "=" + repr(v) for w, v, _ in MANIFEST_EDITS],
)
def test_verify_refuses_a_hostile_manifest(exported, tmp_path, capsys, where, value, message):
    """A run folder from someone else: its manifest.json may name files outside the folder or
    hold the wrong types. verify exits 2 naming the field (never reads /etc/passwd)."""
    import json

    from tinyflash.cli import main

    _, run_a, _ = exported
    run = tmp_path / "r"
    shutil.copytree(run_a, run)
    manifest = json.loads((run / "manifest.json").read_text())
    node = manifest
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    (run / "manifest.json").write_text(json.dumps(manifest))
    code = main(["verify", str(run), "--only", "py-int8-tflm", "--limit", "20", "--hostile", "4",
                 "--no-report"])  # fmt: skip
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    errors = [line for line in err if line.startswith("tinyflash verify: error:")]
    assert code == 2 and errors == err[-1:] and message in err[-1], err  # progress lines above
