"""The chip's budget (--flash 32K --ram 8K --core cortex-m0plus --max-instructions N) and what
a model costs against it before any training.

    budget = Budget(flash=parse_bytes("32K"), ram=parse_bytes("8K"), core="cortex-m0plus")
    cost = model_cost(config, classes=10)        # built in Keras, not trained: weights, arena, MACs
    why = budget.cannot_fit(cost)                # None, or the reason the trial is pruned
    check_space(budget, space, classes=10)       # UserError if no model of the space can fit

Lower bounds, so pruning never drops a model that would fit: flash holds at least the int8
constants (weights and int32 biases, train/summary.py), the generated code comes on top; the
arena is train/summary.py's estimate of the int8 tensors alive at once; an inference executes
at least MIN_INSTR_PER_MAC instructions per multiply-accumulate on the core.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from tinyflash.errors import UserError
from tinyflash.train.config import TrainConfig

__all__ = ["Budget", "Cost", "check_space", "model_cost", "parse_bytes", "parse_count"]

CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7")
# Fewest instructions one MAC can take: the DSP cores' SMLAD does two; a core without it needs
# at least a multiply per MAC (the generated code takes 4.7 on M0+, 1.6 on M4 at -Os).
MIN_INSTR_PER_MAC = {"cortex-m0plus": 1.0, "cortex-m3": 1.0, "cortex-m4": 0.5, "cortex-m7": 0.5}
# Measured instructions per MAC of the generated 784-128-10 header at -Os (bench/RESULTS.md),
# used for the "estimated" instruction counts where QEMU is not installed.
INSTR_PER_MAC_OS = {"cortex-m0plus": 4.652, "cortex-m3": 3.604, "cortex-m4": 1.575,
                    "cortex-m7": 1.575}  # fmt: skip
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2,
          "MIB": 1024**2}  # fmt: skip


def parse_bytes(text: str) -> int:
    """'32K' / '32KB' / '32KiB' -> 32768; '1M' -> 1048576; '8192' -> 8192 (binary units)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
    unit = match.group(2).upper() if match else None
    if not match or unit not in _UNITS:
        raise UserError(f"expected a size like 32K, 64KB or 8192, found {text!r}")
    return int(float(match.group(1)) * _UNITS[unit])


def parse_count(text: str) -> int:
    """'2M' -> 2,000,000, '500k' -> 500,000, '20000' -> 20000 (decimal units)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)\s*", str(text))
    if not match:
        raise UserError(f"expected a count like 2M, 500k or 20000, found {text!r}")
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


@dataclass(frozen=True)
class Cost:
    """What a built (untrained) model needs: int8 constant bytes, arena estimate, MACs."""

    params: int
    weight_bytes: int  # int8 weights + int32 biases the .tflite stores (flash lower bound)
    arena_bytes: int  # int8 activations alive at once, batch 1 (estimate)
    macs: int  # multiply-accumulates per inference


@dataclass(frozen=True)
class Budget:
    """The constraints, in bytes and instructions per inference (None: no limit)."""

    flash: int
    ram: int
    core: str = "cortex-m0plus"
    max_instructions: int | None = None

    def __post_init__(self) -> None:
        if self.core not in CORES:
            raise UserError(f"--core: expected one of {', '.join(CORES)}, found {self.core!r}")
        if self.flash < 1 or self.ram < 1:
            raise UserError(f"--flash / --ram: expected sizes > 0, found {self.flash}, {self.ram}")

    def min_instructions(self, cost: Cost) -> int:
        return math.ceil(cost.macs * MIN_INSTR_PER_MAC[self.core])

    def cannot_fit(self, cost: Cost) -> str | None:
        """Why a model of this cost cannot meet the budget, whatever its training; or None."""
        if cost.weight_bytes > self.flash:
            return f"{cost.weight_bytes:,} B of int8 weights > {self.flash:,} B of flash"
        if cost.arena_bytes > self.ram:
            return f"arena (estimate) {cost.arena_bytes:,} B > {self.ram:,} B of RAM"
        if self.max_instructions is not None:
            least = self.min_instructions(cost)
            if least > self.max_instructions:
                return (f"{cost.macs:,} MACs need >= {least:,} instructions on {self.core} > "
                        f"{self.max_instructions:,}")  # fmt: skip
        return None

    def violations(self, flash: int, ram: int, instructions: int) -> list[float]:
        """Optuna's constraint values (feasible when all <= 0): amount over each limit."""
        limit = self.max_instructions
        return [float(flash - self.flash), float(ram - self.ram),
                float(instructions - limit) if limit is not None else 0.0]  # fmt: skip

    def describe(self) -> str:
        text = f"{self.flash:,} B flash, {self.ram:,} B RAM on {self.core}"
        if self.max_instructions is not None:
            text += f", <= {self.max_instructions:,} instructions per inference"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_cost(config: TrainConfig, classes: int, image_shape: tuple[int, int, int]) -> Cost:
    """Build config's Keras model (no training) and count its costs (train/summary.py)."""
    import keras

    from tinyflash.train.model import build_model
    from tinyflash.train.summary import arena_bytes, layer_costs

    h, w, c = image_shape
    shape = (h, w, c) if config.layers else (h * w * c,)
    keras.backend.clear_session()
    model = build_model(config, classes, shape)
    rows = layer_costs(model)
    return Cost(
        params=int(model.count_params()),
        weight_bytes=sum(r.int8_bytes for r in rows),
        arena_bytes=arena_bytes(model),
        macs=sum(r.macs for r in rows),
    )


def check_space(budget: Budget, space: Any, classes: int) -> list[tuple[TrainConfig, Cost]]:
    """Refuse (UserError) a budget that no model of the space can meet, naming the smallest
    footprint the space allows; returns the corner models and their costs otherwise."""
    from tinyflash.tune.space import corners

    costs = [(c, model_cost(c, classes, space.image_shape)) for c in corners(space)]
    if any(budget.cannot_fit(cost) is None for _, cost in costs):
        return costs
    least = {
        "int8 weights": min(cost.weight_bytes for _, cost in costs),
        "arena": min(cost.arena_bytes for _, cost in costs),
        "MACs": min(cost.macs for _, cost in costs),
    }
    smallest = min(costs, key=lambda item: item[1].weight_bytes)[1]
    why = budget.cannot_fit(smallest)
    raise UserError(
        f"no model of the search space fits {budget.describe()}: the smallest it allows has "
        f"{least['int8 weights']:,} B of int8 weights, a {least['arena']:,} B arena and "
        f"{least['MACs']:,} MACs (the model with the fewest weights: {why}); raise the limits "
        "or give a smaller space with --space FILE.toml"
    )
