"""Benchmark: `tinyflash tune` on MNIST, two budgets, against the hand-made presets.

Standalone:  .venv/bin/python -P bench/tune.py [--minutes 30] [--workers 2] [--out DIR]
             .venv/bin/python -P bench/tune.py --trials 3     a quick version (3 trials each)
Writes DIR/<budget>/ (each study's report.html, best.toml, trials/) and prints, then writes
bench/RESULTS_tune.md (only for a full timed run, unless --write-results).

The goal (issue 15): within 30 minutes on 2 cores, a model of >= 97.5 % int8 accuracy in
<= 32 KB of flash, and one of >= 99.0 % in <= 64 KB, both verified by `tinyflash verify`.
Budgets (flash, RAM, core): 32K / 8K and 64K / 16K on a Cortex-M0+, half the time each, all
60,000 training and 10,000 test images, the default search space for 28x28x1 (dense and CNN).
Each best model: `tinyflash codegen` (header registered in its manifest, footprint.json),
then `tinyflash verify` (every executor here, parity contracts).

The presets, for comparison (bench/RESULTS.md, train section, int8 weights only):
    classic 784-10-10 sigmoid  92.30 %   7,940 B
    tiny    784-32-10 relu     96.29 %  25,408 B
    default 784-128-10 relu    98.15 % 101,632 B
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

BUDGETS = (("32K", "8K", 0.975), ("64K", "16K", 0.990))  # flash, RAM, accuracy goal
PRESETS = (("classic", "784-10-10 sigmoid", 0.9230, 7940),
           ("tiny", "784-32-10 relu", 0.9629, 25408),
           ("default", "784-128-10 relu", 0.9815, 101632))  # fmt: skip
ROOT = Path(__file__).resolve().parent


def tune_budget(
    flash: str, ram: str, out: Path, args: argparse.Namespace, seed: int
) -> dict[str, Any]:
    """One study through the CLI; returns its tune.json and the verify verdict of its best."""
    from tinyflash.cli import main

    argv = ["tune", "--flash", flash, "--ram", ram, "--out", str(out), "--workers",
            str(args.workers), "--seed", str(seed)]  # fmt: skip
    if args.trials:
        argv += ["--trials", str(args.trials)]
    else:
        argv += ["--time", f"{args.minutes * 60 / len(BUDGETS):.0f}s"]
    if args.space:
        argv += ["--space", args.space]
    start = time.perf_counter()
    status = main(argv)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"tinyflash {' '.join(argv)}: exit {status}")
    doc = json.loads((out / "tune.json").read_text())
    doc["seconds"] = round(seconds, 1)
    best = doc["best"]
    if best:
        run_dir = best["run_dir"]
        main(["codegen", run_dir])  # registers the header (and footprint.json) for verify
        doc["verify_status"] = main(["verify", run_dir])
        verdict = json.loads((Path(run_dir) / "verify.json").read_text())
        doc["verify"] = {"verdict": verdict["verdict"], "summary": verdict["summary"]}
    return doc


def _commit() -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)  # fmt: skip
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def results_md(docs: list[tuple[str, str, float, dict[str, Any]]], args: argparse.Namespace) -> str:
    lines = ["# tinyflash tune on MNIST", "",
             f"{'3-trial' if args.trials else f'{args.minutes}-minute'} run, {args.workers} "
             "workers, Cortex-M0+, all 60,000 / 10,000 images; figures from each study's "
             "tune.json (measured unless marked estimated). Each study is new: its trials 0 and 1 "
             "are the warm start's seeds (tinyflash/tune/seeds.py: the largest 3-block CNN and "
             f"MLP that fit), the rest the sampler's. Commit {_commit()}.", ""]  # fmt: skip
    for flash, ram, goal, doc in docs:
        best = doc["best"]
        met = best is not None and best["accuracy"] >= goal
        lines += [f"## {flash} flash, {ram} RAM (goal: >= {100 * goal:.1f} %)", "",
                  f"- {doc['summary'][1]}; {doc['seconds']:.0f} s",
                  f"- {doc['summary'][2]}",
                  f"- goal {'met' if met else 'NOT met'}"
                  + (f"; verify: {doc['verify']['verdict'].upper()} ({doc['verify']['summary']})"
                     if best else ""), "",
                  "| trial | model | int8 acc % | flash B | RAM B | instructions | fits "
                  "| figures |", "|---|---|---:|---:|---:|---:|---|---|"]  # fmt: skip
        by_number = {r["number"]: r for r in doc["trials"]}
        for n in doc["front"]:
            r = by_number[n]
            lines.append(f"| {n} | {r['model']} | {100 * r['accuracy']:.2f} | {r['flash']:,} | "
                         f"{r['ram']:,} | {r['instructions']:,} | "
                         f"{'yes' if r['feasible'] else 'no'} | "
                         f"{'estimated' if r['estimated'] else 'measured'} |")  # fmt: skip
        lines.append("")
    lines += ["## The hand-made presets (bench/RESULTS.md)", "",
              "| preset | network | int8 weights B | accuracy % |",
              "|---|---|---:|---:|"]  # fmt: skip
    lines += [f"| {n} | {net} | {w:,} | {100 * a:.2f} |" for n, net, a, w in PRESETS]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="total, split over budgets")
    parser.add_argument("--trials", type=int, default=0, help="trials per budget instead")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--space", help="a [space] TOML file instead of the default space")
    parser.add_argument("--out", default=str(ROOT.parent / "build" / "bench_tune"))
    parser.add_argument("--write-results", action="store_true",
                        help="write bench/RESULTS_tune.md even for a --trials run")  # fmt: skip
    args = parser.parse_args()
    docs = []
    for i, (flash, ram, goal) in enumerate(BUDGETS):  # a seed per study: they search apart
        doc = tune_budget(flash, ram, Path(args.out) / f"flash{flash}", args, args.seed + 10 * i)
        docs.append((flash, ram, goal, doc))
    text = results_md(docs, args)
    print(text)
    if not args.trials or args.write_results:
        (ROOT / "RESULTS_tune.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
