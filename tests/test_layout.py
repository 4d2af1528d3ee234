"""Packaging: one `tinyflash` distribution, no top-level `train`/`runtime`/..., light imports."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from tests_support import IN_CI

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {
    "tinyflash": "tinyflash",
    "train": "tinyflash.train",
    "export": "tinyflash.export",
    "runtime": "tinyflash.runtime",
    "firmware_c": "tinyflash.firmware_c",
    "learn": "tinyflash.learn",
}


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_every_python_folder_is_listed_in_pyproject():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    found = set()
    for folder, name in MAPPED.items():
        assert setuptools["package-dir"][name] == folder
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *rel)))
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}"


def test_stage_folders_are_not_top_level_modules(tmp_path):
    result = _python(
        "import importlib.util as u; print([m for m in"
        " ('train','export','runtime','firmware_c','learn') if u.find_spec(m)])",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_cli_and_package_import_without_tensorflow(tmp_path):
    code = (
        "import sys, tinyflash, tinyflash.cli; tinyflash.cli.build_parser();"
        "heavy = ('tensorflow', 'keras', 'onnx', 'onnxruntime', 'ai_edge_litert');"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = _python(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_wheel_holds_only_the_tinyflash_package(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("tinyflash-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"tinyflash"}
    names = zipfile.ZipFile(wheel).namelist()
    assert "tinyflash/train/data.py" in names and "tinyflash/runtime/graph.py" in names
    # The C data folders install, and setuptools has nothing to warn about (it printed ~130
    # lines of 'absent from the packages configuration' per install while they were not
    # declared as packages).
    assert "tinyflash/firmware_c/target/startup.c" in names
    assert "tinyflash/firmware_c/examples/qemu_mps2/Makefile" in names
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr


def _pins() -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: expected name==version, found {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_constraints_pin_every_dependency_within_its_bounds():
    """make installs constraints.txt: every requirement pyproject names is pinned there, to a
    version its own bounds accept (so the pins and the lower bounds cannot drift apart)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += [r for r in extra if not r.startswith("tinyflash")]
    pins = _pins()
    for text in requirements:
        req = Requirement(text)
        pinned = pins.get(canonicalize_name(req.name))
        assert pinned is not None, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pinned, prereleases=True), (text, pinned)


@pytest.mark.skipif(not IN_CI, reason="outside CI the venv may hold other versions on purpose")
def test_ci_runs_with_the_pinned_versions():
    from importlib.metadata import distributions

    from packaging.utils import canonicalize_name

    pins = _pins()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    wrong = {n: (v, installed[n]) for n, v in pins.items() if n in installed and installed[n] != v}
    assert not wrong, f"installed versions differ from constraints.txt (pinned, installed): {wrong}"
