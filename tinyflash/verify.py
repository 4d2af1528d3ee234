"""`tinyflash verify RUN_DIR`: run every executor available here and prove the copies agree.

    tinyflash verify artifacts                        # all executors, 10,000 images + hostile
    tinyflash verify artifacts --require tflm,c-host-int8,c-m4-int8   # CI: these must run
    tinyflash verify artifacts --only tflm,py-int8-tflm --limit 500   # a quick look
    tinyflash verify sine.tflite --random 1000        # any .tflite file (random int8 inputs)
    tinyflash verify model.onnx --random 1000         # any .onnx file: interpreter, onnxruntime
    tinyflash verify my_run --inputs x.npy --labels y.npy   # your inputs (see verify_inputs)

Order of work (each step refuses to go on if the one before failed):
  1. the manifest: every artifact's sha256 must match (a tampered or swapped file is refused);
  2. the inputs: the 10,000 test images, plus hostile rows (all -128, all 127, checkerboards,
     random int8 codes), the same logical inputs for every executor (int8 codes for int8
     artifacts, their dequantized float32 values for float ones);
  3. every executor in report_executors.EXECUTORS: ran, skipped (with the reason) or error;
  4. the parity matrix over all pairs, and the contracts (report_parity.CONTRACTS); a broken
     contract names the first disagreeing input, the pair, and the first diverging layer
     (from traces of intermediate tensors: the Python interpreter, TFLM, ai-edge-litert);
  5. verify.json, report.md and report.html (self-contained) in the run folder.

Executors (--only / --require names) and the contract each must keep:
    keras            Keras float                                   float
    litert-float     TFLite float, ai-edge-litert BUILTIN_REF      float
    ort-float        ONNX float, onnxruntime                       float
    py-float         Python interpreter, float .tflite             float
    py-onnx-float    Python interpreter, float .onnx               float
    c-host-float     generated float C header, gcc on this host    float
    c-m4-float       generated float C header, QEMU Cortex-M4 FPU  float
    tflm             TFLite Micro (tflite-micro's interpreter)     tflm
    py-int8-tflm     Python interpreter, int8, tflm rounding       tflm
    c-host-int8      generated int8 C header, gcc on this host     tflm (or litert: its rounding)
    c-m4-int8        generated int8 C header, QEMU Cortex-M4       tflm (or litert: its rounding)
    litert-int8-ref  TFLite int8, ai-edge-litert BUILTIN_REF       litert
    py-int8-litert   Python interpreter, int8, litert rounding     litert
    py-onnx-int8     Python interpreter, int8 ONNX (QDQ)           - (reported)
    litert-int8      TFLite int8, ai-edge-litert default kernels   - (reported)
    ort-int8         ONNX int8, onnxruntime                        - (reported)
Contracts: float = within depth x 3.33e-6 x max(1, |y|) per row (depth: operators on the float
model's longest path; report_parity.float_tolerance); tflm and litert = bit-exact int8 output
codes.

Exit status: 0 all contracts hold; 3 verification failed (tampered artifact, broken contract,
executor error, or a --require'd executor skipped); 2 user error (no run folder).
In Python: tinyflash.testing.assert_parity(run_dir, require=...) for pytest.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinyflash.errors import UserError

__all__ = ["EXIT_FAILED", "add_arguments", "run", "split_names", "verify"]

EXIT_FAILED = 3
HOSTILE_ROWS = 256  # 4 extremes + 252 random int8 rows
SEED = 20240606
NO_INT8_QUANT = (1 / 128, 0)  # a float-only model's "int8" rows: codes / 128, in [-1, 1)
DEFAULT_RANDOM = 1000  # a model file verified without --inputs: this many random int8 rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN_DIR|MODEL",
        help="run folder (with manifest.json), or a .tflite or .onnx model file",
    )
    parser.add_argument(
        "--inputs",
        type=Path,
        default=None,
        metavar="X.npy",
        help="inputs (N, *input shape) instead of the run's test images",
    )
    parser.add_argument(
        "--labels",
        type=Path,
        default=None,
        metavar="Y.npy",
        help="integer labels of --inputs: accuracy per executor",
    )
    parser.add_argument(
        "--random",
        type=int,
        default=None,
        metavar="N",
        help=f"N random int8 input rows (default for a model file: {DEFAULT_RANDOM})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="a model file's run folder (default: <stem>_verify beside it)",
    )
    parser.add_argument(
        "--require",
        default="",
        metavar="EXEC,...",
        help="executors that must run here: a skip becomes a failure ('all' for every one)",
    )
    parser.add_argument("--only", default="", metavar="EXEC,...", help="run only these executors")
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="use only the first N test images"
    )
    parser.add_argument(
        "--hostile", type=int, default=HOSTILE_ROWS, metavar="N", help="hostile input rows"
    )
    parser.add_argument(
        "--no-report", action="store_true", help="write verify.json only (no report.md/html)"
    )


def split_names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads (keras)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, soft_wrap=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
               "{task.total}"), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("executors", total=None)

        def step(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"executor {name}")

        result = verify(
            args.run_dir,
            require=split_names(args.require),
            only=split_names(args.only) or None,
            limit=args.limit,
            hostile=args.hostile,
            report=not args.no_report,
            inputs=args.inputs,
            labels=args.labels,
            random=args.random,
            out=args.out,
            log=lambda text: bar.console.print(text, highlight=False),
            on_step=step,
        )
    for line in result["failures"]:
        console.print(f"[bold red]FAIL[/] {line}", highlight=False)
    verdict = "[bold green]PASS[/]" if result["verdict"] == "pass" else "[bold red]FAIL[/]"
    console.print(f"verify {verdict}: {result['summary']}", highlight=False)
    return 0 if result["verdict"] == "pass" else EXIT_FAILED


def verify(
    run_dir: str | os.PathLike[str],
    *,
    require: tuple[str, ...] = (),
    only: tuple[str, ...] | None = None,
    limit: int | None = None,
    hostile: int = HOSTILE_ROWS,
    report: bool = True,
    data: Any = None,
    log: Callable[[str], None] | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
    inputs: Any = None,
    labels: Any = None,
    random: int | None = None,
    out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Verify a run folder; return the verify.json document (also written into the folder).

    require: executor names that must run ("all": every one); only: run just these.
    limit: first N test images only (quick checks); hostile: number of hostile rows.
    data: the tinyflash.train.data.Dataset the run was trained on (default: load_mnist of
    the manifest's data_path, i.e. MNIST unless the run used another data set).
    log: called with one line per step (None: silent); on_step(done, total, executor name)
    is called before each executor runs and once at the end (progress bars).
    inputs / labels: arrays or .npy paths used instead of the data set (accuracy only with
    labels); random: N random int8 rows instead. run_dir may be a .tflite or .onnx file: it is
    copied
    into a run folder (out, default <stem>_verify beside it), verified on `random` (default
    DEFAULT_RANDOM) rows unless inputs are given. Every executor gets its max / mean absolute
    difference from the first float executor that ran ("error"), for any kind of output.
    A tampered artifact stops before anything runs: verdict "fail", and the failure names the
    file, the expected and the found sha256.
    """
    import numpy as np

    from tinyflash import __version__
    from tinyflash import report_executors as rx
    from tinyflash import report_parity as rp
    from tinyflash import report_runfolder as rf
    from tinyflash import verify_inputs as vi
    from tinyflash.atomic import write_json
    from tinyflash.runtime.errors import UnsupportedOperatorError

    run_dir = Path(run_dir)
    if run_dir.is_file():
        run_dir = vi.model_folder(run_dir, Path(out) if out is not None else None)
        random = random if random or inputs is not None else DEFAULT_RANDOM
    manifest = rf.load_manifest(run_dir)
    known = {e.name for e in rx.EXECUTORS}
    for name in (require if require != ("all",) else ()) + (only or ()):
        if name not in known:
            raise UserError(f"unknown executor {name!r}; known: {', '.join(sorted(known))}")
    doc: dict[str, Any] = {
        "tinyflash": __version__,
        "run_dir": str(run_dir),
        "verdict": "fail",
        "failures": [],
        "executors": [],
        "pairs": [],
        "violations": [],
    }
    say = log or (lambda text: None)
    step = on_step or (lambda done, total, name: None)
    try:
        doc["manifest"] = {"checked": rf.check_manifest(run_dir, manifest), "ok": True}
    except rf.Tampered as exc:
        doc["manifest"] = {"ok": False, "error": str(exc)}
        doc["failures"].append(str(exc))
        doc["summary"] = "manifest check failed; nothing was run"
        write_json(run_dir / "verify.json", doc)
        return doc
    say(f"manifest: {doc['manifest']['checked']} artifacts match their sha256")

    paths, unlisted = rf.artifact_paths(run_dir, manifest)
    for kind in unlisted:
        note = f"{paths[kind].name} ({kind}) is not listed in manifest.json: sha256 not checked"
        doc["manifest"].setdefault("notes", []).append(note)
        say(f"note: {note}")
    given = (inputs, labels, random)
    inputs, source = _inputs(run_dir, manifest, paths, data, limit, hostile, given)
    labelled = len(inputs.labels) == inputs.n_test > 0
    doc["inputs"] = {"test_images": inputs.n_test, "hostile": inputs.n - inputs.n_test,
                     "seed": SEED, "input_quant": list(inputs.quant), "source": source,
                     "labels": labelled}  # fmt: skip
    out_quant = _output_quant(manifest, paths)

    outputs: dict[str, rp.Outputs] = {}
    ran: dict[str, rx.Executor] = {}
    header_contract = _header_rounding(manifest, paths.get("header_int8"))
    no_c = _no_header_reason(run_dir, paths)  # the C executors' skip reason, or None
    for done, ex in enumerate(rx.EXECUTORS):
        step(done, len(rx.EXECUTORS), ex.name)
        if ex.artifact == "header_int8":  # the int8 header joins the group of its rounding
            ex = dataclasses.replace(ex, contract=header_contract)
        entry: dict[str, Any] = {"name": ex.name, "label": ex.label, "artifact": ex.artifact,
                                 "contract": ex.contract}  # fmt: skip
        if ex.artifact in paths:
            entry["file"] = paths[ex.artifact].name
        doc["executors"].append(entry)
        reason = "not selected (--only)" if only and ex.name not in only else None
        if ex.artifact.startswith("header") and ex.artifact not in paths:
            reason = reason or no_c
        reason = reason or rx.unavailable(ex, paths.get(ex.artifact))
        if reason:
            entry.update(status="skipped", reason=reason)
            say(f"  skip  {ex.name:16} {reason}")
            if ex.name in require or (require == ("all",) and not only):
                doc["failures"].append(f"required executor {ex.name} was skipped: {reason}")
            continue
        int8 = ex.artifact in rf.INT8_KINDS
        x = inputs.as_int8 if int8 else inputs.as_float
        start = time.perf_counter()
        try:
            y = np.asarray(ex.run(paths[ex.artifact], x))
            shape = next(iter(outputs.values())).values.shape if outputs else (inputs.n, None)
            if y.ndim != 2 or y.shape[0] != inputs.n or shape[1] not in (None, y.shape[1]):
                want = f"({inputs.n}, {shape[1] or 'classes'})"
                raise ValueError(f"expected outputs of shape {want}, found {y.shape}")
        except UnsupportedOperatorError as exc:  # the executor cannot run this model: a skip
            entry.update(status="skipped", reason=f"not supported: {exc}")
            say(f"  skip  {ex.name:16} not supported: {exc}")
            if ex.name in require or (require == ("all",) and not only):
                doc["failures"].append(f"required executor {ex.name} was skipped: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - reported as this executor's error
            entry.update(status="error", reason=f"{type(exc).__name__}: {exc}")
            doc["failures"].append(f"executor {ex.name} failed: {type(exc).__name__}: {exc}")
            say(f"  error {ex.name:16} {type(exc).__name__}: {exc}")
            continue
        seconds = time.perf_counter() - start
        quant = out_quant if y.dtype == np.int8 else None
        outputs[ex.name] = rp.Outputs(y, quant)
        ran[ex.name] = ex
        accuracy = float((y[: inputs.n_test].argmax(1) == inputs.labels).mean()) if (
            labelled) else None  # fmt: skip
        entry.update(status="ran", accuracy=accuracy, seconds=round(seconds, 4),
                     us_per_image=round(1e6 * seconds / max(inputs.n, 1), 2))  # fmt: skip
        what = f"accuracy {accuracy:.4f}" if accuracy is not None else f"{inputs.n} rows"
        say(f"  ran   {ex.name:16} {what}  {seconds:7.2f} s")

    step(len(rx.EXECUTORS), len(rx.EXECUTORS), "done")
    reference, errors = vi.float_errors(outputs, inputs.n_test)
    for entry in doc["executors"]:
        if entry["name"] in errors:
            entry["error"] = errors[entry["name"]]
            e = errors[entry["name"]]
            say(f"  diff  {entry['name']:16} max |y - {reference}| {e['max_abs']:.3g}, mean "
                f"{e['mean_abs']:.3g}")  # fmt: skip
    depth = _float_depth(paths)
    pairs = rp.parity_matrix(outputs, depth)
    doc["pairs"] = [p.to_json() for p in pairs]
    violations = rp.check_contracts(pairs, {n: e.contract for n, e in ran.items()}, depth)
    for v in violations:
        where = _divergence(v, ran, paths, inputs, depth)
        doc["violations"].append({**v.to_json(), **where})
        kind = "test image" if v.row < inputs.n_test else "hostile input"
        index = v.row if v.row < inputs.n_test else v.row - inputs.n_test
        doc["failures"].append(
            f"contract {v.contract} broken: {v.a} vs {v.b} disagree first on {kind} {index} "
            f"(row {v.row}; max difference {v.max_diff:g} {v.unit}); {where['layer_text']}"
        )
    doc["contracts"] = _contract_verdicts(ran, violations, depth)
    doc["verdict"] = "fail" if doc["failures"] else "pass"
    n_ran = len(ran)
    n_skip = sum(e["status"] == "skipped" for e in doc["executors"])
    doc["summary"] = (f"{n_ran} executors ran, {n_skip} skipped, {len(violations)} broken "
                      f"contract pairs, on {inputs.n_test} test images + "
                      f"{inputs.n - inputs.n_test} hostile inputs")  # fmt: skip
    write_json(run_dir / "verify.json", doc)
    if report:
        from tinyflash.report import write_reports

        write_reports(run_dir, doc, outputs, inputs)
    return doc


def _divergence(v, ran, paths, inputs, depth) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The first layer where the two executors of violation `v` diverge on its row."""
    from tinyflash import report_executors as rx
    from tinyflash import report_parity as rp
    from tinyflash import report_runfolder as rf

    def row(ex: rx.Executor):  # type: ignore[no-untyped-def]
        x = inputs.as_int8 if ex.artifact in rf.INT8_KINDS else inputs.as_float
        return x[v.row : v.row + 1]

    return rx.first_divergence(ran[v.a], ran[v.b], paths, row, rp.tolerance(v.contract, depth))


def _float_depth(paths: dict[str, Path]) -> int:
    """Operators on the longest path of the float model (the .tflite, else the .onnx: its
    graph spells out more steps), the depth the float contract's bound grows with; MLP_DEPTH
    when neither can be read (then at most Keras runs, with nothing to agree with)."""
    from tinyflash.report_parity import MLP_DEPTH
    from tinyflash.runtime.errors import ModelFormatError, UnsupportedOperatorError
    from tinyflash.runtime.onnx import read_onnx
    from tinyflash.runtime.tflite import read_tflite

    for kind, read in (("tflite_float", read_tflite), ("onnx_float", read_onnx)):
        if kind in paths:
            try:
                return read(paths[kind].read_bytes()).depth()
            except (OSError, ModelFormatError, UnsupportedOperatorError):
                continue
    return MLP_DEPTH


def _no_header_reason(run_dir: Path, paths: dict[str, Path]) -> str | None:
    """Why the run folder has no C header, when the C generator cannot write one for its model
    (e.g. a CNN: the operators it does not support), else None."""
    if "header_int8" in paths and "header_float" in paths:
        return None
    if not {"tflite_int8", "tflite_float"} & set(paths):
        return "the C generator reads .tflite files only (this run folder has no .tflite)"
    from tinyflash.firmware_c.cli import c_unsupported

    try:
        return c_unsupported(run_dir)
    except Exception:  # noqa: BLE001 - an unreadable model is reported by its executors
        return None


def _header_rounding(manifest: dict[str, Any], header: Path | None) -> str:
    """The int8 header's integer semantics ("tflm" or "litert"): from the manifest entry
    written at codegen, else from the header's banner line "Rounding:  <mode> (...)"."""
    import re

    rounding = manifest["artifacts"].get("header_int8", {}).get("rounding")
    if rounding is None and header is not None and header.is_file():
        with open(header, encoding="utf-8", errors="replace") as f:
            found = re.search(r"^ \* Rounding:\s+(\w+)", f.read(4096), re.M)
        rounding = found.group(1) if found else None
    return rounding if rounding in ("tflm", "litert") else "tflm"


def _contract_verdicts(ran, violations, depth) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """contract -> {"promise", "tolerance", "members" that ran, "verdict": pass | fail | not
    checked}; the float one also has the model's "depth"."""
    from tinyflash import report_parity as rp

    verdicts = {}
    for name, promise in rp.CONTRACTS.items():
        members = [n for n, e in ran.items() if e.contract == name]
        broken = any(v.contract == name for v in violations)
        verdict = "fail" if broken else "pass" if len(members) >= 2 else "not checked"
        verdicts[name] = {"promise": promise, "tolerance": rp.tolerance(name, depth),
                          "members": members, "verdict": verdict}  # fmt: skip
        if name == "float":
            verdicts[name] |= {"promise": rp.float_promise(depth), "depth": depth}
    return verdicts


def _inputs(run_dir, manifest, paths, data, limit, hostile, given):  # type: ignore[no-untyped-def]
    """(Inputs, where they came from): given inputs (and labels), random rows, the calibration
    inputs of an exported model file, else the test images of the run's data set (pixels /
    255); then hostile rows."""
    from tinyflash import report_runfolder as rf
    from tinyflash.train.data import load_mnist
    from tinyflash.train.model import preprocess
    from tinyflash.verify_inputs import pick_inputs

    shape = (manifest.get("export") or {}).get("input_shape")  # None: a flattened dense input
    quant = _input_quant(manifest, paths)
    inputs, labels, random = given
    if shape is not None:
        picked = pick_inputs(run_dir, manifest, tuple(shape), quant, inputs=inputs,
                             labels=labels, random=random, seed=SEED)  # fmt: skip
        if picked is not None:
            x, y, source = picked
            if limit is not None:
                x, y = x[:limit], y[:limit]
            return rf.make_inputs(x, y, quant, hostile, SEED), source
    elif inputs is not None or random:
        raise UserError("--inputs / --random: manifest.json records no export.input_shape")
    if data is None:
        data = load_mnist(manifest.get("data_path"), allow_download=False)
    images, labels = data.x_test, data.y_test
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = preprocess(images, shape)  # (N, *input_shape) float32
    return rf.make_inputs(x, labels, quant, hostile, SEED), getattr(data, "source", "test set")


def _tensor_quant(
    manifest: dict[str, Any], paths: dict[str, Path], which: str
) -> tuple[float, int]:
    """(scale, zero_point) of the int8 model's input or output tensor."""
    q = manifest.get("quantization", {})
    q = q.get(which) if isinstance(q, dict) else q
    if q:
        try:
            return float(q["scale"]), int(q["zero_point"])
        except (KeyError, TypeError, ValueError):
            raise UserError(
                f"manifest.json quantization.{which}: expected {{scale: number, zero_point: "
                f"integer}}, found {q!r}"
            ) from None
    if "tflite_int8" not in paths:  # a float model alone: random / hostile rows are codes / 128
        return NO_INT8_QUANT
    from ai_edge_litert import interpreter as litert

    it = litert.Interpreter(model_path=str(paths["tflite_int8"]))
    details = it.get_input_details() if which == "input" else it.get_output_details()
    scale, zero_point = details[0]["quantization"]
    return float(scale), int(zero_point)


def _input_quant(manifest: dict[str, Any], paths: dict[str, Path]) -> tuple[float, int]:
    return _tensor_quant(manifest, paths, "input")


def _output_quant(manifest: dict[str, Any], paths: dict[str, Path]) -> tuple[float, int]:
    return _tensor_quant(manifest, paths, "output")
