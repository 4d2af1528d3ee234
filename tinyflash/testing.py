"""Test helpers for users' own CI: prove an exported run folder still computes one function.

    # tests/test_model_parity.py
    from tinyflash.testing import assert_parity

    def test_exported_model_is_consistent():
        assert_parity("artifacts", require=("tflm", "c-host-int8"))

    def test_my_tflite_file():  # any .tflite: random int8 inputs, or your own
        assert_parity("sine.tflite", random=500, require=("tflm", "py-int8-tflm"))

`assert_parity` runs `tinyflash verify` on the folder (every executor available here, all
10,000 test images plus hostile inputs unless `limit` says otherwise) and raises
AssertionError naming each failure: a tampered artifact, a broken parity contract (first
disagreeing input, executor pair, first diverging layer), an executor error, or a required
executor that could not run. It returns the verify.json document for further checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

__all__ = ["assert_parity"]


def assert_parity(
    run_dir: str | os.PathLike[str],
    *,
    require: Iterable[str] = (),
    only: Iterable[str] | None = None,
    limit: int | None = None,
    report: bool = False,
    data: Any = None,
    inputs: Any = None,
    labels: Any = None,
    random: int | None = None,
    out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Verify `run_dir`; raise AssertionError listing every failure, else return verify.json.

    require: executor names that must run (a skip is a failure), "all" for every one.
    only: run just these executors. limit: first N test images. report: also write
    report.md / report.html into the run folder (verify.json is always written).
    data: the tinyflash.train.data.Dataset the run was trained on, if not MNIST's default.
    run_dir may be a .tflite file (verified in a run folder `out`, default <stem>_verify beside
    it). inputs / labels: arrays or .npy paths instead of the data set; random: N random int8
    rows (the default for a model file).
    """
    from tinyflash.verify import verify

    doc = verify(
        run_dir,
        require=tuple(require),
        only=tuple(only) if only is not None else None,
        limit=limit,
        report=report,
        data=data,
        inputs=inputs,
        labels=labels,
        random=random,
        out=out,
    )
    if doc["verdict"] != "pass":
        lines = "\n".join(f"  - {f}" for f in doc["failures"])
        raise AssertionError(f"tinyflash parity failed for {run_dir}:\n{lines}")
    return doc
