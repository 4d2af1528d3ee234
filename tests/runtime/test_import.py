"""Layering: importing tinyflash.runtime, loading and running a model pulls in no heavy runtime."""

import json
import subprocess
import sys

import numpy as np

BANNED = [
    "tensorflow",
    "keras",
    "ai_edge_litert",
    "tflite_runtime",
    "tflite_micro",
    "onnxruntime",
    "onnx",
    "flatbuffers",
    "tf2onnx",
]

SCRIPT = """
import json, sys
import numpy as np
import tinyflash.runtime as rt
for path in sys.argv[1:]:
    model = rt.load(path)
    x = np.zeros((3,) + model.input.shape, dtype=model.input.dtype)
    model(x); model.trace(x); model.summary()
    rt.load(path, rounding="litert")(x)
print(json.dumps(sorted(sys.modules)))
"""


def test_runtime_imports_no_heavy_runtime(tflite_models):
    paths = tflite_models((32,), "sigmoid")
    args = [str(paths["int8"]), str(paths["float32"])]
    done = subprocess.run(
        [sys.executable, "-P", "-c", SCRIPT, *args], capture_output=True, text=True, check=True
    )
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    loaded = {m.split(".")[0] for m in modules}
    assert "tinyflash" in loaded and "numpy" in loaded
    assert not loaded & set(BANNED), sorted(loaded & set(BANNED))
    assert np  # numpy is the one numeric dependency
