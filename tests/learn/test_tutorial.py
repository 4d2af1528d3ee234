"""docs/tutorial.md and docs/tutorial.es.md cannot go stale: their Python runs here.

Each file's ```python blocks run in order in one namespace, as a reader would run them. A
block that prints must be followed by an ```output block showing exactly what it printed,
and every decimal number in the prose must appear in one of those outputs (or be a literal
of the code): the tutorial's figures are the code's. ```sh blocks (the same steps typed in
a shell) are commands to read, not run here, and carry no output block.

A block fenced ```python needs=make,qemu-system-arm runs only where those tools are
installed: elsewhere the rest is still checked and the test then skips, naming them; with
CI=true a missing tool fails the test instead (tests_support.require_tool).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from tests_support import IN_CI, require_tool

DOCS = Path(__file__).resolve().parents[2] / "docs"
FILES = ["tutorial.md", "tutorial.es.md"]
FENCE = re.compile(r"^```(\w*)( needs=[\w,-]+)?\n(.*?)^```\n", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """(language, body, end offset, tools it needs) of every fenced block."""
    return [
        (m.group(1), m.group(3), m.end(), tuple(m.group(2)[7:].split(",")) if m.group(2) else ())
        for m in FENCE.finditer(text)
    ]


def examples(text: str) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """(python code, the output block right after it or None, tools it needs)."""
    found = blocks(text)
    out = []
    for i, (lang, body, end, needs) in enumerate(found):
        if lang != "python":
            continue
        following = found[i + 1] if i + 1 < len(found) else None
        adjacent = following is not None and following[0] == "output"
        if adjacent and text[end : text.index("```output", end)].strip() == "":
            out.append((body, following[1], needs))
        else:
            out.append((body, None, needs))
    return out


def run(text: str) -> tuple[list[tuple[str, str | None, str]], list[str]]:
    """Execute every python block whose tools exist: ((code, shown output, printed output)
    for each block run, the tools missing for the others)."""
    namespace: dict[str, object] = {"__name__": "tutorial"}
    results, missing = [], []
    for code, shown, needs in examples(text):
        absent = [tool for tool in needs if shutil.which(tool) is None]
        if absent:
            if IN_CI:
                require_tool(absent[0])  # fails: CI installs every tool the tutorial uses
            missing += absent
            continue
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, "<tutorial>", "exec"), namespace)  # noqa: S102 - our own docs
        results.append((code, shown, buffer.getvalue()))
    return results, missing


def lines(text: str) -> list[str]:
    """Compared line by line without trailing spaces (editors strip them)."""
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


def prose(text: str) -> str:
    return FENCE.sub("", text)


@pytest.mark.parametrize("name", FILES)
def test_every_output_shown_is_the_output_printed(name, tmp_path, monkeypatch):
    text = (DOCS / name).read_text(encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the tutorial's run folder
    results, missing = run(text)
    assert len(results) >= 10
    for code, shown, printed in results:
        first = code.strip().splitlines()[0]
        if shown is None:
            assert printed == "", f"{name}: block '{first}' prints but shows no output block"
        else:
            assert lines(printed) == lines(shown), f"{name}: block '{first}'"
    if missing:
        pytest.skip(f"{name}: every block checked but those needing {sorted(set(missing))}")


@pytest.mark.parametrize("name", FILES)
def test_every_figure_in_the_prose_comes_from_an_output(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    # inputs (the code's literals) and results (its outputs)
    outputs = "\n".join(body for lang, body, *_ in blocks(text) if lang in ("output", "python"))
    # decimals are written with a point in both languages, as the code prints them
    for number in re.findall(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?", prose(text)):
        assert number in outputs, f"{name}: {number} is printed by no block"


def test_both_languages_run_the_same_code():
    en, es = ((DOCS / n).read_text(encoding="utf-8") for n in FILES)
    strip = re.compile(r"#.*$", re.M)  # comments may be translated
    code_en = [strip.sub("", c).rstrip() for c, *_ in examples(en)]
    code_es = [strip.sub("", c).rstrip() for c, *_ in examples(es)]
    assert code_en == code_es
    assert [e[1:] for e in examples(en)] == [e[1:] for e in examples(es)]
