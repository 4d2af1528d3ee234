"""`tinyflash data`: find, validate and describe the training data without training."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tinyflash.train.cli import add_data_argument

    add_data_argument(parser)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from tinyflash.train.data import load_mnist

    data = load_mnist(args.data)
    print(f"data: {data.describe()}")
    print(f"classes: {', '.join(data.class_names)}")
    for split, y in (("train", data.y_train), ("test", data.y_test)):
        counts = np.bincount(y, minlength=data.num_classes)
        print(f"{split} images per class: {' '.join(str(c) for c in counts)}")
    return 0
