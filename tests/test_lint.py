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


def test_mypy_on_the_package_as_installed(tmp_path):
    """mypy over tinyflash as pip lays it out: pyproject's package-dir applied to a copy of the
    source folders (the editable install's import hook is invisible to mypy)."""
    import tomllib

    try:
        import mypy.api
    except ImportError:
        if IN_CI:
            pytest.fail("mypy not found: pip install -e '.[test]'")
        pytest.skip("mypy not found: pip install -e '.[test]'")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = config["package-dir"]
    for package in sorted(mapping, key=len):  # parents first
        shutil.copytree(
            ROOT / mapping[package],
            tmp_path / package.replace(".", "/"),
            ignore=shutil.ignore_patterns("__pycache__", "*.c", "*.h", "target", "examples"),
            dirs_exist_ok=True,
        )
    stdout, stderr, status = mypy.api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / ".cache"),
         str(tmp_path / "tinyflash")]
    )  # fmt: skip
    assert status == 0, stdout + stderr
    assert "no issues found in" in stdout and int(stdout.split(" in ")[1].split()[0]) >= 60, stdout
