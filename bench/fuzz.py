"""Long fuzz run of the model loaders: structure-aware mutations of real exported files.

    .venv/bin/python -P bench/fuzz.py --cases 100000 --format all          # both formats
    .venv/bin/python -P bench/fuzz.py --cases 20000 --format onnx --engine atheris

Prints the case count, the outcomes by exception type, the crashes (each saved with its bytes
under --crashes, default bench/fuzz-crashes/) and the time; --json writes the same as data.
Exit status 1 if any case crashed.

Engines:
  random   (default) worker processes (--workers, default 2) each run a slice of the cases;
           case i of format F is fully determined by (--seed, F, i), so any case replays
           exactly. A worker that dies (a signal, e.g. a segfault in a C extension) or stops
           reporting for --hang seconds is a crash of its current case; the run continues
           in a new worker.
  atheris  coverage-guided libFuzzer over the same mutator (atheris custom_mutator),
           instrumenting tinyflash.runtime; one process per format (atheris stops at its first
           crash, which it writes next to the other crashes).
Each case: tests/hostile/fuzzlib.run_case (2 s and 1 GB of new address space per case; the
model must run on a valid input or the loader must raise ModelFormatError /
UnsupportedOperatorError). Seeds: tests/hostile/corpus (real MNIST models from
`tinyflash export`).

In the bench suite, bench/run.py calls run(ctx): 5,000 cases per format, the same table.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
FORMATS = ("tflite", "onnx")
BENCH_CASES = 5000


def _fuzzlib():
    if str(HOSTILE) not in sys.path:
        sys.path.insert(0, str(HOSTILE))
    import fuzzlib

    return fuzzlib


def case_bytes(fmt: str, seed: int, index: int, seeds: list[bytes]) -> bytes:
    """The bytes of case `index`: a corpus seed with 1-4 mutations, all from one Random."""
    fuzzlib = _fuzzlib()
    rng = random.Random(f"{seed}:{fmt}:{index}")
    base = seeds[rng.randrange(len(seeds))]
    return fuzzlib.mutate(base, fmt, fuzzlib.RandomChooser(rng), rng.randint(1, 4))


def _seeds(fmt: str) -> list[bytes]:
    return [p.read_bytes() for p in _fuzzlib().corpus_files(fmt)]


def worker(fmt: str, seed: int, start: int, stop: int) -> None:
    """Run cases [start, stop) and print one JSON line per case (the parent's only input)."""
    import warnings

    fuzzlib = _fuzzlib()
    warnings.simplefilter("ignore")
    seeds = _seeds(fmt)
    for i in range(start, stop):
        outcome = fuzzlib.run_case(case_bytes(fmt, seed, i, seeds))
        print(
            json.dumps(
                {
                    "i": i,
                    "kind": outcome.kind,
                    "detail": outcome.detail[:200],
                    "seconds": round(outcome.seconds, 4),
                }
            ),
            flush=True,
        )


def _spawn(fmt: str, seed: int, start: int, stop: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-P", __file__, "--worker", fmt, str(seed), str(start), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip


def fuzz_random(
    fmt: str, cases: int, seed: int, workers: int, hang: float, crashes_dir: Path, log=print
) -> dict[str, Any]:
    """Run `cases` cases of `fmt` on `workers` processes; returns counts and crashes."""
    counts: collections.Counter[str] = collections.Counter()
    crashes: list[dict[str, Any]] = []
    slowest = 0.0
    seeds = _seeds(fmt)
    bounds = [cases * k // workers for k in range(workers + 1)]

    def slot(first: int, stop: int) -> list[Any]:
        """A worker for cases first..stop-1: [process, next case expected, stop, last report]."""
        return [_spawn(fmt, seed, first, stop), first, stop, time.monotonic()]

    slots = {k: slot(bounds[k], bounds[k + 1]) for k in range(workers) if bounds[k] < bounds[k + 1]}
    start = time.perf_counter()

    def crash(index: int, kind: str, detail: str) -> None:
        counts[kind] += 1
        data = case_bytes(fmt, seed, index, seeds)
        path = crashes_dir / f"{fmt}-{seed}-{index}.{fmt}"
        crashes_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        crashes.append(
            {"case": index, "kind": kind, "detail": detail, "file": str(path), "bytes": len(data)}
        )
        log(f"  CRASH case {index}: {kind}: {detail[:160]} -> {path}")

    while slots:
        by_fd = {s[0].stdout.fileno(): k for k, s in slots.items()}
        ready, _, _ = select.select(list(by_fd), [], [], 1.0)
        for fd in ready:
            k = by_fd[fd]
            proc, expected, stop, _ = slots[k]
            line = proc.stdout.readline()
            if line:
                r = json.loads(line)
                slots[k][1], slots[k][3] = r["i"] + 1, time.monotonic()
                slowest = max(slowest, r["seconds"])
                if r["kind"].startswith("crash:"):
                    crash(r["i"], r["kind"], r["detail"])
                else:
                    counts[r["kind"]] += 1
                done = sum(counts.values())
                if done % 10000 == 0:
                    log(f"  {fmt}: {done}/{cases} cases, {time.perf_counter() - start:.0f} s")
                continue
            code = proc.wait()  # EOF: finished, or died on case `expected`
            if expected < stop:
                crash(expected, f"crash:worker-died-{code}", f"exit status {code}")
                slots[k] = slot(expected + 1, stop)
            else:
                del slots[k]
        for k, (proc, expected, stop, last) in list(slots.items()):
            if time.monotonic() - last > hang:
                proc.kill()
                proc.wait()
                crash(expected, "crash:hang", f"no result for {hang} s")
                if expected + 1 < stop:
                    slots[k] = slot(expected + 1, stop)
                else:
                    del slots[k]
    return {
        "format": fmt,
        "engine": "random",
        "cases": sum(counts.values()),
        "seed": seed,
        "outcomes": dict(sorted(counts.items())),
        "crashes": crashes,
        "seconds": round(time.perf_counter() - start, 1),
        "slowest_case_seconds": slowest,
    }


def fuzz_atheris(fmt: str, cases: int, seed: int, crashes_dir: Path, log=print) -> dict[str, Any]:
    """libFuzzer via atheris in a child process; outcome counts come back through a file."""
    crashes_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for k, data in enumerate(_seeds(fmt)):
            (corpus / f"seed{k}").write_bytes(data)
        stats = Path(tmp) / "stats.json"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-P", __file__, "--atheris-child", fmt, str(stats), str(cases),
             f"-runs={cases}", f"-seed={seed + 1}", "-max_len=131072", "-timeout=10",
             "-rss_limit_mb=3072", f"-artifact_prefix={crashes_dir}/atheris-{fmt}-", str(corpus)],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        result = json.loads(stats.read_text()) if stats.exists() else {"outcomes": {}}
    crashes = []
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-12:]
        crashes.append({"kind": "crash:atheris", "detail": "\n".join(tail)})
        log("  CRASH (atheris):\n    " + "\n    ".join(tail))
    return {
        "format": fmt,
        "engine": "atheris",
        "cases": sum(result["outcomes"].values()),
        "seed": seed,
        "outcomes": result["outcomes"],
        "crashes": crashes,
        "seconds": round(time.perf_counter() - start, 1),
    }


def atheris_child(fmt: str, stats: str, cases: int, libfuzzer_args: list[str]) -> None:
    import warnings

    import atheris

    _fuzzlib()
    with atheris.instrument_imports(include=["tinyflash"]):
        import tinyflash.runtime  # noqa: F401 - instrumented for coverage
        import tinyflash.runtime.tflite  # noqa: F401

        if fmt == "onnx":
            import tinyflash.runtime.onnx  # noqa: F401
    import fuzzlib

    warnings.simplefilter("ignore")
    counts: collections.Counter[str] = collections.Counter()

    def dump() -> None:
        Path(stats).write_text(json.dumps({"outcomes": dict(counts)}))

    def test_one_input(data: bytes) -> None:
        outcome = fuzzlib.run_case(data)
        counts[outcome.kind] += 1
        if sum(counts.values()) % 500 == 0:
            dump()
        if outcome.crashed:
            dump()
            raise RuntimeError(f"{outcome.kind}: {outcome.detail}")

    def custom_mutator(data: bytes, max_size: int, seed_: int) -> bytes:
        rng = random.Random(seed_)
        out = fuzzlib.mutate(data, fmt, fuzzlib.RandomChooser(rng), rng.randint(1, 2))
        return out[:max_size]

    import atexit

    atexit.register(dump)
    atheris.Setup([sys.argv[0], *libfuzzer_args], test_one_input, custom_mutator=custom_mutator)
    try:
        atheris.Fuzz()
    finally:
        dump()


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| format | engine | cases | outcomes | crashes | time (s) |",
        "|---|---|---:|---|---:|---:|",
    ]
    for r in results:
        outcomes = ", ".join(f"{k} {v:,}" for k, v in r["outcomes"].items())
        lines.append(
            f"| {r['format']} | {r['engine']} | {r['cases']:,} | {outcomes} | "
            f"{len(r['crashes'])} | {r['seconds']:.0f} |"
        )
    return "\n".join(lines)


