"""The layer list: TOML tables parsed and validated, round-tripped, and the --conv flag."""

from __future__ import annotations

import argparse

import pytest

from tinyflash.errors import ConfigError
from tinyflash.train import config as cfg
from tinyflash.train.layers import LAYER_TYPES, conv_stack, parse_layer

EVERY_KIND = """\
[train]
hidden = [16]
epochs = 2

[[train.layers]]
type = "conv2d"
name = "stem"
filters = 8
kernel = [3, 5]
strides = 1
padding = "same"
use_bias = false

[[train.layers]]
type = "batch_norm"

[[train.layers]]
type = "relu"

[[train.layers]]
type = "depthwise_conv2d"
depth_multiplier = 2
dilation = 2
activation = "relu6"

[[train.layers]]
type = "conv2d"
filters = 8
kernel = 1

[[train.layers]]
type = "add"
from = "stem"

[[train.layers]]
type = "relu6"

[[train.layers]]
type = "separable_conv2d"
filters = 12
strides = 2

[[train.layers]]
type = "add"
from = "stem"
project = true

[[train.layers]]
type = "max_pool2d"
pool = 2

[[train.layers]]
type = "average_pool2d"
pool = 3
strides = 1
padding = "same"

[[train.layers]]
type = "dropout"
rate = 0.25

[[train.layers]]
type = "global_average_pool2d"
"""


def test_every_layer_type_parses_from_toml_and_round_trips(tmp_path):
    path = tmp_path / "cnn.toml"
    path.write_text(EVERY_KIND)
    config = cfg.resolve(cfg.preset("default"), cfg.from_toml(path))
    kinds = [spec.type for spec in config.layers]
    assert set(kinds) == set(LAYER_TYPES) - {"flatten"}
    stem = config.layers[0]
    assert (stem.name, stem.get("kernel"), stem.get("strides"), stem.get("use_bias")) == (
        "stem",
        (3, 5),
        (1, 1),
        False,
    )
    assert config.layers[3].get("dilation") == (2, 2)
    assert config.layers[9].get("strides") == 0  # a pool's default: its own size
    again = tmp_path / "again.toml"
    again.write_text(cfg.to_toml(config))
    assert cfg.resolve(cfg.TrainConfig(), cfg.from_toml(again)) == config


def test_flags_win_over_the_file_layer_list(tmp_path):
    path = tmp_path / "cnn.toml"
    path.write_text(EVERY_KIND)
    from_file = cfg.resolve(cfg.preset("default"), cfg.from_toml(path))
    flags = cfg.resolve(from_file, {"layers": conv_stack([4]), "hidden": []})
    assert [s.type for s in flags.layers] == [
        "conv2d",
        "batch_norm",
        "relu",
        "global_average_pool2d",
    ]
    assert flags.hidden == () and flags.epochs == 2


def test_conv_flag_builds_blocks_through_the_cli_parser():
    from tinyflash.train.cli import add_arguments, resolve_config

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = resolve_config(parser.parse_args(["--conv", "8,16", "--hidden", "none"]))
    assert [s.type for s in config.layers] == [
        "conv2d", "batch_norm", "relu", "max_pool2d",
        "conv2d", "batch_norm", "relu", "global_average_pool2d",
    ]  # fmt: skip
    assert [s.get("filters") for s in config.layers if s.type == "conv2d"] == [8, 16]
    assert config.hidden == ()
    with pytest.raises(SystemExit):
        parser.parse_args(["--conv", "8,0"])


def _layers(*tables):
    return cfg.resolve(cfg.TrainConfig(), {"layers": list(tables)})


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ([{"type": "conv3d"}], "'layers'[0] 'type': expected one of conv2d, depthwise_conv2d"),
        ([{"filters": 3}], "'type': expected one of"),
        (["conv2d"], "'layers'[0]: expected a table with a 'type', found 'conv2d'"),
        ([{"type": "conv2d"}], "(conv2d): missing required option 'filters'"),
        ([{"type": "dropout"}], "(dropout): missing required option 'rate'"),
        ([{"type": "conv2d", "filters": 4, "size": 3}], "unknown option 'size' (supported: name,"),
        ([{"type": "relu", "max_value": 6}], "unknown option 'max_value' (supported: name)"),
        ([{"type": "conv2d", "filters": 0}], "'filters': expected an integer >= 1, found 0"),
        ([{"type": "conv2d", "filters": 4, "kernel": [3]}], "'kernel': expected a positive"),
        ([{"type": "conv2d", "filters": 4, "strides": 0}], "'strides': expected a positive"),
        ([{"type": "conv2d", "filters": 4, "padding": "full"}], "expected one of same, valid"),
        ([{"type": "conv2d", "filters": 4, "activation": "tanh"}], "one of linear, relu, relu6"),
        ([{"type": "conv2d", "filters": 4, "use_bias": 1}], "'use_bias': expected true or false"),
        ([{"type": "dropout", "rate": 1.0}], "'rate': expected a rate in [0, 1)"),
        ([{"type": "add", "from": "nowhere"}], "(add) 'from': expected the name of an earlier"),
        (
            [{"type": "add", "from": "late"}, {"type": "relu", "name": "late"}],
            "known: input), found 'late'",
        ),
        (
            [{"type": "relu", "name": "a"}, {"type": "relu", "name": "a"}],
            "'layers'[1] 'name': 'a' is used twice",
        ),
        ([{"type": "relu", "name": "input"}], "'name': expected a text other than 'input'"),
    ],
)
def test_bad_layer_tables_say_where_expected_and_found(tables, message):
    with pytest.raises(ConfigError) as err:
        _layers(*tables)
    assert message in str(err.value)


def test_layers_must_be_a_list_of_tables():
    with pytest.raises(ConfigError, match="'layers': expected a list of layer tables"):
        cfg.resolve(cfg.TrainConfig(), {"layers": {"type": "relu"}})


def test_add_with_mismatched_shapes_asks_for_a_projection():
    import keras

    from tinyflash.train.layers import build_layers

    layers = _layers(
        {"type": "conv2d", "filters": 4, "name": "a"},
        {"type": "conv2d", "filters": 8},
        {"type": "add", "from": "a"},
    ).layers
    with pytest.raises(ConfigError, match=r"set project = true"):
        build_layers(layers, keras.Input((8, 8, 1)))


def test_the_cnn_presets_are_image_layer_lists():
    for name in ("cnn", "cnn-large"):
        preset = cfg.preset(name)
        assert preset.layers and preset.layers[0].type == "conv2d"
        assert parse_layer(preset.layers[0], 0) is preset.layers[0]
