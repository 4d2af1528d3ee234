"""tinyflash.atomic: the one writer every artifact goes through (the SIGKILL tests with real
exports are in tests/hostile/test_artifacts.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tinyflash import atomic
from tinyflash.errors import UserError


def test_write_replaces_whole_files_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "model.bin"
    atomic.write_bytes(target, b"old")
    atomic.write_json(target, {"b": 1, "a": [2]})
    assert target.read_text() == '{\n  "a": [\n    2\n  ],\n  "b": 1\n}\n'
    assert [p.name for p in target.parent.iterdir()] == ["model.bin"]


def test_a_failing_writer_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.bin"
    atomic.write_bytes(target, b"complete")

    def half_then_fail(tmp):
        tmp.write_bytes(b"hal")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        atomic.write_with(target, half_then_fail)
    assert target.read_bytes() == b"complete" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.skipif(os.name != "posix", reason="orphans are found by PID with os.kill(pid, 0)")
def test_orphans_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    """A temporary left by a killed process goes on the next write of that name; one whose
    process still runs, and those of other final names, stay."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        orphan = tmp_path / f".model.bin.{dead_pid}.k3j_x.tmp"
        in_use = tmp_path / f".model.bin.{live.pid}.a8b2c.tmp"
        other = tmp_path / f".model.bin.5.{dead_pid}.zz.tmp"  # "model.bin.5"'s temporary
        for path in (orphan, in_use, other):
            path.write_bytes(b"partial")
        atomic.write_bytes(tmp_path / "model.bin", b"new")
        left = sorted(p.name for p in tmp_path.iterdir())
        assert left == sorted(["model.bin", in_use.name, other.name])
        assert (tmp_path / "model.bin").read_bytes() == b"new"
    finally:
        live.kill()
        live.wait()


def test_unwritable_folder_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(UserError, match=r"cannot write .*file/x\.bin"):
        atomic.write_bytes(blocker / "x.bin", b"data")
    with pytest.raises(UserError, match="cannot write to"):
        atomic.ensure_writable_dir(blocker / "sub")
