"""`tinyflash run`: the whole pipeline in one run folder, one line per stage with its time.

    train  -> model.keras, config.toml, history.json, metrics.json, plots
    export -> model_*.tflite, model_*.onnx, manifest.json (when tinyflash.export is present)

Later stages (codegen, verify) slot in as STAGES entries.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Stages", "stage_train", "stage_export", "add_arguments", "run"]


@dataclass
class Stages:
    """Prints one line per stage with its time and keeps rows for the final summary."""

    rows: list[tuple[str, str, float]] = field(default_factory=list)

    def run(self, name: str, fn: Callable[[], str]) -> None:
        print(f"[{name}] started", flush=True)
        start = time.perf_counter()
        outcome = fn()
        seconds = time.perf_counter() - start
        print(f"[{name}] done in {seconds:.1f} s: {outcome}", flush=True)
        self.rows.append((name, outcome, seconds))

    def summary(self) -> None:
        width = max((len(r[0]) for r in self.rows), default=5)
        print("\nsummary")
        for name, outcome, seconds in self.rows:
            print(f"  {name:<{width}}  {seconds:7.1f} s  {outcome}")


def stage_train(args: argparse.Namespace, stages: Stages) -> dict[str, Any]:
    from tinyflash.train.cli import resolve_config

    from tinyflash.atomic import ensure_writable_dir

    config = resolve_config(args)  # validate flags and the output folder before slow work
    ensure_writable_dir(args.out)
    result: dict[str, Any] = {}

    def data() -> str:
        from tinyflash.train.data import load_mnist

        result["data"] = load_mnist(args.data)
        return result["data"].describe()

    def train() -> str:
        from tinyflash.train.fit import train as fit

        metrics = fit(config, result["data"], args.out, log=lambda s: None)
        result["metrics"] = metrics
        return (
            f"{args.out}/model.keras: test accuracy {metrics['test_accuracy']:.4f} "
            f"after {metrics['epochs_run']} epochs ({metrics['train_seconds']:.1f} s of fitting)"
        )

    stages.run("data", data)
    stages.run("train", train)
    return result


def export_available() -> bool:
    return importlib.util.find_spec("tinyflash.export.pipeline") is not None


def stage_export(args: argparse.Namespace, stages: Stages, data: Any = None) -> None:
    def export() -> str:
        from tinyflash.export.pipeline import export_run

        manifest = export_run(Path(args.out), calibration=args.calibration, log=lambda s: None, data=data)
        files = [a["file"] for key, a in manifest.get("artifacts", {}).items() if key != "keras"]
        return f"{', '.join(files)} and manifest.json in {args.out}"

    stages.run("export", export)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tinyflash.train.cli import add_arguments as add_train_arguments

    add_train_arguments(parser)
    parser.add_argument(
        "--calibration", type=int, default=1000, metavar="N",
        help="training images used to calibrate int8 quantization (default: 1000)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    stages = Stages()
    trained = stage_train(args, stages)
    if export_available():
        stage_export(args, stages, data=trained["data"])
    stages.summary()
    return 0
