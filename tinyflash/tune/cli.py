"""`tinyflash tune`: search for the most accurate model that fits the chip, measured.

    tinyflash tune --flash 32K --ram 8K --core cortex-m0plus --trials 30 --out tune
    tinyflash tune --flash 64K --ram 16K --time 30m --storage postgresql://host/db --workers 2

The same command resumes the study (its storage remembers every trial); on several machines,
the same command with one --storage URL makes each a worker of one study. Writes into --out:
study.db (the default storage), trials/NNNN/ (one run folder per trained trial), report.md,
report.html, accuracy_vs_flash.png, accuracy_vs_instructions.png, tune.json and best.toml
(`tinyflash train --config best.toml` trains the best model within the budget again).
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tinyflash.errors import UserError

__all__ = ["add_arguments", "parse_duration", "run"]

DEFAULT_TRIALS = 20


def parse_duration(text: str) -> float:
    """'30m' -> 1800.0, '2h' -> 7200.0, '90s' or '90' -> 90.0 seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise UserError(f"--time: expected a duration like 30m, 2h or 90s, found {text!r}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tinyflash.train.cli import add_data_argument

    add_data_argument(parser)
    g = parser.add_argument_group("budget (what the model must fit)")
    g.add_argument("--flash", required=True, metavar="SIZE", help="flash for the model, e.g. 32K")
    g.add_argument("--ram", required=True, metavar="SIZE", help="RAM (arena + stack), e.g. 8K")
    g.add_argument("--core", default="cortex-m0plus",
                   help="cortex-m0plus (default), cortex-m3, cortex-m4 or cortex-m7")  # fmt: skip
    g.add_argument("--max-instructions", metavar="N",
                   help="instructions per inference, e.g. 2M (default: no limit)")  # fmt: skip
    s = parser.add_argument_group("search")
    s.add_argument("--trials", type=int, metavar="N",
                   help=f"trials the study should hold (default {DEFAULT_TRIALS} without "
                   "--time)")  # fmt: skip
    s.add_argument("--time", metavar="DURATION", help="stop starting trials after this, e.g. 30m")
    s.add_argument("--space", metavar="FILE.toml", help="a [space] table (default: per data shape)")
    s.add_argument("--storage", metavar="URL",
                   help="Optuna storage URL shared by workers, e.g. postgresql://user@host/db "
                   "(default: sqlite:///OUT/study.db)")  # fmt: skip
    s.add_argument("--study", default="tinyflash-tune", metavar="NAME", help="study name")
    s.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes on this machine (default 1)")  # fmt: skip
    s.add_argument("--out", default="tune", metavar="DIR", help="output folder (default: tune)")
    s.add_argument("--calibration", type=int, default=1000, metavar="N",
                   help="training images calibrating int8 quantization (default 1000)")  # fmt: skip
    s.add_argument("--seed", type=int, help="sampler seed (default: random)")
    s.add_argument("--no-warm-start", action="store_true",
                   help="start a new study from sampled points only, not from the largest "
                   "model of each family that fits (tinyflash/tune/seeds.py)")  # fmt: skip
    s.add_argument("--heartbeat", type=int, default=10, metavar="SECONDS",
                   help="heartbeat of a running trial; a worker silent 3x this long is dead "
                   "and its trial re-run (default 10)")  # fmt: skip
    s.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a spawned worker


def _child_argv(args: argparse.Namespace, storage: str, index: int) -> list[str]:
    """The command line of a worker process: this command, one worker, no report."""
    argv = [sys.executable, "-P", "-m", "tinyflash", "tune", "--worker", "--workers", "1",
            "--flash", args.flash, "--ram", args.ram, "--core", args.core, "--out", args.out,
            "--storage", storage, "--study", args.study, "--calibration", str(args.calibration),
            "--heartbeat", str(args.heartbeat)]  # fmt: skip
    for flag, value in (("--data", args.data), ("--max-instructions", args.max_instructions),
                        ("--trials", args.trials), ("--time", args.time),
                        ("--space", args.space)):  # fmt: skip
        if value is not None:
            argv += [flag, str(value)]
    if args.seed is not None:
        argv += ["--seed", str(args.seed + index)]
    return argv


def _settings(budget: Any, space: Any, data: Any) -> dict[str, Any]:
    h, w, c = data.image_shape
    return {"budget": budget.to_dict(), "space": space.to_dict(),
            "data": f"{len(data.x_train)} training, {len(data.x_test)} test images, "
                    f"{h}x{w}x{c}, {data.num_classes} classes"}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import os

    from tinyflash.atomic import ensure_writable_dir
    from tinyflash.tune.budget import Budget, check_space, parse_bytes, parse_count
    from tinyflash.tune.space import default_space, load_space
    from tinyflash.tune.study import StopFlag, counted, open_storage, open_study, run_worker

    budget = Budget(flash=parse_bytes(args.flash), ram=parse_bytes(args.ram), core=args.core,
                    max_instructions=parse_count(args.max_instructions)
                    if args.max_instructions else None)  # fmt: skip
    if args.trials is not None and args.trials < 1:
        raise UserError(f"--trials: expected an integer >= 1, found {args.trials}")
    if args.workers < 1:
        raise UserError(f"--workers: expected an integer >= 1, found {args.workers}")
    seconds = parse_duration(args.time) if args.time else None
    target = args.trials if args.trials is not None else (None if seconds else DEFAULT_TRIALS)
    out = ensure_writable_dir(args.out)
    storage_url = args.storage or f"sqlite:///{(out / 'study.db').resolve()}"
    storage = open_storage(storage_url, heartbeat=args.heartbeat)  # fails fast, one line

    from rich.console import Console

    # a log file or pipe gets the tables whole, not cut to 80 columns
    console = Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 160)
    say = (lambda s: console.print(s, markup=False)) if not args.worker else print
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    # one Keras model per trial: TensorFlow's "retracing" warning says nothing wrong here
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    from tinyflash.train.data import load_mnist

    data = load_mnist(args.data)
    shape = data.image_shape
    space = load_space(args.space, shape) if args.space else default_space(shape)
    check_space(budget, space, data.num_classes)  # refuses before any training
    seeded: list[dict[str, Any]] = []

    def warm_start() -> list[dict[str, Any]]:  # run only if this process creates the study
        from tinyflash.tune.seeds import seeds

        seeded.extend([] if args.no_warm_start else seeds(space, budget, data.num_classes))
        return seeded

    study = open_study(storage, args.study, _settings(budget, space, data), args.seed,
                       warm_start)  # fmt: skip
    if not args.worker:
        say(f"tune: {budget.describe()}; study {args.study!r} in {storage_url}, "
            f"{len(counted(study))} trials so far; {data.describe()}")  # fmt: skip
    if seeded:
        import optuna

        from tinyflash.tune.objective import describe_model
        from tinyflash.tune.space import suggest

        models = [describe_model(suggest(optuna.trial.FixedTrial(p), space), shape,
                                 data.num_classes) for p in seeded]  # fmt: skip
        say(f"tune: warm start, the first trials: {'; '.join(models)} (--no-warm-start: none)")

    children = []
    if args.workers > 1:
        (out / "workers").mkdir(exist_ok=True)
        for i in range(1, args.workers):
            log = (out / "workers" / f"worker-{i}.log").open("w")
            # a session of its own: a terminal's Ctrl-C reaches this process only, which
            # passes it on once (twice would abort the workers' current trials)
            children.append(subprocess.Popen(_child_argv(args, storage_url, i), stdout=log,
                                             stderr=subprocess.STDOUT,
                                             start_new_session=True))  # fmt: skip
        say(f"tune: {len(children)} more worker process(es), logs in {out / 'workers'}")

    from tinyflash.tune.objective import Objective

    def done(trial: Any, line: str) -> None:
        say(f"trial {trial.number}: {line}")

    objective = Objective(space, budget, data, out, target, args.calibration, done)
    stop = StopFlag(say=say)
    stop.install()
    deadline = time.monotonic() + seconds if seconds else None
    with _Progress(console, study, target, active=not args.worker) as progress:
        why = run_worker(study, objective, target, deadline, stop, after=progress.update)
    for child in children:
        if stop.requested:
            child.send_signal(signal.SIGINT)
        child.wait()
    if args.worker:
        print(f"worker done: {why}")
        return 0
    say(f"tune: {why}")
    return _report(out, study, budget, console)


