"""Benchmark: training time and test accuracy per preset, on real MNIST (60k/10k).

Standalone:  .venv/bin/python -P bench/train.py [PRESET ...]   prints the table.
In the suite: bench/run.py calls run(ctx), where ctx.run_dir(preset) is a trained run folder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

PRESETS = ("classic", "default", "tiny")


def _row(preset: str, run_dir: Path) -> dict[str, Any]:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    import tomllib

    config = tomllib.loads((run_dir / "config.toml").read_text())["train"]
    layers = [784, *config["hidden"], len(metrics["class_names"])]
    weights = sum(a * b for a, b in zip(layers, layers[1:], strict=False))
    return {
        "preset": preset,
        "architecture": "-".join(map(str, layers)),
        "activation": config["activation"],
        "optimizer": config["optimizer"],
        "epochs_run": metrics["epochs_run"],
        "train_seconds": metrics["train_seconds"],
        "test_accuracy": metrics["test_accuracy"],
        "parameters": metrics["parameters"],
        "int8_weight_bytes": weights,
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| preset | network | hidden act. | optimizer | epochs | fit time (s) "
        "| test accuracy | int8 weights (bytes) |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['preset']} | {r['architecture']} | {r['activation']} | {r['optimizer']} "
            f"| {r['epochs_run']} | {r['train_seconds']:.1f} | {r['test_accuracy']:.4f} "
            f"| {r['int8_weight_bytes']:,} |"
        )
    return "\n".join(lines)


def run(ctx: Any) -> tuple[str, dict[str, Any]]:
    rows = [_row(p, Path(ctx.run_dir(p))) for p in PRESETS]
    text = (
        "Training on all 60,000 MNIST training images (10% held out for early stopping where the "
        "preset uses it), accuracy on the 10,000 test images; fit time is Keras `fit` wall "
        "time.\n\n" + table(rows)
    )
    return text, {"presets": rows}


def main(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tinyflash.train.config import preset
    from tinyflash.train.data import load_mnist
    from tinyflash.train.fit import train

    data = load_mnist()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in argv or PRESETS:
            run_dir = Path(tmp) / name
            train(preset(name), data, run_dir, log=print, verbose=0, plots=False)
            rows.append(_row(name, run_dir))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
