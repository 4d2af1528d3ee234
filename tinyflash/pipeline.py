"""`tinyflash run`: train -> export -> codegen -> verify, in one run folder.

    data     the data set (MNIST by default, --data for another)
    train    -> model.keras, config.toml, history.json, metrics.json, plots
    export   -> model_{float32,int8}.{tflite,onnx}, manifest.json (every artifact's sha256)
    codegen  -> <prefix>_model.h, <prefix>_f32_model.h, registered in manifest.json, and
                footprint.json: flash/RAM per Cortex-M core (tinyflash.firmware_c.footprint;
                only where arm-none-eabi-gcc is installed, else the report says it skipped)
    verify   -> verify.json, report.md, report.html (every executor, parity contracts)

One line per stage with its time, progress bars for the long non-Keras steps, and a summary
table at the end: accuracy per artifact, parity verdicts, footprint.

Re-running skips the stages whose inputs and outputs have not changed since they last ran:
each finished stage records in pipeline.json the fingerprint of its inputs (the resolved
training config; the sha256 of the files it read, as listed in manifest.json) and the sha256
of the files it wrote. `--from STAGE` re-runs STAGE and everything after it, on the files the
earlier stages left in the folder.

Exit status: 0, or 3 when verify finds a problem (see tinyflash.verify).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinyflash import __version__
from tinyflash.errors import UserError

__all__ = ["STAGES", "Stages", "add_arguments", "run", "stage_train"]

STAGES = ("train", "export", "codegen", "verify")
STATE = "pipeline.json"
TRAIN_OUTPUTS = ("model.keras", "config.toml", "metrics.json", "history.json")
VERIFY_OUTPUTS = ("verify.json", "report.md", "report.html")
FOOTPRINT = "footprint.json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Stages:
    """Prints one line per stage with its time and keeps rows for the final summary.

    `console` is a rich Console, or None for plain print (what `tinyflash train` uses).
    """

    console: Any = None
    rows: list[tuple[str, str, float | None, str]] = field(default_factory=list)

    def say(self, text: str) -> None:
        if self.console is None:
            print(text, flush=True)
        else:
            self.console.print(text, highlight=False, markup=False)

    def run(self, name: str, fn: Callable[[], str]) -> None:
        self.say(f"[{name}] started")
        start = time.perf_counter()
        outcome = fn()
        seconds = time.perf_counter() - start
        self.say(f"[{name}] done in {seconds:.1f} s: {outcome}")
        self.rows.append((name, "ran", seconds, outcome))

    def skip(self, name: str, why: str) -> None:
        self.say(f"[{name}] skipped: {why}")
        self.rows.append((name, "skipped", None, why))

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner while a long step without its own progress runs (plain: nothing)."""
        if self.console is None:
            yield
        else:
            with self.console.status(text):
                yield

    @contextlib.contextmanager
    def progress(self, name: str) -> Iterator[Callable[[int, int, str], None]]:
        """A progress bar; yields step(done, total, what) to move it (plain: no bar)."""
        if self.console is None:
            yield lambda done, total, what: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(name, total=None)

            def step(done: int, total: int, what: str) -> None:
                bar.update(task, completed=done, total=total, description=f"{name}: {what}")

            yield step

    def summary(self) -> None:
        width = max((len(r[0]) for r in self.rows), default=5)
        self.say("\nsummary")
        for name, status, seconds, outcome in self.rows:
            took = f"{seconds:7.1f} s" if seconds is not None else f"{status:>9}"
            self.say(f"  {name:<{width}}  {took}  {outcome}")


def keras_verbosity(quiet: bool) -> int:
    """Keras fit's verbose: 0 with --quiet; 1 (the carriage-return progress bar) on a terminal;
    2 (one plain line per epoch) when stdout is a file or a pipe, so a CI log holds no bar
    redrawn hundreds of times and no colour codes."""
    if quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


def stage_train(args: argparse.Namespace, stages: Stages) -> dict[str, Any]:
    """The data and train stages (also `tinyflash train`). Returns {"data", "metrics"}."""
    from tinyflash.atomic import ensure_writable_dir
    from tinyflash.train.cli import resolve_config

    config = resolve_config(args)  # validate flags and the output folder before slow work
    ensure_writable_dir(args.out)
    result: dict[str, Any] = {}

    def data() -> str:
        from tinyflash.train.data import load_mnist

        result["data"] = load_mnist(args.data)
        return result["data"].describe()

    def train() -> str:
        from tinyflash.train.fit import train as fit

        metrics = fit(
            config,
            result["data"],
            args.out,
            log=lambda s: None,
            summary=stages.say,
            verbose=keras_verbosity(getattr(args, "quiet", False)),
        )
        result["metrics"] = metrics
        return (
            f"{args.out}/model.keras: test accuracy {metrics['test_accuracy']:.4f} "
            f"after {metrics['epochs_run']} epochs ({metrics['train_seconds']:.1f} s of fitting)"
        )

    stages.run("data", data)
    stages.run("train", train)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tinyflash.train.cli import add_arguments as add_train_arguments

    add_train_arguments(parser)
    g = parser.add_argument_group("pipeline")
    g.add_argument("--from", dest="from_stage", choices=STAGES, metavar="STAGE",
                   help=f"re-run from this stage on ({', '.join(STAGES)}), reusing the "
                   "earlier stages' files in --out")  # fmt: skip
    g.add_argument(
        "--calibration",
        type=int,
        default=1000,
        metavar="N",
        help="training images used to calibrate int8 quantization (default: 1000)",
    )
    g.add_argument(
        "--prefix", default="mnist", help="C name prefix of the generated headers (default: mnist)"
    )
    g.add_argument(
        "--rounding",
        choices=("tflm", "litert"),
        default="tflm",
        help="integer semantics of the int8 C header (default: tflm, as on device)",
    )
    g.add_argument(
        "--require",
        default="",
        metavar="EXEC,...",
        help="verify: executors that must run here (a skip becomes a failure)",
    )
    g.add_argument("--verify-limit", type=int, default=None, metavar="N",
                   help="verify: use only the first N test images (default: all)")  # fmt: skip


