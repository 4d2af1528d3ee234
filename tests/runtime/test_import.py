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


def _modules_after(paths) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-P", "-c", SCRIPT, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {m.split(".")[0] for m in json.loads(done.stdout.strip().splitlines()[-1])}


def test_onnx_loading_needs_onnx_but_never_onnxruntime(onnx_models):
    paths = onnx_models((32,), "relu")
    loaded = _modules_after([paths["int8"], paths["float32"]])
    assert "onnx" in loaded  # the protobuf reader
    heavy = set(BANNED) - {"onnx"}
    assert not loaded & heavy, sorted(loaded & heavy)


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
