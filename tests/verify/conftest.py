"""Fixtures for verify/report tests: a real run folder, trained and exported by the real stages.

`exported` copies the lead's `trained_run()` folder (784-32-10 ReLU, 1 epoch on 6,000 real
MNIST images, seeded), runs tinyflash.export's `export_run` on it (float32 and int8
TFLite/ONNX, manifest.json) and tinyflash.firmware_c's `generate` (mnist_model.h,
mnist_f32_model.h, registered in the manifest as `tinyflash run` does). Session-scoped; tests
that modify files copy it first.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest


@dataclass
class Exported:
    folder: Path
    x_test: np.ndarray  # (N, 784) float32 pixels / 255
    y_test: np.ndarray  # (N,) int64
    files: dict[str, Path]  # artifact kind -> file, from manifest.json


@pytest.fixture(scope="session")
def exported(trained_run, mnist, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    from tinyflash.export.pipeline import export_run
    from tinyflash.train.model import preprocess

    folder = tmp_path_factory.mktemp("exported") / "run"
    shutil.copytree(trained_run(), folder)
    export_run(folder, calibration=200, data=mnist, log=lambda s: None)
    from tinyflash.firmware_c.generate import generate
    from tinyflash.report_runfolder import register_artifacts

    int8, f32 = generate(folder, prefix="mnist", rounding="tflm")
    register_artifacts(folder, {"header_int8": int8, "header_float": f32})
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {kind: folder / e["file"] for kind, e in manifest["artifacts"].items()}
    return Exported(folder, preprocess(mnist.x_test), np.asarray(mnist.y_test), files)


@pytest.fixture()
def run_folder(exported: Exported, tmp_path: Path) -> Path:
    """A private copy of the exported run folder, free to tamper with."""
    return Path(shutil.copytree(exported.folder, tmp_path / "run"))


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

    def _call(self, method: str, path: str, body: object = None):
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
def browser(tmp_path: Path):
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
