"""`tinyflash codegen RUN_DIR`: write the C inference headers for a run folder.

Reads RUN_DIR/model_int8.tflite (and model_float32.tflite if present) and writes
<prefix>_model.h (int8) and <prefix>_f32_model.h (float32) into RUN_DIR, or --out.
Standard library only at import time.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN_DIR",
        help="run folder holding model_int8.tflite (from `tinyflash export`)",
    )
    parser.add_argument(
        "--prefix", default="mnist", help="C name prefix of the API and file names (default: mnist)"
    )
    parser.add_argument(
        "--rounding",
        choices=("tflm", "litert"),
        default="tflm",
        help="integer semantics: tflm = as TFLM/CMSIS-NN on the device "
        "(default); litert = as ai-edge-litert's reference kernels",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the headers (default: RUN_DIR)"
    )


def run(args: argparse.Namespace) -> int:
    from tinyflash.firmware_c.generate import generate

    for path in generate(
        args.run_dir, prefix=args.prefix, rounding=args.rounding, out_dir=args.out
    ):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0