def run(ctx) -> tuple[str, dict]:
    """bench/run.py entry: BENCH_CASES per format with the random engine."""
    results = [
        fuzz_random(
            fmt, BENCH_CASES, 0, 2, 60.0, Path(ctx.work) / "fuzz-crashes", log=lambda s: None
        )
        for fmt in FORMATS
        if _seeds(fmt)
    ]
    text = (
        "## Loader fuzzing\n\nStructure-aware mutations of real exported models "
        "(tests/hostile/fuzzlib.py); full run: `make fuzz`.\n\n" + report(results)
    )
    return text, {"fuzz": results}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases", type=int, default=100_000, help="cases per format")
    p.add_argument("--format", choices=[*FORMATS, "all"], default="all")
    p.add_argument("--engine", choices=["random", "atheris"], default="random")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hang", type=float, default=60.0, help="seconds without a result = hang")
    p.add_argument("--crashes", type=Path, default=ROOT / "bench" / "fuzz-crashes")
    p.add_argument("--json", type=Path, help="also write the results as JSON")
    args = p.parse_args(argv)
    results = []
    for fmt in FORMATS if args.format == "all" else (args.format,):
        print(
            f"fuzzing {fmt}: {args.cases:,} cases, engine {args.engine}, seed {args.seed}",
            flush=True,
        )
        if args.engine == "atheris":
            r = fuzz_atheris(fmt, args.cases, args.seed, args.crashes)
        else:
            r = fuzz_random(fmt, args.cases, args.seed, args.workers, args.hang, args.crashes)
        results.append(r)
        print(
            f"{fmt}: {r['cases']:,} cases in {r['seconds']:.0f} s; outcomes "
            f"{r['outcomes']}; crashes {len(r['crashes'])}",
            flush=True,
        )
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r["crashes"] for r in results) else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--atheris-child":
        atheris_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
    else:
        sys.exit(main())
