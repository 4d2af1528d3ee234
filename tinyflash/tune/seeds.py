"""Warm start: the first trials of a new study, models of a shape known to train well, sized
to the budget, so the search starts from a good model instead of finding one by chance.

    for params in seeds(space, budget, classes):     # Optuna parameters, as suggest() asks
        study.enqueue_trial(params)                  # tune does this once, on a new study

Why: TPE starts from random points, and the other three objectives (flash, RAM, instructions:
all minimized) pull it towards small models. In 30 minutes on 2 cores a study trains about 40
trials; at 71aec49 none of the 64 KB / 16 KB study's reached 99 % (best 98.61 %,
bench/RESULTS_tune.md), while a plain 3-block CNN of the same space that fits reaches 99.18 %.

One seed per family of the space, the largest of its shape whose costs fit the budget:
    cnn    every block the space allows, filters f, 2f, 2f, ... (the first block holds the
           largest tensor, the full-size image, so it is the narrow one), the smallest kernel,
           max pooling, the fewest head layers; adam 2e-3 with cosine decay, 12 epochs, batch
           128
    dense  the fewest hidden layers, each of the most units; adam 1e-3, cosine, 20 epochs
Each setting is clipped into the space (a space without adam gets its first optimizer, and
so on). "Fits" is budget.cannot_fit on the untrained model's costs plus what those lower bounds
leave out, measured on the generated C: CODE_RESERVE of flash and STACK_RESERVE of RAM; with
--max-instructions, the MACs at the dense header's measured rate (budget.INSTR_PER_MAC_OS).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tinyflash.tune.budget import INSTR_PER_MAC_OS, Budget, Cost, model_cost
from tinyflash.tune.space import Space, suggest

__all__ = ["CODE_RESERVE", "STACK_RESERVE", "seeds"]

# Generated code and parameter structs at -Os: at most 5,829 B over bench/RESULTS_firmware_cnn.md's
# models (mixed, 9 operators); the 16,32,32 CNN seed links at 4,120 B over its int8 weights.
CODE_RESERVE = 6 * 1024
# Stack of one inference: 172 to 296 B over the same models, 200 B for the CNN seed (QEMU).
STACK_RESERVE = 512

_CNN = {"optimizer": "adam", "learning_rate": 2e-3, "lr_schedule": "cosine", "batch_size": 128,
        "epochs": 12}  # fmt: skip
_DENSE = {"optimizer": "adam", "learning_rate": 1e-3, "lr_schedule": "cosine", "batch_size": 128,
          "epochs": 20}  # fmt: skip


def _training(space: Space, wanted: dict[str, Any]) -> dict[str, Any]:
    """The wanted training settings, each clipped into the space."""

    def pick(choices: tuple[Any, ...], value: Any) -> Any:
        return value if value in choices else choices[0]

    def clip(bounds: tuple[Any, Any], value: Any) -> Any:
        return min(max(value, bounds[0]), bounds[1])

    return {
        "optimizer": pick(space.optimizers, wanted["optimizer"]),
        "learning_rate": clip(space.learning_rate, wanted["learning_rate"]),
        "lr_schedule": pick(space.lr_schedules, wanted["lr_schedule"]),
        "batch_size": pick(space.batch_sizes, wanted["batch_size"]),
        "epochs": clip(space.epochs, wanted["epochs"]),
    }


def _cnn(space: Space, f: int) -> dict[str, Any]:
    blocks, head = space.conv_blocks[1], space.head_layers[0]
    low, high = space.filters
    params: dict[str, Any] = {"family": "cnn", "conv_blocks": blocks, "kernel": min(space.kernels),
                              "pool": "max" if "max" in space.pools else space.pools[0],
                              "head_layers": head}  # fmt: skip
    params |= {f"filters_{b}": min(max(f if b == 0 else 2 * f, low), high) for b in range(blocks)}
    params |= {f"units_{i}": space.units[0] for i in range(head)}
    return params | _training(space, _CNN)


def _dense(space: Space, units: int) -> dict[str, Any]:
    depth = space.dense_layers[0]
    params: dict[str, Any] = {"family": "dense", "dense_layers": depth,
                              "activation": "relu" if "relu" in space.activations
                              else space.activations[0]}  # fmt: skip
    params |= {f"units_{i}": units for i in range(depth)}
    return params | _training(space, _DENSE)


def _fits(budget: Budget, cost: Cost) -> bool:
    padded = dataclasses.replace(cost, weight_bytes=cost.weight_bytes + CODE_RESERVE,
                                 arena_bytes=cost.arena_bytes + STACK_RESERVE)  # fmt: skip
    if budget.cannot_fit(padded) is not None:
        return False
    limit = budget.max_instructions
    return limit is None or cost.macs * INSTR_PER_MAC_OS[budget.core] <= limit


def _largest(
    make: Callable[[int], dict[str, Any]], low: int, high: int, fits: Callable[[Any], bool]
) -> dict[str, Any] | None:
    """make(w) for the largest w in [low, high] that fits (costs grow with w), or None."""
    if not fits(make(low)):
        return None
    while low < high:  # fits(make(low)) holds throughout
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(make(mid)) else (low, mid - 1)
    return make(low)


def seeds(space: Space, budget: Budget, classes: int) -> list[dict[str, Any]]:
    """The warm-start parameters (module doc), CNN first; a family none of whose seeds fit
    is left out, so the list may be empty."""
    import optuna

    def fits(params: dict[str, Any]) -> bool:
        config = suggest(optuna.trial.FixedTrial(params), space)
        return _fits(budget, model_cost(config, classes, space.image_shape))

    found = []
    if "cnn" in space.families:
        found.append(_largest(lambda f: _cnn(space, f), *space.filters, fits))
    if "dense" in space.families:
        found.append(_largest(lambda u: _dense(space, u), *space.units, fits))
    return [p for p in found if p is not None]
