"""docs/tutorial.md and docs/tutorial.es.md cannot go stale: their Python runs here.

Each file's ```python blocks run in order in one namespace, as a reader would run them. A
block that prints must be followed by an ```output block showing exactly what it printed,
and every decimal number in the prose must appear in one of those outputs (or be a literal
of the code): the tutorial's figures are the code's. ```sh blocks (the Keras training,
export, codegen, QEMU) are commands to read, not run here, and carry no output block.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
FILES = ["tutorial.md", "tutorial.es.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str, int]]:
    """(language, body, end offset) of every fenced block."""
    return [(m.group(1), m.group(2), m.end()) for m in FENCE.finditer(text)]


def examples(text: str) -> list[tuple[str, str | None]]:
    """(python code, the output block right after it or None)."""
    found = blocks(text)
    out = []
    for i, (lang, body, end) in enumerate(found):
        if lang != "python":
            continue
        following = found[i + 1] if i + 1 < len(found) else None
        adjacent = following is not None and following[0] == "output"
        if adjacent and text[end : text.index("```output", end)].strip() == "":
            out.append((body, following[1]))
        else:
            out.append((body, None))
    return out


def run(text: str) -> list[tuple[str, str | None, str]]:
    """Execute every python block; (code, shown output, printed output)."""
    namespace: dict[str, object] = {"__name__": "tutorial"}
    results = []
    for code, shown in examples(text):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, "<tutorial>", "exec"), namespace)  # noqa: S102 - our own docs
        results.append((code, shown, buffer.getvalue()))
    return results


def lines(text: str) -> list[str]:
    """Compared line by line without trailing spaces (editors strip them)."""
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


def prose(text: str) -> str:
    return FENCE.sub("", text)


@pytest.mark.parametrize("name", FILES)
def test_every_output_shown_is_the_output_printed(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    results = run(text)
    assert len(results) >= 10
    for code, shown, printed in results:
        first = code.strip().splitlines()[0]
        if shown is None:
            assert printed == "", f"{name}: block '{first}' prints but shows no output block"
        else:
            assert lines(printed) == lines(shown), f"{name}: block '{first}'"


@pytest.mark.parametrize("name", FILES)
def test_every_figure_in_the_prose_comes_from_an_output(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    # inputs (the code's literals) and results (its outputs)
    outputs = "\n".join(body for lang, body, _ in blocks(text) if lang in ("output", "python"))
    # decimals are written with a point in both languages, as the code prints them
    for number in re.findall(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?", prose(text)):
        assert number in outputs, f"{name}: {number} is printed by no block"


def test_both_languages_run_the_same_code():
    en, es = ((DOCS / n).read_text(encoding="utf-8") for n in FILES)
    strip = re.compile(r"#.*$", re.M)  # comments may be translated
    code_en = [strip.sub("", c).rstrip() for c, _ in examples(en)]
    code_es = [strip.sub("", c).rstrip() for c, _ in examples(es)]
    assert code_en == code_es
    assert [s for _, s in examples(en)] == [s for _, s in examples(es)]
