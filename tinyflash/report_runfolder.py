"""What verify reads from a run folder: the manifest check, the artifacts, the inputs.

The manifest (written by tinyflash.export, extended by codegen) lists every artifact with its
sha256; `check_manifest` refuses any file whose bytes no longer match. Artifact kinds are the
names the executors ask for (report_executors.Executor.artifact).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash.errors import UserError

__all__ = [
    "ARTIFACT_KINDS",
    "INT8_KINDS",
    "Inputs",
    "Tampered",
    "artifact_paths",
    "check_manifest",
    "float_vs_int8",
    "hostile_rows",
    "int8_executors",
    "load_manifest",
    "make_inputs",
    "register_artifacts",
]

MANIFEST = "manifest.json"

# The artifact kinds executors ask for; the manifest maps each kind to its file.
ARTIFACT_KINDS = ("keras", "tflite_float", "tflite_int8", "onnx_float", "onnx_int8",
                  "header_float", "header_int8")  # fmt: skip
INT8_KINDS = frozenset({"tflite_int8", "onnx_int8", "header_int8"})


def int8_executors(executors: list[dict[str, Any]]) -> frozenset[str]:
    """Names of the executors (verify.json entries) that run an int8 artifact."""
    return frozenset(e["name"] for e in executors if e["artifact"] in INT8_KINDS)


def float_vs_int8(a: str, b: str, int8: Collection[str]) -> bool:
    """One executor float, the other int8: no agreement contract, the difference between them
    is the quantization error (the report shows "n/a", not a rate)."""
    return (a in int8) != (b in int8)


class Tampered(Exception):
    """An artifact's bytes differ from the sha256 the manifest recorded."""


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST
    if not run_dir.is_dir():
        raise UserError(f"run folder not found: {run_dir}")
    if not path.is_file():
        raise UserError(
            f"{path} not found: expected a run folder exported by `tinyflash run` "
            "(or `tinyflash export`)"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts"), dict):
        raise UserError(f"{path}: expected an object with an 'artifacts' table")
    return manifest


def _entries(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """artifact kind -> manifest entry (with at least "file" and "sha256"). A file must be a
    plain name inside the run folder: a manifest cannot point verify at /etc/passwd or ../x."""
    entries = {k: v for k, v in manifest["artifacts"].items() if isinstance(v, dict)}
    for kind, entry in entries.items():
        name, sha = entry.get("file"), entry.get("sha256")
        if name is not None and (
            not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..")
        ):
            raise UserError(
                f"{MANIFEST}: artifacts.{kind}.file must be a file name in the run folder, "
                f"found {name!r}"
            )
        if sha is not None and not isinstance(sha, str):
            raise UserError(f"{MANIFEST}: artifacts.{kind}.sha256 must be a string, found {sha!r}")
    return entries


def check_manifest(run_dir: Path, manifest: dict[str, Any]) -> int:
    """Check every listed artifact's sha256; return how many were checked. Raises Tampered."""
    checked = 0
    for kind, entry in _entries(manifest).items():
        name, expected = entry.get("file"), entry.get("sha256")
        if not name or not expected:
            continue
        path = run_dir / name
        if not path.is_file():
            raise Tampered(f"artifact {kind} ({name}) is listed in {MANIFEST} but missing")
        found = sha256_file(path)
        if found != expected:
            raise Tampered(
                f"artifact {kind} ({name}) differs from {MANIFEST}: sha256 expected "
                f"{expected}, found {found}; refusing to verify a modified or swapped file"
            )
        checked += 1
    return checked


# Headers written by `tinyflash codegen` outside `tinyflash run` are not in the manifest:
# found by name (<prefix>_model.h, <prefix>_f32_model.h), and reported as not hash-checked.
_HEADER_PATTERNS = {"header_float": "*_f32_model.h", "header_int8": "*_model.h"}


def artifact_paths(run_dir: Path, manifest: dict[str, Any]) -> tuple[dict[str, Path], list[str]]:
    """(kind -> path of every artifact, kinds found by name only: not in the manifest)."""
    paths = {k: run_dir / e["file"] for k, e in _entries(manifest).items() if e.get("file")}
    unlisted = []
    for kind, pattern in _HEADER_PATTERNS.items():
        if kind in paths:
            continue
        found = [p for p in sorted(run_dir.glob(pattern)) if p not in paths.values()]
        if kind == "header_int8":
            found = [p for p in found if not p.name.endswith("_f32_model.h")]
        if len(found) == 1:
            paths[kind] = found[0]
            unlisted.append(kind)
    return paths, unlisted


def register_artifacts(run_dir: Path, files: dict[str, Path], **info: Any) -> dict[str, Any]:
    """Add (or replace) artifacts in manifest.json: kind -> file in run_dir, with its sha256.

    Used after codegen so verify hash-checks the generated headers like every other artifact.
    `info` is stored in each entry (e.g. generator="tinyflash.firmware_c", rounding="tflm").
    """
    from tinyflash.atomic import write_json

    manifest = load_manifest(run_dir)
    for kind, path in files.items():
        path = Path(path)
        if path.parent.resolve() != run_dir.resolve():
            raise UserError(f"{path}: artifacts must be inside the run folder {run_dir}")
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        manifest["artifacts"][kind] = {"file": path.name, "sha256": sha, "bytes": len(data), **info}
    write_json(run_dir / MANIFEST, manifest)
    return manifest


def hostile_rows(n: int, features: int, seed: int) -> np.ndarray:
    """(n, features) int8: all -128, all 127, a -128/127 checkerboard, its inverse, then random."""
    extremes = [
        np.full(features, -128),
        np.full(features, 127),
        np.where(np.arange(features) % 2 == 0, -128, 127),
        np.where(np.arange(features) % 2 == 0, 127, -128),
    ]
    rng = np.random.default_rng(seed)
    random = rng.integers(-128, 128, size=(max(n - len(extremes), 0), features))
    rows = np.concatenate([np.stack(extremes), random])[:n]
    return rows.astype(np.int8)


@dataclass(frozen=True)
class Inputs:
    """The same logical inputs in both domains.

    as_float: (N, *input_shape) float32; as_int8: the same shape, int8 codes (input
    quantization); input_shape is (features,) for dense models, (H, W, C) for CNNs.
    labels: (n_test,) int64 for the first n_test rows; rows after them are hostile.
    """

    as_float: np.ndarray
    as_int8: np.ndarray
    labels: np.ndarray
    n_test: int
    quant: tuple[float, int]

    @property
    def n(self) -> int:
        return len(self.as_float)


def make_inputs(
    images: np.ndarray, labels: np.ndarray, quant: tuple[float, int], hostile: int, seed: int
) -> Inputs:
    """images: (n_test, *input_shape) float32, e.g. (n, 784) or (n, 28, 28, 1), pixels / 255.
    quant: the int8 input (scale, zp). The hostile rows take the same shape."""
    from tinyflash.runtime.quantize import dequantize, quantize

    scale, zero_point = quant
    shape = tuple(images.shape[1:])
    bad = hostile_rows(hostile, int(np.prod(shape)), seed).reshape(hostile, *shape)
    return Inputs(
        as_float=np.concatenate([images, dequantize(bad, scale, zero_point)]).astype(np.float32),
        as_int8=np.concatenate([quantize(images, scale, zero_point), bad]),
        labels=np.asarray(labels, dtype=np.int64),
        n_test=len(images),
        quant=(float(scale), int(zero_point)),
    )
