"""Configuration: presets, TOML files, flags winning, and clear errors for bad values."""

from __future__ import annotations

import dataclasses

import pytest

from tinyflash.errors import ConfigError
from tinyflash.train import config as cfg


def test_presets_are_valid_and_distinct():
    assert set(cfg.PRESETS) == {"classic", "default", "tiny", "cnn", "cnn-large"}
    classic = cfg.preset("classic")
    assert (classic.hidden, classic.activation, classic.optimizer, classic.epochs) == (
        (10,),
        "sigmoid",
        "sgd",
        5,
    )
    tiny = cfg.preset("tiny")
    # int8 weights of the tiny model must fit 32 KB: one byte per weight.
    layers = [784, *tiny.hidden, 10]
    assert sum(a * b for a, b in zip(layers, layers[1:], strict=False)) < 32 * 1024


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(
        ConfigError,
        match="unknown preset 'huge' \\(supported: classic, default, tiny, cnn, cnn-large\\)",
    ):
        cfg.preset("huge")


def test_toml_round_trip(tmp_path):
    c = cfg.resolve(
        cfg.preset("default"), {"hidden": [64, 32], "activation": "tanh", "momentum": 0.5}
    )
    path = tmp_path / "config.toml"
    path.write_text(cfg.to_toml(c))
    assert cfg.resolve(cfg.TrainConfig(), cfg.from_toml(path)) == c


def test_file_then_flags_win(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text('[train]\nepochs = 3\noptimizer = "sgd"\nlearning_rate = 1\n')
    from_file = cfg.resolve(cfg.preset("default"), cfg.from_toml(path))
    assert (from_file.epochs, from_file.optimizer, from_file.learning_rate) == (3, "sgd", 1.0)
    flags = cfg.resolve(from_file, {"epochs": 7, "optimizer": None})
    assert (flags.epochs, flags.optimizer) == (7, "sgd")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"activation": "gelu"},
            "'activation': expected one of relu, sigmoid, tanh, linear, found 'gelu'",
        ),
        ({"optimizer": "lion"}, "expected one of sgd, adam, rmsprop, adagrad, adadelta"),
        ({"hidden": (0,)}, "'hidden': expected a list of positive layer sizes"),
        ({"hidden": ()}, "(empty only with a 'layers' list)"),
        ({"hidden": ()}, "'hidden'"),
        ({"dropout": 1.0}, "'dropout': expected a rate in [0, 1)"),
        ({"learning_rate": 0.0}, "'learning_rate': expected a number > 0"),
        ({"learning_rate": float("nan")}, "'learning_rate': expected a finite number"),
        ({"epochs": 0}, "'epochs': expected an integer >= 1"),
        ({"loss": "hinge"}, "'loss': expected one of categorical_crossentropy, mse"),
        ({"lr_schedule": "step"}, "'lr_schedule': expected one of constant, cosine, found 'step'"),
        ({"validation_split": 0.0, "early_stopping": True}, "validation_split > 0"),
    ],
)
def test_bad_values_say_expected_and_found(changes, message):
    with pytest.raises(ConfigError) as err:
        dataclasses.replace(cfg.preset("default"), **changes)
    assert message in str(err.value)


def test_bad_toml_files(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        cfg.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = [\n")
    with pytest.raises(ConfigError, match="not a valid TOML file"):
        cfg.from_toml(bad)
    bad.write_text("epoch = 3\n")
    with pytest.raises(ConfigError, match="unknown config key 'epoch'"):
        cfg.from_toml(bad)
    bad.write_text('epochs = "many"\n')
    with pytest.raises(ConfigError, match="'epochs': expected int, found 'many'"):
        cfg.resolve(cfg.TrainConfig(), cfg.from_toml(bad))


def test_cosine_schedule_decays_from_the_learning_rate_to_near_zero():
    from tinyflash.train.fit import cosine_schedule

    rate = cosine_schedule(cfg.resolve(cfg.preset("cnn"), {"learning_rate": 0.01, "epochs": 10}))
    rates = [rate(e, 0.0) for e in range(10)]
    assert rates[0] == 0.01 and rates[5] == pytest.approx(0.005)
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False)) and 0 < rates[-1] < 3e-4
