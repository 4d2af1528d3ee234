"""The C generator's file-level entry points: a .tflite file -> <prefix>_model.h.

    text = generate_int8_header(Path("run/model_int8.tflite"), prefix="mnist", rounding="tflm")
    path = generate_header(Path("sine.tflite"), out_dir, prefix="sine")  # any .tflite file

The header itself is firmware_c.header.header_text (one skeleton, int8 and float32) over
firmware_c.plan's tensor plan; the run folder's file names and accuracy belong to
firmware_c.cli (the codegen stage), not here.
"""

from __future__ import annotations

from pathlib import Path

from tinyflash.errors import UserError
from tinyflash.firmware_c.header import (
    EXTERNAL_NAMES,
    FLOAT_EXTERNAL_NAMES,
    FORMAT_VERSION,
    STATUSES,
    check_prefix,
    header_text,
    input_table,
    max_prefix_length,
)

__all__ = [
    "EXTERNAL_NAMES",
    "FLOAT_EXTERNAL_NAMES",
    "FORMAT_VERSION",
    "STATUSES",
    "check_prefix",
    "generate",
    "generate_float_header",
    "generate_header",
    "generate_int8_header",
    "input_table",
    "max_prefix_length",
]


def generate_int8_header(
    model_path: Path, prefix: str = "mnist", rounding: str = "tflm", accuracy: str | None = None
) -> str:
    """The int8 header text for `model_path` (a full-integer .tflite)."""
    data = Path(model_path).read_bytes()
    return header_text(data, Path(model_path).name, prefix, rounding, accuracy, dtype="int8")


def generate_float_header(
    model_path: Path, prefix: str = "mnist_f32", accuracy: str | None = None, pixels: bool = True
) -> str:
    """The float32 header text for `model_path` (a float .tflite), for MCUs with an FPU."""
    data = Path(model_path).read_bytes()
    return header_text(data, Path(model_path).name, prefix, "tflm", accuracy, pixels, "float32")


def generate_header(
    model_path: Path,
    out_dir: Path | None = None,
    prefix: str = "model",
    rounding: str = "tflm",
    accuracy: str | None = None,
    kind: str | None = None,
    pixels: bool | None = None,
) -> Path:
    """Write the C header of any .tflite into out_dir (default: the model's folder) as
    <prefix>_model.h: the int8 header for a full-integer model, the float32 header for a float
    one (rounding applies to int8 only). accuracy: the banner's accuracy line, if known.
    kind: "int8" or "float32" to refuse the other kind (None: either). pixels: whether a float
    classifier's input is an image in [0, 1] (firmware_c.header.is_image_classifier; an int8
    model's quantization says it by itself). Returns the path."""
    from tinyflash import atomic

    model_path = Path(model_path)
    if not model_path.is_file():
        raise UserError(f"{model_path}: no such model file")
    if model_path.suffix.lower() != ".tflite":
        raise UserError(
            f"{model_path}: codegen reads a .tflite file (the source of every quantization "
            f"constant), found {model_path.suffix or 'no suffix'}"
        )
    out = Path(out_dir) if out_dir is not None else model_path.parent
    import tinyflash.runtime as rt

    try:
        found = rt.load(model_path.read_bytes(), rounding).input.dtype
    except UserError as exc:
        raise type(exc)(f"{model_path}: {exc}") from None
    is_float = found == "float32"
    if kind is not None and found != kind:
        raise UserError(f"{model_path}: expected a {kind} model, found a {found} input")
    if is_float:
        text = generate_float_header(model_path, prefix, accuracy, bool(pixels))
    else:
        text = generate_int8_header(model_path, prefix, rounding, accuracy)
    return atomic.write_text(out / f"{prefix}_model.h", text)


def generate(
    run_dir: Path, prefix: str = "mnist", rounding: str = "tflm", out_dir: Path | None = None
) -> list[Path]:
    """A run folder's headers (tinyflash.firmware_c.cli.generate_run, which owns the run
    folder's file names); kept here for the callers of this name."""
    from tinyflash.firmware_c.cli import generate_run

    return generate_run(run_dir, prefix, rounding, out_dir)
