"""Warm start (tinyflash/tune/seeds.py): the seeds are points of the space that Optuna itself
accepts, they fit the budget with the reserves, one size larger does not, and only the process
that creates a study enqueues them."""

from __future__ import annotations

import dataclasses

import pytest

MNIST = (28, 28, 1)
BUDGETS = [(32 * 1024, 8 * 1024), (64 * 1024, 16 * 1024)]


def _cost(params, space):
    import optuna

    from tinyflash.tune.budget import model_cost
    from tinyflash.tune.space import suggest

    return model_cost(suggest(optuna.trial.FixedTrial(params), space), 10, MNIST)


def _grown(params: dict) -> dict:
    """The same seed one step wider: the first block's filters, or every layer's units."""
    if params["family"] == "cnn":
        return params | {"filters_0": params["filters_0"] + 1}
    return params | {k: v + 1 for k, v in params.items() if k.startswith("units_")}


@pytest.mark.parametrize(("flash", "ram"), BUDGETS)
def test_seeds_are_the_largest_that_fit(flash, ram):
    from tinyflash.tune.budget import Budget
    from tinyflash.tune.seeds import CODE_RESERVE, STACK_RESERVE, seeds
    from tinyflash.tune.space import default_space

    space, budget = default_space(MNIST), Budget(flash=flash, ram=ram)
    found = seeds(space, budget, 10)
    assert [p["family"] for p in found] == ["cnn", "dense"]
    for params in found:
        cost = _cost(params, space)
        assert cost.weight_bytes + CODE_RESERVE <= flash
        assert cost.arena_bytes + STACK_RESERVE <= ram
        bigger = _cost(_grown(params), space)
        assert (bigger.weight_bytes + CODE_RESERVE > flash
                or bigger.arena_bytes + STACK_RESERVE > ram)  # fmt: skip
    cnn = found[0]
    assert cnn["conv_blocks"] == space.conv_blocks[1] and cnn["lr_schedule"] == "cosine"


def test_seeds_follow_the_space():
    """A space without adam, cosine or CNNs: the seeds take what it has."""
    from tinyflash.tune.budget import Budget
    from tinyflash.tune.seeds import seeds
    from tinyflash.tune.space import default_space

    space = dataclasses.replace(default_space(MNIST), families=("dense",), optimizers=("sgd",),
                                lr_schedules=("constant",), epochs=(1, 3))  # fmt: skip
    (only,) = seeds(space, Budget(flash=32 * 1024, ram=8 * 1024), 10)
    assert (only["family"], only["optimizer"], only["lr_schedule"], only["epochs"]) == (
        "dense", "sgd", "constant", 3)  # fmt: skip
    assert seeds(space, Budget(flash=4 * 1024, ram=8 * 1024), 10) == []  # no MLP fits 4 KB


def test_a_new_study_starts_from_the_seeds_a_resumed_one_does_not(tmp_path):
    """Optuna runs the enqueued seeds first, with exactly their parameters (a value outside
    the space's distributions would be re-sampled); opening the study again adds nothing."""
    from tinyflash.tune.budget import Budget
    from tinyflash.tune.seeds import seeds
    from tinyflash.tune.space import default_space, suggest
    from tinyflash.tune.study import open_storage, open_study

    space = default_space(MNIST)
    found = seeds(space, Budget(flash=64 * 1024, ram=16 * 1024), 10)
    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}")
    study = open_study(storage, "s", {"x": 1}, seed=0, first_trials=lambda: found)
    again = open_study(storage, "s", {"x": 1}, seed=0, first_trials=lambda: pytest.fail("called"))
    assert len(again.trials) == len(found)
    for params in found:
        trial = study.ask()
        suggest(trial, space)
        assert trial.params == params
