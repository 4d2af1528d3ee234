"""The `tinyflash` command line: one sub-command per pipeline stage.

Each stage owns its sub-command in `<stage>/cli.py`, which defines `add_arguments(parser)` and
`run(args) -> int`. Those modules import only the standard library at top level, so
`tinyflash --help` stays fast; heavy imports (TensorFlow) happen inside `run`.

Exit status: 0 success, 1 internal error (re-run with --debug for the traceback),
2 user error (one line naming the problem), or the status a command returns (verify: 3).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from tinyflash import __version__, native_log
from tinyflash.errors import UserError

# name -> (module, one-line help). Explicit, in pipeline order.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("tinyflash.pipeline", "train, export, generate C and verify, in one run folder"),
    "train": ("tinyflash.train.cli", "train a Keras MLP or CNN on MNIST or your own images"),
    "learn": ("tinyflash.learn.cli", "one epoch of numpy training, every step printed (students)"),
    "data": ("tinyflash.train.data_cli", "find, validate and describe the MNIST data"),
    "export": ("tinyflash.export.cli", "model.keras -> TFLite/ONNX float32+int8, evaluated"),
    "codegen": ("tinyflash.firmware_c.cli", "model_int8.tflite -> one C99 inference header"),
    "verify": ("tinyflash.verify", "run every executor here and check the parity contracts"),
    "inspect": ("tinyflash.inspect_cli", "operators, shapes, parameters, MACs, arena of a model"),
    "predict": ("tinyflash.runtime.cli", "run a .tflite/.onnx model on a PNG, a .npy or test:K"),
    "tune": ("tinyflash.tune.cli", "search for the most accurate model that fits flash/RAM/time"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line and exit status 2 (its default is 2 too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinyflash",
        description="Keras MLP or CNN -> TFLite / ONNX / C99 for microcontrollers, "
        "with parity checks.",
    )
    parser.add_argument("--version", action="version", version=f"tinyflash {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks of errors and TensorFlow's native log lines",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        # SUPPRESS: `tinyflash --debug export` keeps the top-level flag instead of resetting it
        p.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show tracebacks of errors and TensorFlow's native log lines",
        )
        importlib.import_module(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # TensorFlow's C++ logging (oneDNN banners, CPU feature notes) drowns the stage lines:
    # the level hides most of it; native_log drops the lines TF 2.21 prints regardless.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        with native_log.filtered(active=not args.debug):
            return int(importlib.import_module(args._module).run(args) or 0)
    except UserError as exc:
        if args.debug:
            raise
        print(f"tinyflash {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinyflash {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place internal errors are reported
        if args.debug:
            raise
        print(
            f"tinyflash {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "  re-run with --debug for the traceback, and report it if it persists",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
