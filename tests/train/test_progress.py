"""What `tinyflash train` prints while fitting, when stdout is a pipe (a CI log) or --quiet."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

ARGS = ["--preset", "classic", "--train-limit", "600", "--epochs", "2", "--no-early-stopping"]


def _train(tmp_path, *extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "-P", "-m", "tinyflash", "train", "--out", str(tmp_path), *ARGS, *extra],
        capture_output=True,  # stdout is a pipe, not a terminal
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_piped_output_has_one_plain_line_group_per_epoch(tmp_path):
    out = _train(tmp_path)
    assert "\r" not in out and "\x1b[" not in out  # no redrawn bar, no colour codes
    assert re.findall(r"^Epoch (\d+)/2$", out, re.M) == ["1", "2"]
    assert len(out.encode()) < 8_000, len(out)  # a 2-epoch progress bar wrote tens of KB


@pytest.mark.slow
def test_quiet_prints_no_epoch_lines(tmp_path):
    out = _train(tmp_path, "--quiet")
    assert "Epoch" not in out and "\r" not in out
    assert "[train] done" in out  # the stage lines stay
