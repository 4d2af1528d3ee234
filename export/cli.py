"""`tinyflash export RUN_DIR | MODEL.keras`: -> TFLite/ONNX artifacts, evaluated, + manifest.json.

tinyflash export artifacts                      # a run folder from `tinyflash train`
tinyflash export my.keras --calibration-data x.npy --out my_run   # any Keras model
tinyflash export my.keras --calibration-data pictures/ [--resize]  # PNG / JPEG, p / 255
"""

from __future__ import annotations

import argparse
import os


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tinyflash.train.cli import add_data_argument

    parser.add_argument(
        "run_dir",
        metavar="RUN_DIR|MODEL.keras",
        help="run folder containing model.keras, or any .keras model file",
    )
    parser.add_argument(
        "--calibration", type=int, default=1000, metavar="N",
        help="run folder: training images used to calibrate int8 quantization (default: 1000)",
    )  # fmt: skip
    parser.add_argument("--calibration-data", default=None, metavar="FILE|DIR",
                        help="MODEL.keras: representative inputs (.npy, .npz with x, or a "
                        "folder of PNG / JPEG pictures, p / 255), required")  # fmt: skip
    parser.add_argument("--resize", action="store_true",
                        help="--calibration-data DIR: resize pictures and convert their colours "
                        "to the model's input (refused otherwise)")  # fmt: skip
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="MODEL.keras: the run folder to write (default: <stem>_export)",
    )
    add_data_argument(parser)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from pathlib import Path

    from tinyflash.errors import UserError

    source = Path(args.run_dir)
    if source.suffix == ".keras" and not source.is_dir():
        from tinyflash.export.any_model import export_model

        export_model(source, args.calibration_data, args.out, resize=args.resize)
        return 0
    if args.calibration_data is not None or args.out is not None or args.resize:
        raise UserError("--calibration-data, --resize and --out are for a MODEL.keras file; a "
                        "run folder is exported in place with --calibration N training "
                        "images")  # fmt: skip
    from tinyflash.export.pipeline import export_run

    export_run(args.run_dir, calibration=args.calibration, data=args.data)
    return 0
