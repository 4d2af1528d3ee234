"""Layering: tinyflash.learn is numpy and the standard library only, like tinyflash.runtime;
its plots module loads matplotlib only when it draws."""

import json
import subprocess
import sys

HEAVY = {
    "tensorflow", "keras", "onnx", "onnxruntime", "ai_edge_litert", "tflite_micro", "torch",
    "matplotlib",
}  # fmt: skip

SCRIPT = """
import json, sys
import numpy as np
import tinyflash.learn as learn
from tinyflash.learn import cli, network, optimizers, plots
net = learn.MLP.build([784, 10, 10], "sigmoid", np.random.default_rng(0), dropout=0.1)
x = np.linspace(0, 1, 4 * 784, dtype=np.float32).reshape(4, 784)
y = np.eye(10, dtype=np.float32)[:4]
for name in optimizers.OPTIMIZERS:
    net.train_step_gradients(x, y); optimizers.OPTIMIZERS[name]().step(net.params, net.grads)
cli.build_parser()
plots.activation_data()
plots.layer_int8(net.dense[0], x, x)
print(json.dumps(sorted(sys.modules)))
"""


def test_learn_imports_no_heavy_framework():
    done = subprocess.run(
        [sys.executable, "-P", "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    loaded = {m.split(".")[0] for m in json.loads(done.stdout.strip().splitlines()[-1])}
    assert "numpy" in loaded and "tinyflash" in loaded
    assert not loaded & HEAVY, sorted(loaded & HEAVY)
