"""Bad input to `tinyflash tune` ends before any training, in one line: a budget no model of
the space meets (naming the smallest footprint it allows), a storage that cannot be opened."""

from __future__ import annotations

import math

import pytest

from tinyflash.tune.budget import parse_bytes, parse_count


def test_sizes_and_counts():
    assert [parse_bytes(s) for s in ("32K", "32KB", "32 KiB", "8192", "1M")] == [
        32 * 1024, 32 * 1024, 32 * 1024, 8192, 1024 * 1024]  # fmt: skip
    assert [parse_count(s) for s in ("2M", "500k", "20000")] == [2_000_000, 500_000, 20_000]
    from tinyflash.errors import UserError

    for bad in ("32X", "", "-1K", "K"):
        with pytest.raises(UserError, match="expected a size like 32K"):
            parse_bytes(bad)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_budget_below_the_smallest_model_is_refused(tune_args, tmp_path, capsys):
    """The space's smallest model is 784-8-10: its int8 bytes counted from Keras's weights."""
    from tinyflash.cli import main
    from tinyflash.train.config import TrainConfig
    from tinyflash.train.model import build_model

    model = build_model(TrainConfig(hidden=(8,)), 10, (784,))
    smallest = sum(math.prod(w.shape) * (4 if "bias" in w.path else 1) for w in model.weights)
    assert smallest < 8 * 1024
    assert main([*tune_args(tmp_path / "out"), "--flash", "4K", "--trials", "2"]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("tinyflash tune: error: no model of the search space fits 4,096 B")
    assert f"the smallest it allows has {smallest:,} B of int8 weights" in line
    assert not (tmp_path / "out" / "trials").exists()  # nothing trained
    # within the budget by one byte of weights (code comes on top): accepted, up to training
    from tinyflash.tune.budget import Budget, check_space
    from tinyflash.tune.space import Space

    space = Space(image_shape=(28, 28, 1), families=("dense",), dense_layers=(1, 1), units=(8, 8))
    assert check_space(Budget(flash=smallest, ram=4096), space, 10)
    with pytest.raises(Exception, match="no model of the search space fits"):
        check_space(Budget(flash=smallest - 1, ram=4096), space, 10)


@pytest.mark.parametrize(
    "url, found",
    [
        ("postgresql://tune:secret@127.0.0.1:1/study", "Connection refused"),
        ("sqlite:////nonexistent-folder/study.db", "unable to open database file"),
        ("nosuchdb://host/x", "Can't load plugin"),
    ],
)
def test_unreachable_storage_is_one_line(tune_args, tmp_path, capsys, url, found):
    from tinyflash.cli import main

    assert main([*tune_args(tmp_path / "out"), "--storage", url]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("tinyflash tune: error: --storage ")
    assert "cannot open the study database" in line and found in line
    assert "secret" not in line  # the password is never printed


def test_resume_with_other_settings_is_refused(tmp_path):
    """A study remembers its budget, space and data: the same command resumes it, another
    budget on the same storage is refused (its trials were judged against the first)."""
    from tinyflash.errors import UserError
    from tinyflash.tune.study import open_storage, open_study

    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}")
    first = {"budget": {"flash": 32768, "ram": 8192}, "space": {"units": [8, 32]}, "data": "d"}
    open_study(storage, "s", first, seed=None).enqueue_trial({"x": 1})
    again = open_study(storage, "s", dict(first), seed=None)
    assert len(again.get_trials()) == 1  # resumed, not recreated
    other = {**first, "budget": {"flash": 65536, "ram": 8192}}
    with pytest.raises(UserError, match="study 's' was started with other budget: expected"):
        open_study(storage, "s", other, seed=None)