def _report(out: Path, study: Any, budget: Any, console: Any) -> int:
    from rich.table import Table

    from tinyflash.tune.report import HEADER, cells, write_report

    result = write_report(out, study, budget)
    table = Table(title="Pareto front (int8 accuracy vs flash, RAM, instructions)",
                  title_justify="left")  # fmt: skip
    for h in HEADER:
        table.add_column(h, justify="left" if h in ("model", "fits", "figures") else "right")
    for r in result["front"]:
        table.add_row(*cells(r))
    console.print(table)
    for line in result["summary"]:
        console.print(line, markup=False)
    console.print(f"report: {out / 'report.html'}", markup=False)
    return 0


class _Progress:
    """A bar of counted trials with the best-so-far (terminal only; else nothing)."""

    def __init__(self, console: Any, study: Any, target: int | None, active: bool) -> None:
        self.console, self.study, self.target = console, study, target
        self.active = active and console.is_terminal
        self.bar: Any = None

    def __enter__(self) -> _Progress:
        if self.active:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                MofNCompleteColumn(), console=self.console)  # fmt: skip
            self.bar.start()
            self.task = self.bar.add_task("trials", total=self.target)
            self.update()
        return self

    def update(self) -> None:
        if self.bar is None:
            return
        from tinyflash.tune.report import best, trial_rows
        from tinyflash.tune.study import counted

        top = best(trial_rows(self.study))
        text = (f"best so far: trial {top.number} {100 * top.accuracy:.2f} % in "
                f"{top.flash:,} B" if top else "no trial within the budget yet")  # fmt: skip
        self.bar.update(self.task, completed=len(counted(self.study)), description=text)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
