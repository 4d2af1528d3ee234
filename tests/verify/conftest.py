"""Fixtures for verify/report tests: a real tiny model converted by the real converters.

`converted` trains a 784-16-10 Keras MLP for one epoch on 2,000 real MNIST images (seeded),
converts it with TFLiteConverter (float, full-int8 with int8 I/O) and tf2onnx, and runs the
real executors over 500 test images + hostile rows. Session-scoped: built once (~6 s).
"""

from __future__ import annotations

import gzip
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

MNIST_PKL = Path(np.__file__).parents[1] / "mnist" / "data" / "mnist.pkl.gz"


@dataclass
class Converted:
    folder: Path
    x_test: np.ndarray  # (N, 784) float32 pixels / 255
    y_test: np.ndarray  # (N,) int64
    files: dict[str, Path]


def _mnist(n_train: int, n_test: int):  # type: ignore[no-untyped-def]
    with gzip.open(MNIST_PKL) as f:
        (xtr, ytr), _, (xte, yte) = pickle.load(f, encoding="latin1")
    pixels = lambda x: (np.round(x * 256) / 255).astype(np.float32)  # noqa: E731 - uint8/256
    return pixels(xtr[:n_train]), ytr[:n_train], pixels(xte[:n_test]), yte[:n_test].astype(np.int64)


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Converted:
    import keras
    import tensorflow as tf
    import tf2onnx

    folder = tmp_path_factory.mktemp("converted")
    x_train, y_train, x_test, y_test = _mnist(2000, 500)
    keras.utils.set_random_seed(6)
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=1, batch_size=64, verbose=0)
    files = {"keras": folder / "model.keras"}
    model.save(files["keras"])

    def convert(int8: bool) -> bytes:
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
        if int8:
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = lambda: ([x_train[i : i + 1]] for i in range(200))
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
        return conv.convert()

    for kind in ("float", "int8"):
        files[f"tflite_{kind}"] = folder / f"model_{kind}.tflite"
        files[f"tflite_{kind}"].write_bytes(convert(kind == "int8"))
        proto, _ = tf2onnx.convert.from_tflite(str(files[f"tflite_{kind}"]), opset=17)
        files[f"onnx_{kind}"] = folder / f"model_{kind}.onnx"
        files[f"onnx_{kind}"].write_bytes(proto.SerializeToString())
    return Converted(folder, x_test, y_test, files)


class Browser:
    """Headless Chromium driven through chromedriver's W3C WebDriver HTTP API (stdlib only)."""

    ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--window-size=1280,2400"]  # fmt: skip

    def __init__(self, profile: Path) -> None:
        self.profile = profile

    def __enter__(self) -> Browser:
        import socket
        import subprocess
        import time

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.driver = subprocess.Popen(
            ["chromedriver", f"--port={port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except OSError:
                if time.monotonic() > deadline or self.driver.poll() is not None:
                    self.driver.kill()
                    raise
                time.sleep(0.05)
        options = {"binary": shutil.which("chromium"),
                   "args": [*self.ARGS, f"--user-data-dir={self.profile}"]}  # fmt: skip
        caps = {"browserName": "chrome", "goog:chromeOptions": options,
                "goog:loggingPrefs": {"browser": "ALL"}}  # fmt: skip
        reply = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.session = f"/session/{reply['sessionId']}"
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._call("DELETE", self.session)
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=10)

    def _call(self, method: str, path: str, body: object = None):  # type: ignore[no-untyped-def]
        import json
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.loads(reply.read())["value"]

    def open(self, page: Path) -> list[str]:
        """Load a file; return the console messages of level SEVERE (errors) it produced."""
        self._call("POST", f"{self.session}/url", {"url": page.resolve().as_uri()})
        log = self._call("POST", f"{self.session}/se/log", {"type": "browser"})
        return [entry["message"] for entry in log if entry["level"] == "SEVERE"]

    def title(self) -> str:
        return self._call("GET", f"{self.session}/title")

    def screenshot(self) -> bytes:
        import base64

        return base64.b64decode(self._call("GET", f"{self.session}/screenshot"))


@pytest.fixture()
def browser(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A headless Chromium; missing tools skip locally and fail in CI (CI=true)."""
    import os

    missing = [t for t in ("chromium", "chromedriver") if shutil.which(t) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian: chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with Browser(tmp_path / "chromium-profile") as b:
        yield b
