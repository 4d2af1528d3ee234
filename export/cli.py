"""`tinyflash export RUN_DIR`: model.keras -> TFLite/ONNX artifacts, evaluated, + manifest.json."""

from __future__ import annotations

import argparse
import os


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tinyflash.train.cli import add_data_argument

    parser.add_argument("run_dir", metavar="RUN_DIR", help="run folder containing model.keras")
    parser.add_argument(
        "--calibration", type=int, default=1000, metavar="N",
        help="training images used to calibrate int8 quantization (default: 1000)",
    )  # fmt: skip
    add_data_argument(parser)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tinyflash.export.pipeline import export_run

    export_run(args.run_dir, calibration=args.calibration, data=args.data)
    return 0
