"""bench/run.py: modules that work, fail or are missing all end up in RESULTS.md/results.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def bench_run(monkeypatch, tmp_path: Path):
    spec = importlib.util.spec_from_file_location("tinyflash_bench_run", REPO / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fake = tmp_path / "bench"
    fake.mkdir()
    (fake / "good.py").write_text(
        "def run(ctx):\n"
        "    (ctx.work / 'scratch.txt').write_text('x')\n"
        "    return '| a | b |\\n|---|---|\\n| 1 | 2 |', {'answer': 42, 'work': str(ctx.work)}\n"
    )
    (fake / "broken.py").write_text("def run(ctx):\n    raise RuntimeError('no board attached')\n")
    monkeypatch.setattr(module, "BENCH", fake)
    monkeypatch.setattr(module, "MODULES", ("good", "broken", "absent"))
    return module, tmp_path


def test_suite_reports_ran_and_skipped_modules_with_reasons(bench_run) -> None:
    module, tmp = bench_run
    out = tmp / "out"
    assert module.main(["--out", str(out), "--work", str(tmp / "work")]) == 0
    text = (out / "RESULTS.md").read_text()
    assert "| bench/good.py | ran |" in text and "| 1 | 2 |" in text
    assert "| bench/broken.py | skipped |" in text and "RuntimeError: no board attached" in text
    assert "bench/absent.py does not exist" in text
    assert "CPU: " in text and "numpy" in text
    doc = json.loads((out / "results.json").read_text())
    assert doc["benchmarks"]["good"]["data"]["answer"] == 42
    assert Path(doc["benchmarks"]["good"]["data"]["work"]) == tmp / "work" / "good"
    assert doc["benchmarks"]["broken"]["status"] == "skipped"
    assert doc["machine"]["cores"] >= 1


def test_unknown_module_name_is_refused(bench_run) -> None:
    module, _ = bench_run
    with pytest.raises(SystemExit) as exc:
        module.main(["--only", "nope"])
    assert exc.value.code == 2