class _Run:
    """One `tinyflash run`: the folder, what each stage last recorded, the shared data set."""

    def __init__(self, args: argparse.Namespace, stages: Stages) -> None:
        self.args = args
        self.out = Path(args.out)
        self.stages = stages
        path = self.out / STATE
        try:
            self.state: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
        except ValueError:
            self.state = {}  # unreadable: every stage runs again and rewrites it
        self.data: Any = None
        self.forced = set(STAGES[STAGES.index(args.from_stage) :]) if args.from_stage else set()

    def manifest(self) -> dict[str, Any]:
        from tinyflash.report_runfolder import load_manifest

        return load_manifest(self.out)

    def dataset(self) -> Any:
        if self.data is None:
            from tinyflash.train.data import load_mnist

            self.data = load_mnist(self.args.data)
        return self.data

    def inputs(self, stage: str) -> dict[str, Any]:
        """What a stage's result depends on: any change re-runs it (and so the stages after)."""
        a, out = self.args, self.out
        if stage == "train":
            from tinyflash.train.cli import resolve_config
            from tinyflash.train.config import to_toml

            return {"config": to_toml(resolve_config(a)), "data": str(a.data)}
        if stage == "export":
            return {"model.keras": _sha(out / "model.keras"), "calibration": a.calibration}
        artifacts = self.manifest()["artifacts"]
        if stage == "codegen":
            from tinyflash.firmware_c.footprint import skip_reason

            # installing the toolchain (or QEMU) later re-runs codegen to measure the footprint
            return {"tflite": {k: artifacts.get(k, {}).get("sha256")
                               for k in ("tflite_int8", "tflite_float")},
                    "prefix": a.prefix, "rounding": a.rounding,
                    "footprint_tools": skip_reason(stack=True) or "found"}  # fmt: skip
        footprint = out / FOOTPRINT  # the report shows it: a new one re-renders the report
        return {"artifacts": {k: v.get("sha256") for k, v in artifacts.items()},
                "footprint": _sha(footprint) if footprint.is_file() else None,
                "require": a.require, "limit": a.verify_limit}  # fmt: skip

    def outputs(self, stage: str) -> list[Path]:
        """The files a stage wrote (manifest.json is checked through its sha256 entries)."""
        out = self.out
        if stage == "train":
            return [out / n for n in TRAIN_OUTPUTS if (out / n).is_file()]
        if stage == "verify":
            return [out / n for n in VERIFY_OUTPUTS if (out / n).is_file()]
        headers = stage == "codegen"
        files = [out / e["file"] for k, e in self.manifest()["artifacts"].items()
                 if k.startswith("header") == headers]  # fmt: skip
        return files + [out / FOOTPRINT] if headers and (out / FOOTPRINT).is_file() else files

    def up_to_date(self, stage: str) -> str | None:
        """Why `stage` need not run again, or None if it must run."""
        record = self.state.get(stage)
        if stage in self.forced or not record or record.get("tinyflash") != __version__:
            return None
        try:
            if record["inputs"] != _jsonable(self.inputs(stage)):
                return None
            for name, sha in record["outputs"].items():
                if not (self.out / name).is_file() or _sha(self.out / name) != sha:
                    return None
        except (OSError, KeyError, ValueError, UserError):
            return None
        if stage == "verify" and record.get("verdict") != "pass":
            return None
        return f"up to date: {record.get('outcome', '')}"

    def record(self, stage: str, outcome: str, **extra: Any) -> None:
        from tinyflash.atomic import write_json

        self.state[stage] = {
            "tinyflash": __version__,
            "inputs": _jsonable(self.inputs(stage)),
            "outputs": {p.name: _sha(p) for p in self.outputs(stage)},
            "outcome": outcome,
            **extra,
        }
        write_json(self.out / STATE, self.state)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True))


def _needs(run: _Run, stage: str) -> None:
    """--from STAGE: the earlier stages' files must already be in the folder."""
    need = {"export": "model.keras", "codegen": "manifest.json", "verify": "manifest.json"}
    name = need.get(stage)
    if name and not (run.out / name).is_file():
        before = STAGES[STAGES.index(stage) - 1]
        raise UserError(f"--from {stage}: {run.out / name} not found; run the {before} stage "
                        f"first (`tinyflash run --out {run.out}` without --from)")  # fmt: skip


