"""`tinyflash codegen RUN_DIR | MODEL.tflite`: write the C inference headers.

    tinyflash codegen artifacts                       # a run folder: both headers, into it
    tinyflash codegen sine.tflite --out fw --prefix sine   # any .tflite: fw/sine_model.h

A run folder (from `tinyflash export`): model_int8.tflite -> <prefix>_model.h and, when
present, model_float32.tflite -> <prefix>_f32_model.h, with the test accuracy manifest.json
records; written into RUN_DIR (or --out). Written into RUN_DIR, the headers are recorded in
its manifest.json (sha256, prefix, rounding: a re-run replaces the entries, so `tinyflash
verify` checks the headers it finds) and measured into footprint.json where arm-none-eabi-gcc
is installed (--no-footprint skips it), as `tinyflash run` does.
A .tflite file: one header, int8 or float32 as the model is, named after --prefix (default:
the file's name as a C identifier), written beside the file (or into --out).
The run folder's file names live here; the generator (generate.generate_header) takes any file.
Standard library only at import time.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from tinyflash.errors import UserError

__all__ = ["add_arguments", "c_unsupported", "default_prefix", "generate_run", "run"]

RUN_PREFIX = "mnist"  # the run folders' models: MNIST classifiers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        type=Path,
        metavar="RUN_DIR|MODEL.tflite",
        help="a run folder holding model_int8.tflite (from `tinyflash export`), or any .tflite",
    )
    parser.add_argument(
        "--prefix",
        default=None,
        help=f"C name prefix of the API and file names (default: {RUN_PREFIX} for a run folder, "
        "the file's name for a .tflite)",
    )
    parser.add_argument(
        "--rounding",
        choices=("tflm", "litert"),
        default="tflm",
        help="integer semantics: tflm = as TFLM/CMSIS-NN on the device "
        "(default); litert = as ai-edge-litert's reference kernels",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the headers (default: RUN_DIR, or the model file's folder)",
    )
    parser.add_argument(
        "--no-footprint",
        action="store_true",
        help="run folder: do not measure footprint.json (flash/RAM per Cortex-M core, needs "
        "arm-none-eabi-gcc)",
    )


def default_prefix(model_path: Path) -> str:
    """The file's name as a C prefix: 'sine-model.tflite' -> 'sine_model' ('model' if the name
    gives no valid identifier of at most 21 characters)."""
    from tinyflash.firmware_c.generate import check_prefix

    name = re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", model_path.stem.lower())).strip("_")
    name = f"m_{name}" if name[:1].isdigit() else name
    try:
        check_prefix(name)
    except UserError:
        return "model"
    return name


def _accuracy(run_dir: Path, artifact: str, executors: tuple[str, ...]) -> str | None:
    """Test accuracy of `artifact` recorded in run_dir/manifest.json by `tinyflash export`
    (artifacts.<kind>.file == artifact, evaluation.<executor>.accuracy), first executor found."""
    path = run_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts"), dict):
        return None
    images = (
        manifest.get("data", {}).get("test_images")
        if isinstance(manifest.get("data"), dict)
        else None
    )
    for record in manifest["artifacts"].values():
        if not isinstance(record, dict) or record.get("file") != artifact:
            continue
        evaluation = record.get("evaluation") or {}
        for name in executors:
            acc = (evaluation.get(name) or {}).get("accuracy")
            if isinstance(acc, int | float) and not isinstance(acc, bool):
                where = f"the {images:,} test images" if isinstance(images, int) else "the test set"
                return f"{100 * acc:.2f} % on {where} ({name}, manifest.json)"
    return None


def c_unsupported(run_dir: Path) -> str | None:
    """Why the C generator cannot write the int8 header of run_dir/model_int8.tflite (the
    operators it has no C kernel for, in words, with the supported list), or None if it can
    (or there is no int8 model: generate_run says so)."""
    from tinyflash.firmware_c.plan import plan_graph
    from tinyflash.runtime.errors import ModelFormatError, UnsupportedOperatorError
    from tinyflash.runtime.interpreter import Model
    from tinyflash.runtime.tflite import read_tflite

    int8 = Path(run_dir) / "model_int8.tflite"
    if not int8.is_file():
        return None
    try:
        plan_graph(Model(read_tflite(int8.read_bytes())), "int8")
    except ModelFormatError as exc:  # name the file, as every other stage does
        raise ModelFormatError(f"{int8}: {exc}") from None
    except UnsupportedOperatorError as exc:
        return f"the C generator cannot write {int8.name} yet: {exc}"
    return None


def _image_classifier(int8: Path) -> bool:
    """Whether the run's int8 model is a classifier of [0, 1] images: its float twin then gets
    the same pixel helpers (the float graph cannot say it by itself)."""
    from tinyflash.firmware_c.header import is_image_classifier
    from tinyflash.firmware_c.plan import plan_graph
    from tinyflash.runtime import load

    return is_image_classifier(plan_graph(load(int8.read_bytes()), "int8"))


def generate_run(
    run_dir: Path, prefix: str = RUN_PREFIX, rounding: str = "tflm", out_dir: Path | None = None
) -> list[Path]:
    """Write <prefix>_model.h (and <prefix>_f32_model.h when model_float32.tflite exists)
    into out_dir (default: run_dir). Returns the paths written."""
    from tinyflash.firmware_c.generate import check_prefix, generate_header

    check_prefix(prefix)
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else run_dir
    int8 = run_dir / "model_int8.tflite"
    if not int8.is_file():
        raise UserError(
            f"{int8}: no such file; run `tinyflash export` first (expected "
            "model_int8.tflite in the run folder), or give a .tflite file"
        )
    reason = c_unsupported(run_dir)
    if reason:
        from tinyflash.runtime.errors import UnsupportedOperatorError

        raise UnsupportedOperatorError(f"{run_dir}: {reason}")
    executors = ("tflm",) if rounding == "tflm" else ("litert_reference",)
    written = [
        generate_header(
            int8, out_dir, prefix, rounding, _accuracy(run_dir, int8.name, executors), "int8"
        )
    ]
    f32 = run_dir / "model_float32.tflite"
    if f32.is_file():
        accuracy = _accuracy(run_dir, f32.name, ("litert_reference", "litert_default"))
        pixels = _image_classifier(int8)
        written.append(
            generate_header(f32, out_dir, f"{prefix}_f32", "tflm", accuracy, "float32", pixels)
        )
    return written


FOOTPRINT = "footprint.json"


def record_headers(run_dir: Path, paths: list[Path], prefix: str, rounding: str) -> list[str]:
    """Register the headers written into run_dir in its manifest.json (kind, file, sha256,
    bytes, generator, prefix, rounding), replacing what an earlier codegen recorded, so verify
    hash-checks them. Returns the kinds recorded."""
    from tinyflash.report_runfolder import register_artifacts

    kinds = {"header_float" if p.name.endswith("_f32_model.h") else "header_int8": p
             for p in paths}  # fmt: skip
    register_artifacts(run_dir, kinds, generator="tinyflash.firmware_c", prefix=prefix,
                       rounding=rounding)  # fmt: skip
    return sorted(kinds)


def write_footprint(run_dir: Path, header: Path, prefix: str) -> str:
    """Measure the int8 header per Cortex-M core into run_dir/footprint.json, or say why not
    (a footprint.json of an earlier header is removed then)."""
    import tempfile

    from tinyflash.atomic import write_json
    from tinyflash.firmware_c import footprint as fp
    from tinyflash.firmware_c.toolchain import ToolchainError

    path = Path(run_dir) / FOOTPRINT
    reason = fp.skip_reason()
    if reason:
        path.unlink(missing_ok=True)  # it measured an earlier header
        return f"footprint {reason}"
    no_stack = fp.skip_reason(stack=True)
    with tempfile.TemporaryDirectory(prefix="tinyflash-footprint-") as work:
        try:
            rows = fp.measure(header, prefix, Path(work), stack=no_stack is None)
        except ToolchainError as exc:  # a toolchain that cannot build (e.g. no newlib)
            path.unlink(missing_ok=True)
            return f"footprint failed: {str(exc).splitlines()[0]}"
    write_json(path, fp.document(header, prefix, rows, no_stack))
    stack = "" if no_stack is None else f"; stack {no_stack}"
    return f"{FOOTPRINT} ({len(rows)} core/-O builds{stack})"


def run(args: argparse.Namespace) -> int:
    from tinyflash.firmware_c.generate import generate_header

    source = args.source
    if source.is_file() or (source.suffix and not source.is_dir()):  # a model file
        prefix = args.prefix or default_prefix(source)
        paths = [generate_header(source, args.out, prefix, args.rounding)]
        for path in paths:
            print(f"wrote {path} ({path.stat().st_size:,} bytes)")
        return 0
    # a run folder; a missing one is named by the model file it would hold
    prefix = args.prefix or RUN_PREFIX
    paths = generate_run(source, prefix, args.rounding, args.out)
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    inside = args.out is None or Path(args.out).resolve() == source.resolve()
    if inside and (source / "manifest.json").is_file():
        kinds = record_headers(source, paths, prefix, args.rounding)
        print(f"recorded {', '.join(kinds)} in {source / 'manifest.json'} (sha256, rounding)")
        if not args.no_footprint:
            header = next(p for p in paths if not p.name.endswith("_f32_model.h"))
            print(write_footprint(source, header, prefix))
    return 0
