"""User errors of export / predict / codegen / verify: exit 2 and one line naming the problem.

tests/test_cli.py (the lead's) covers train and data. Here every case goes through
tinyflash.cli.main in-process (fast: the same code path, exit status and stderr as the real
command); a few run as real processes to prove the exit status reaches the shell, and an
internal error exits 1 with the --debug hint (and --debug shows the traceback).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fuzzlib
import numpy as np
import pytest

from tinyflash.cli import main


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A folder of hostile files: junk models, a file where a folder is expected, bad inputs."""
    root = tmp_path_factory.mktemp("cli")
    (root / "blocker").write_text("a file, not a folder")
    (root / "junk.tflite").write_bytes(b"garbage")
    (root / "good.tflite").write_bytes((fuzzlib.CORPUS / "16_relu.int8.tflite").read_bytes())
    (root / "crash.tflite").write_bytes(
        (fuzzlib.CRASHES / "graph-output-is-a-constant.tflite").read_bytes()
    )
    (root / "empty").mkdir()
    (root / "junkrun").mkdir()
    (root / "junkrun" / "model.keras").write_bytes(b"PK\x03\x04 not a keras zip")
    (root / "junkrun" / "model_int8.tflite").write_bytes(b"garbage")
    (root / "floatrun").mkdir()
    (root / "floatrun" / "model_int8.tflite").write_bytes(
        (fuzzlib.CORPUS / "16_relu.float32.tflite").read_bytes()
    )
    (root / "okrun").mkdir()
    (root / "okrun" / "model_int8.tflite").write_bytes((root / "good.tflite").read_bytes())
    (root / "badjson").mkdir()
    (root / "badjson" / "manifest.json").write_text('{"artifacts":')
    (root / "oldjson").mkdir()
    (root / "oldjson" / "manifest.json").write_text('{"schema_version": 99}')
    np.save(root / "nan.npy", np.full((2, 784), np.nan, np.float32))
    np.save(root / "shape.npy", np.zeros((2, 5), np.float32))
    (root / "bad.npy").write_bytes(b"\x93NUMPY junk")
    (root / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    return root


CASES = [
    # (argv with {p} for the place folder, words the one line must contain)
    (["export", "{p}/missing"], ["{p}/missing/model.keras", "no such"]),
    (["export", "{p}/junkrun"], ["{p}/junkrun/model.keras", "not a readable Keras model"]),
    (["export", "{p}/junkrun", "--calibration", "abc"], ["--calibration", "invalid int"]),
    (["predict", "{p}/missing.tflite", "test:0"], ["{p}/missing.tflite", "no such"]),
    (["predict", "{p}/junk.tflite", "test:0"], ["{p}/junk.tflite", "not a .tflite file"]),
    (["predict", "{p}/crash.tflite", "test:0"], ["{p}/crash.tflite", "not computed"]),
    (["predict", "{p}/good.tflite", "test:abc"], ["test:abc", "integer"]),
    (["predict", "{p}/good.tflite", "test:10000"], ["test:10000", "[0, 10000)"]),
    (["predict", "{p}/good.tflite", "{p}/missing.png"], ["{p}/missing.png", "no such"]),
    (["predict", "{p}/good.tflite", "{p}/bad.png"], ["{p}/bad.png"]),
    (["predict", "{p}/good.tflite", "{p}/nan.npy"], ["{p}/nan.npy", "nan"]),
    (["predict", "{p}/good.tflite", "{p}/shape.npy"], ["{p}/shape.npy", "(2, 5)"]),
    (["predict", "{p}/good.tflite", "{p}/bad.npy"], ["{p}/bad.npy"]),
    (["predict", "{p}/good.tflite", "{p}/blocker"], ["{p}/blocker", "supported inputs"]),
    (["predict", "{p}/good.tflite", "test:0", "--backend", "gpu"], ["--backend", "'gpu'"]),
    (["codegen", "{p}/missing"], ["{p}/missing/model_int8.tflite", "no such"]),
    (["codegen", "{p}/junkrun"], ["{p}/junkrun/model_int8.tflite", "not a .tflite file"]),
    (["codegen", "{p}/floatrun"], ["int8", "float32"]),
    (["codegen", "{p}/okrun", "--prefix", "9lives"], ["--prefix", "'9lives'"]),
    (["codegen", "{p}/okrun", "--rounding", "floor"], ["--rounding", "'floor'"]),
    (["codegen", "{p}/okrun", "--out", "{p}/blocker/h"], ["cannot write", "{p}/blocker/h"]),
    (["verify", "{p}/missing"], ["{p}/missing"]),
    (["verify", "{p}/empty"], ["{p}/empty/manifest.json", "not found"]),
    (["verify", "{p}/badjson"], ["{p}/badjson/manifest.json", "JSON"]),
    (["verify", "{p}/oldjson"], ["{p}/oldjson/manifest.json"]),
    (["verify", "{p}/badjson", "--limit", "many"], ["--limit", "invalid int"]),
]


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "words"), CASES, ids=[" ".join(argv).replace("{p}/", "") for argv, _ in CASES]
)
def test_user_error_exits_2_with_one_line(argv, words, place, capsys):
    argv = [a.format(p=place) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code
    line = _one_line(capsys.readouterr().err)
    assert code == 2, line
    assert (
        line.startswith(f"tinyflash {argv[0]}")
        or line.startswith("usage:")
        or f"tinyflash {argv[0]}: error:" in line
    ), line
    for word in words:
        assert word.format(p=place) in line, line


def _cli(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONSAFEPATH": "1"}
    cmd = (
        [sys.executable, "-P", "-m", "tinyflash", *args]
        if code is None
        else [sys.executable, "-P", "-c", code, *args]
    )
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_real_processes_exit_2(place):
    for argv in (
        ["predict", f"{place}/junk.tflite", "test:0"],
        ["codegen", f"{place}/okrun", "--out", f"{place}/blocker/h"],
        ["verify", f"{place}/badjson"],
        ["export", f"{place}/junkrun"],  # imports TensorFlow: its native log lines are dropped
    ):
        proc = _cli(*argv)
        assert proc.returncode == 2, proc.stderr
        _one_line(proc.stderr)


CRASHING = (
    "import sys\nimport tinyflash.firmware_c.cli as c\n"
    "def run(args):\n    raise ZeroDivisionError('planted bug')\n"
    "c.run = run\nfrom tinyflash.cli import main\nsys.exit(main(sys.argv[1:]))\n"
)


def test_internal_error_exits_1_with_the_debug_hint(place):
    proc = _cli("codegen", f"{place}/okrun", code=CRASHING)
    assert proc.returncode == 1, proc.stderr
    assert "internal error: ZeroDivisionError: planted bug" in proc.stderr
    assert "--debug" in proc.stderr and "Traceback" not in proc.stderr
    debug = _cli("codegen", f"{place}/okrun", "--debug", code=CRASHING)
    assert debug.returncode == 1 and "Traceback" in debug.stderr, debug.stderr