def _train(run: _Run) -> None:
    result = stage_train(run.args, run.stages)
    run.data = result["data"]
    metrics = result["metrics"]
    run.record("train", f"test accuracy {metrics['test_accuracy']:.4f}")


def _export(run: _Run) -> None:
    def export() -> str:
        from tinyflash.export.pipeline import export_run

        # --data is passed as the path so the manifest records it (standalone `tinyflash
        # verify` then checks on the same test set); otherwise the data set already loaded.
        with run.stages.status("export: converting and evaluating every artifact"):
            manifest = export_run(
                run.out,
                calibration=run.args.calibration,
                log=run.stages.say,
                data=run.args.data or run.dataset(),
            )
        files = [a["file"] for key, a in manifest["artifacts"].items() if key != "keras"]
        return f"{', '.join(files)} and manifest.json"

    run.stages.run("export", export)
    run.record("export", run.stages.rows[-1][3])


def _footprint(run: _Run, header: Path) -> str:
    """Measure the int8 header per Cortex-M core into footprint.json, or say why not."""
    from tinyflash.firmware_c.cli import write_footprint

    return write_footprint(run.out, header, run.args.prefix)


def _codegen(run: _Run) -> None:
    from tinyflash.firmware_c.cli import FOOTPRINT, c_unsupported

    reason = c_unsupported(run.out)
    if reason:  # e.g. a CNN: verify then skips the C executors with the same reason
        for stale in (f"{run.args.prefix}_model.h", f"{run.args.prefix}_f32_model.h", FOOTPRINT):
            (run.out / stale).unlink(missing_ok=True)  # an earlier model's: verify must not run it
        run.stages.skip("codegen", reason)
        run.record("codegen", f"skipped: {reason}")
        return
    result: dict[str, str] = {}

    def codegen() -> str:
        from tinyflash.firmware_c.cli import generate_run, record_headers

        paths = generate_run(run.out, prefix=run.args.prefix, rounding=run.args.rounding)
        record_headers(run.out, paths, run.args.prefix, run.args.rounding)
        header = next(p for p in paths if not p.name.endswith("_f32_model.h"))
        headers = ", ".join(f"{p.name} ({p.stat().st_size:,} B)" for p in paths)
        start = time.perf_counter()
        with run.stages.status("codegen: footprint per Cortex-M core"):
            result["footprint"] = _footprint(run, header)
        return f"{headers}; {result['footprint']} in {time.perf_counter() - start:.1f} s"

    run.stages.run("codegen", codegen)
    run.record("codegen", run.stages.rows[-1][3], footprint=result["footprint"])


def _verify(run: _Run) -> int:
    from tinyflash.verify import EXIT_FAILED, split_names, verify

    result: dict[str, Any] = {}

    def stage() -> str:
        with run.stages.progress("verify") as step:
            require = split_names(run.args.require)
            doc = verify(run.out, require=require, limit=run.args.verify_limit,
                         data=run.dataset() if run.args.data else run.data,
                         log=run.stages.say, on_step=step)  # fmt: skip
        result["doc"] = doc
        for failure in doc["failures"]:
            run.stages.say(f"  FAIL {failure}")
        return f"{doc['verdict'].upper()}: {doc['summary']}"

    run.stages.run("verify", stage)
    doc = result["doc"]
    run.record("verify", run.stages.rows[-1][3], verdict=doc["verdict"])
    return 0 if doc["verdict"] == "pass" else EXIT_FAILED


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rich.console import Console

    from tinyflash.atomic import ensure_writable_dir

    stages = Stages(Console(soft_wrap=True))
    ensure_writable_dir(args.out)
    state = _Run(args, stages)
    if args.from_stage:
        _needs(state, args.from_stage)
    status = 0
    for stage, step in (("train", _train), ("export", _export), ("codegen", _codegen),
                        ("verify", _verify)):  # fmt: skip
        if args.from_stage and STAGES.index(stage) < STAGES.index(args.from_stage):
            stages.skip(stage, f"--from {args.from_stage}: using the files in {state.out}")
            continue
        why = state.up_to_date(stage)
        if why:
            stages.skip(stage, why)
            continue
        status = step(state) or status
    summary(state)
    return status


def summary(run: _Run) -> None:
    """The closing tables: stages, accuracy per artifact, parity verdicts, footprint."""
    from rich.table import Table

    console = run.stages.console
    stages = Table(title=f"tinyflash run: {run.out}", title_justify="left")
    for column in ("stage", "status", "seconds", "result"):
        stages.add_column(column, justify="right" if column == "seconds" else "left")
    for name, status, seconds, outcome in run.stages.rows:
        stages.add_row(name, status, "-" if seconds is None else f"{seconds:.1f}", outcome)
    console.print(stages)
    from tinyflash.report import run_summary_tables

    for table in run_summary_tables(run.out):
        console.print(table)
