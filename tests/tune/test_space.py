"""The search space: TOML keys checked, Optuna's suggestions become valid TrainConfigs, and no
model of the space is smaller than all of its corners (the refusal's premise)."""

from __future__ import annotations

import numpy as np
import pytest

from tinyflash.errors import ConfigError
from tinyflash.tune.space import Space, corners, default_space, load_space, suggest

MNIST = (28, 28, 1)


def test_space_file_keys_are_checked(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text('[space]\nunits = [16, 64]\nfamilies = ["dense"]\n')
    space = load_space(path, MNIST)
    assert space.units == (16, 64) and space.families == ("dense",)
    assert space.epochs == default_space(MNIST).epochs  # the rest from the default
    for text, message in (
        ("[space]\nwidth = [1, 2]\n", "unknown space key 'width' \\(supported: families"),
        ("[space]\nunits = [64]\n", "'units': expected \\[low, high\\] numbers"),
        ('[space]\nfamilies = ["rnn"]\n', "'families': expected a non-empty list of dense, cnn"),
        ("[space]\nconv_blocks = [1, 6]\n", "at most 4 blocks for 28-pixel images"),
        ("units = [1, 2]\n", "expected a \\[space\\] table"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_space(path, MNIST)


def _random_params(space: Space, rng: np.random.Generator) -> dict:
    """One point of the space, drawn without Optuna: the parameters suggest() asks for."""
    family = str(rng.choice(space.families))
    p: dict = {"family": family, "optimizer": "adam", "learning_rate": 1e-3,
               "lr_schedule": "cosine", "batch_size": 64, "epochs": 5}  # fmt: skip
    if family == "dense":
        p |= {"dense_layers": int(rng.integers(*space.dense_layers, endpoint=True)),
              "activation": "relu"}  # fmt: skip
        depth = p["dense_layers"]
    else:
        blocks = int(rng.integers(*space.conv_blocks, endpoint=True))
        p |= {"conv_blocks": blocks, "kernel": int(rng.choice(space.kernels)),
              "pool": str(rng.choice(space.pools)),
              "head_layers": int(rng.integers(*space.head_layers, endpoint=True))}  # fmt: skip
        p |= {f"filters_{b}": int(rng.integers(*space.filters, endpoint=True))
              for b in range(blocks)}  # fmt: skip
        depth = p["head_layers"]
    p |= {f"units_{i}": int(rng.integers(*space.units, endpoint=True)) for i in range(depth)}
    return p


def test_suggestions_are_never_smaller_than_every_corner():
    """Random points of the default space, built in Keras: each one's int8 weights, arena and
    MACs are each at least the smallest corner's (so check_space's refusal is sound)."""
    import optuna

    from tinyflash.tune.budget import model_cost

    space = default_space(MNIST)
    least = [model_cost(c, 10, MNIST) for c in corners(space)]
    rng = np.random.default_rng(0)
    for _ in range(4):
        params = _random_params(space, rng)
        config = suggest(optuna.trial.FixedTrial(params), space)
        assert bool(config.layers) == (params["family"] == "cnn")
        if config.layers:
            filters = [s.get("filters") for s in config.layers if s.type == "conv2d"]
            assert filters == [params[f"filters_{b}"] for b in range(params["conv_blocks"])]
        cost = model_cost(config, 10, MNIST)
        assert cost.weight_bytes >= min(c.weight_bytes for c in least)
        assert cost.arena_bytes >= min(c.arena_bytes for c in least)
        assert cost.macs >= min(c.macs for c in least)
