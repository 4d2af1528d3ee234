"""One Optuna trial of `tinyflash tune`: suggest, prune by cost, train and measure.

    objective = Objective(space, budget, data, out, target=30)
    study.optimize(objective, n_trials=1)

Trial user attributes (what the report reads, from any worker's machine):
    model        the architecture in words, e.g. "dense 784-32-10", "cnn 8,16 k3 max -> 10"
    config_toml  the trial's TrainConfig as config.toml (`tinyflash train --config` reads it)
    cost         params, int8 weight bytes, arena estimate, MACs of the untrained model
    pruned       why it cannot fit (pruned before training), or absent
    surplus      true if the study already had its trials when this one started
    measured     tinyflash.tune.measure.Measured as a dict (COMPLETE trials)
    constraints  amount over (flash, RAM, instructions) limits; feasible when all <= 0
    run_dir, host  where its run folder is
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinyflash.train.config import TrainConfig, to_toml
from tinyflash.tune.budget import Budget, model_cost
from tinyflash.tune.space import Space, suggest
from tinyflash.tune.study import surplus

__all__ = ["Objective", "describe_model"]


def describe_model(config: TrainConfig, image_shape: tuple[int, int, int], classes: int) -> str:
    """The architecture in one short line."""
    if not config.layers:
        return "dense " + "-".join(map(str, [image_shape[0] * image_shape[1] * image_shape[2],
                                             *config.hidden, classes]))  # fmt: skip
    convs = [s for s in config.layers if s.type == "conv2d"]
    pool = "max" if any(s.type == "max_pool2d" for s in config.layers) else "average"
    kernel = convs[0].get("kernel")[0] if convs else 0
    head = "".join(f"-{u}" for u in config.hidden)
    filters = ",".join(str(s.get("filters")) for s in convs)
    return f"cnn {filters} k{kernel} {pool}{head}-{classes}"


def _constrain(trial: Any, over: list[float]) -> None:
    """Store the amounts over the limits for the report and for the sampler."""
    trial.set_user_attr("constraints", over)
    for name, value in zip(("flash", "ram", "instructions"), over, strict=True):
        trial.set_constraint(name, value)


@dataclasses.dataclass
class Objective:
    """Callable for study.optimize: returns (accuracy, flash, RAM, instructions)."""

    space: Space
    budget: Budget
    data: Any  # tinyflash.train.data.Dataset
    out: Path
    target: int | None = None
    calibration: int = 1000
    on_done: Callable[[Any, str], None] = lambda trial, line: None

    def __call__(self, trial: Any) -> tuple[float, int, int, int]:
        import optuna

        start = time.perf_counter()
        if surplus(trial.study, trial, self.target):
            trial.set_user_attr("surplus", True)
            raise optuna.TrialPruned("the study already has its trials")
        config = suggest(trial, self.space)
        classes = self.data.num_classes
        cost = model_cost(config, classes, self.space.image_shape)
        model = describe_model(config, self.space.image_shape, classes)
        trial.set_user_attr("model", model)
        trial.set_user_attr("config_toml", to_toml(config, {"tune trial": trial.number}))
        trial.set_user_attr("cost", dataclasses.asdict(cost))
        why = self.budget.cannot_fit(cost)
        if why:
            least = self.budget.min_instructions(cost)
            trial.set_user_attr("pruned", why)
            _constrain(trial, self.budget.violations(cost.weight_bytes, cost.arena_bytes, least))
            self.on_done(trial, f"{model}: pruned before training, {why}")
            raise optuna.TrialPruned(why)
        from tinyflash.tune.measure import measure_trial

        run_dir = self.out / "trials" / f"{trial.number:04d}"
        trial.set_user_attr("run_dir", str(run_dir.resolve()))
        trial.set_user_attr("host", socket.gethostname())
        m = measure_trial(config, self.data, run_dir, self.budget, self.calibration)
        trial.set_user_attr("measured", m.to_dict())
        _constrain(trial, self.budget.violations(m.flash, m.ram, m.instructions))
        fits = self.budget.cannot_fit(cost) is None and max(
            self.budget.violations(m.flash, m.ram, m.instructions)) <= 0  # fmt: skip
        self.on_done(
            trial,
            f"{model}: int8 {100 * m.accuracy:.2f} %, flash {m.flash:,} B, RAM {m.ram:,} B, "
            f"{m.instructions:,} instructions{' (estimated)' if m.estimated else ''}"
            f"{'' if fits else ', over budget'} in {time.perf_counter() - start:.0f} s",
        )
        return m.accuracy, m.flash, m.ram, m.instructions
