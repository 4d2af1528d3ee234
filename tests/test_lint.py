"""The code stays formatted and lint-clean (ruff, pinned in the test extra).

The banned-api rule in pyproject.toml is the one that matters most: it refuses
`import runtime` (the top-level folder) where `import tinyflash.runtime` is meant.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests_support import IN_CI

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> str:
    """ruff from this Python's environment (make test does not put .venv/bin on PATH)."""
    beside = Path(sys.executable).parent / "ruff"
    found = str(beside) if beside.is_file() else shutil.which("ruff")
    if found is None:
        if IN_CI:
            pytest.fail("ruff not found: pip install -e '.[test]'")
        pytest.skip("ruff not found: pip install -e '.[test]'")
    return found


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(command):
    ruff = _ruff()
    result = subprocess.run([ruff, *command, "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_banned_api_catches_a_top_level_import(tmp_path):
    ruff = _ruff()
    bad = ROOT / "tinyflash" / "_lint_probe.py"
    bad.write_text("import runtime\n")
    try:
        result = subprocess.run(
            [ruff, "check", "--select", "TID251", str(bad)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        bad.unlink()
    assert result.returncode == 1 and "import tinyflash.runtime" in result.stdout
