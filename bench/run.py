"""The benchmark suite: one command runs every benchmark and writes bench/RESULTS.md + results.json.

    make bench                              (= .venv/bin/python -P bench/run.py)
    .venv/bin/python -P bench/run.py --only export,runtime --work /tmp/bench-work

Each benchmark is a module bench/<name>.py listed in MODULES (explicit, in report order) with
`run(ctx) -> (markdown, dict)`. `ctx` gives it:
    ctx.work            a scratch folder of its own (bench-work/<name>)
    ctx.run_dir(preset) a trained + exported run folder for a training preset, built once per
                        suite run and shared by every module (cached under the work folder;
                        --work DIR keeps and reuses them across runs)
    ctx.machine         the machine description written at the top of RESULTS.md
    ctx.log(text)       a progress line
A module that is missing, or that raises, is reported as skipped with the reason in
RESULTS.md and results.json; the others still run. Figures are ratios against the peer
measured in the same run, on this machine, as each module's section explains.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
# bench/<name>.py, in report order
MODULES = ("train", "export", "runtime", "runtime_cnn", "float_parity", "firmware",
           "firmware_cnn", "fuzz")  # fmt: skip
PACKAGES = ("tinyflash", "numpy", "tensorflow-cpu", "keras", "ai-edge-litert", "tflite-micro",
            "onnx", "onnxruntime", "tf2onnx")  # fmt: skip


def describe_machine() -> dict[str, Any]:
    """CPU model, cores, memory, OS, Python and package versions, compilers."""
    import shutil
    import subprocess

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    tools = {}
    for tool in ("gcc", "clang", "arm-none-eabi-gcc", "qemu-system-arm"):
        path = shutil.which(tool)
        if path:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
            tools[tool] = (out.stdout.splitlines() or ["?"])[0].strip()
        else:
            tools[tool] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "tools": tools,
    }


class Context:
    """What a benchmark module gets: scratch space, shared run folders, the machine."""

    def __init__(self, work: Path, machine: dict[str, Any], log: Any = print) -> None:
        self.root = work
        self.work = work
        self.machine = machine
        self.log = log
        self._runs: dict[str, Path] = {}
        self._data: Any = None

    def for_module(self, name: str) -> Context:
        self.work = self.root / name
        self.work.mkdir(parents=True, exist_ok=True)
        return self

    def data(self) -> Any:
        """The real MNIST data set, loaded once."""
        if self._data is None:
            from tinyflash.train.data import load_mnist

            self._data = load_mnist(allow_download=False)
        return self._data

    def run_dir(self, preset: str) -> Path:
        """A run folder trained with `preset` and exported (manifest.json), built once."""
        if preset in self._runs:
            return self._runs[preset]
        folder = self.root / "runs" / preset
        if not (folder / "manifest.json").is_file():
            from tinyflash.export.pipeline import export_run
            from tinyflash.train.config import preset as load_preset
            from tinyflash.train.fit import train

            self.log(f"  preparing run folder for preset {preset} in {folder}")
            start = time.perf_counter()
            train(load_preset(preset), self.data(), folder, log=lambda s: None, verbose=0)
            export_run(folder, data=self.data(), log=lambda s: None)
            self.log(f"  trained + exported {preset} in {time.perf_counter() - start:.1f} s")
        self._runs[preset] = folder
        return folder


def _load(name: str) -> ModuleType:
    path = BENCH / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"bench/{name}.py does not exist (yet)")
    spec = importlib.util.spec_from_file_location(f"tinyflash_bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "run", None)):
        raise AttributeError(f"bench/{name}.py has no run(ctx) function")
    return module


def run_suite(ctx: Context, names: tuple[str, ...]) -> tuple[list[dict[str, Any]], float]:
    """Run each module; return per-module results (status ran/skipped) and total seconds."""
    results = []
    suite_start = time.perf_counter()
    for name in names:
        ctx.log(f"bench/{name}.py ...")
        start = time.perf_counter()
        entry: dict[str, Any] = {"module": name}
        try:
            module = _load(name)
            text, data = module.run(ctx.for_module(name))
            entry.update(status="ran", markdown=text, data=data)
        except Exception as exc:  # noqa: BLE001 - a failing benchmark is reported, not fatal
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            entry.update(status="skipped", reason=last)
            ctx.log(f"  skipped: {last}")
        entry["seconds"] = round(time.perf_counter() - start, 2)
        results.append(entry)
    return results, time.perf_counter() - suite_start


def render(machine: dict[str, Any], results: list[dict[str, Any]], seconds: float) -> str:
    pk = ", ".join(f"{k} {v}" for k, v in machine["packages"].items() if v)
    tools = ", ".join(f"{v}" for v in machine["tools"].values() if v)
    lines = [
        "# tinyflash benchmark results",
        "",
        "Written by `make bench` (`python -P bench/run.py`); do not edit by hand. Every figure "
        "below was measured in the same run, on this machine:",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores "
        f"({machine['cores_usable']} usable), memory {machine['memory']}",
        f"- OS: {machine['os']}; Python {machine['python']}",
        f"- packages: {pk}",
        f"- tools: {tools or 'none found'}",
        f"- suite wall time: {seconds:.0f} s",
        "",
        "| benchmark | status | seconds | note |",
        "|---|---|---:|---|",
    ]
    for r in results:
        note = r.get("reason", "").replace("|", "\\|")
        lines.append(f"| bench/{r['module']}.py | {r['status']} | {r['seconds']:.1f} | {note} |")
    for r in results:
        text = r["markdown"].strip() if r["status"] == "ran" else f"Skipped: {r['reason']}"
        heading = [] if text.startswith("## ") else [f"## {r['module']}", ""]
        lines += ["", *heading, text]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument("--work", type=Path, default=None, help="keep scratch + run folders here")
    parser.add_argument("--out", type=Path, default=BENCH, help="where RESULTS.md/results.json go")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    names = tuple(n.strip() for n in args.only.split(",") if n.strip()) or MODULES
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; known: {', '.join(MODULES)}")

    from tinyflash.atomic import write_json, write_text

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    machine = describe_machine()
    with tempfile.TemporaryDirectory(prefix="tinyflash-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results, seconds = run_suite(Context(work, machine, log), names)
    write_text(args.out / "RESULTS.md", render(machine, results, seconds))
    doc = {"machine": machine, "seconds": round(seconds, 1),
           "benchmarks": {r["module"]: {k: v for k, v in r.items() if k != "markdown"}
                          for r in results}}  # fmt: skip
    write_json(args.out / "results.json", doc)
    log(f"wrote {args.out / 'RESULTS.md'} and {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
