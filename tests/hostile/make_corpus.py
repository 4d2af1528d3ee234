"""Regenerate tests/hostile/corpus/: the real exported model files the fuzzers mutate.

    cd /work/main && .venv/bin/python -P tests/hostile/make_corpus.py

Each seed is a small MLP trained for one epoch on the first 6,000 real MNIST training images
(tinyflash.train, seed 7) and exported by tinyflash.export.pipeline.export_run (calibration 200
images), i.e. exactly the bytes `tinyflash export` writes. Small hidden layers keep every fuzz
case fast; the activations cover every operator the readers know (FULLY_CONNECTED, RELU fused,
LOGISTIC, TANH, SOFTMAX, QUANTIZE/DEQUANTIZE, ONNX QDQ). Committed so the fuzz tests need no
TensorFlow; regenerate when the exporter's format changes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CORPUS = Path(__file__).resolve().parent / "corpus"
SEEDS = [((16,), "relu"), ((12, 8), "sigmoid"), ((8,), "tanh")]


def main() -> int:
    from tinyflash.export.pipeline import ARTIFACTS, export_run
    from tinyflash.train.config import TrainConfig
    from tinyflash.train.data import load_mnist
    from tinyflash.train.fit import train

    data = load_mnist(allow_download=False)
    CORPUS.mkdir(exist_ok=True)
    for hidden, activation in SEEDS:
        config = TrainConfig(
            preset="test", hidden=hidden, activation=activation, epochs=1, train_limit=6000,
            early_stopping=False, validation_split=0.0, batch_size=64, learning_rate=2e-3, seed=7,
        )  # fmt: skip
        stem = "-".join(map(str, hidden)) + "_" + activation
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp)
            train(config, data, run_dir, log=lambda s: None, verbose=0, plots=False)
            export_run(run_dir, calibration=200, log=lambda s: None, data=data)
            for name in ARTIFACTS.values():
                target = CORPUS / f"{stem}.{name.removeprefix('model_')}"
                shutil.copyfile(run_dir / name, target)
                print(f"{target.relative_to(CORPUS.parent)}: {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
