"""`tinyflash verify` end to end on a real run folder, and the ways it must fail."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tinyflash.cli import main
from tinyflash.verify import EXIT_FAILED, verify

LIMIT = 500  # test images per verify call in these tests (the CLI default is all 10,000)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def run_folder(converted, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    from tests_verify_support import MNIST_PKL  # noqa: F401

    run = tmp_path / "run"
    run.mkdir()
    artifacts = {}
    for kind, path in converted.files.items():
        shutil.copy(path, run / path.name)
        artifacts[kind] = {"file": path.name, "sha256": _sha(path)}
    (run / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return run
