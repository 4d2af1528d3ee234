"""The generator and `tinyflash codegen`: identifiers, reproducibility, provenance, exact
literals, and the generated API used the way firmware uses it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyflash.cli import main
from tinyflash.errors import UserError
from tinyflash.firmware_c import toolchain as tc
from tinyflash.firmware_c.cformat import c_float
from tinyflash.firmware_c.generate import (
    EXTERNAL_NAMES,
    FLOAT_EXTERNAL_NAMES,
    generate,
    generate_int8_header,
    max_prefix_length,
)

C_DIR = Path(__file__).parent / "c"


@pytest.mark.parametrize("prefix", ["", "9lives", "my-model", "int", "a__b", "_x", "mnist.h"])
def test_rejects_prefixes_that_are_not_c_identifiers(prefix, fw_run, tmp_path):
    with pytest.raises(UserError, match="C identifier"):
        generate(fw_run(), prefix=prefix, out_dir=tmp_path)


def test_output_is_byte_reproducible_and_provenance_is_exact(fw_run, tmp_path):
    run_dir = fw_run()
    first = generate(run_dir, prefix="digits", out_dir=tmp_path / "a")
    second = generate(run_dir, prefix="digits", out_dir=tmp_path / "b")
    assert [p.name for p in first] == ["digits_model.h", "digits_f32_model.h"]
    for x, y in zip(first, second, strict=True):
        assert x.read_bytes() == y.read_bytes()
    text = first[0].read_text()
    sha = hashlib.sha256((run_dir / "model_int8.tflite").read_bytes()).hexdigest()
    assert f'#define DIGITS_MODEL_SHA256 "{sha}"' in text
    assert "DO NOT EDIT" in text and str(tmp_path) not in text and str(run_dir) not in text
    manifest = json.loads((run_dir / "manifest.json").read_text())
    acc = manifest["artifacts"]["tflite_int8"]["evaluation"]["tflm"]["accuracy"]
    assert f"{100 * acc:.2f} % on the 10,000 test images (tflm" in text


def test_rounding_mode_is_recorded(fw_run):
    model = fw_run() / "model_int8.tflite"
    assert '#define MNIST_ROUNDING "tflm"' in generate_int8_header(model)
    assert '#define MNIST_ROUNDING "litert"' in generate_int8_header(model, rounding="litert")


def test_float_model_is_refused_as_int8(fw_run):
    with pytest.raises(UserError, match="int8"):
        generate_int8_header(fw_run() / "model_float32.tflite")


def test_float_literals_read_back_exactly():
    rng = np.random.default_rng(1)
    values = np.concatenate(
        [
            rng.standard_normal(2000).astype(np.float32),
            np.array([1e-45, 1.1754944e-38, 3.4028235e38, -0.0, 1 / 3], np.float32),
        ]
    )
    for v in values:
        assert np.float32(c_float(v)[:-1]) == v


def test_cli_writes_headers_and_reports_bad_input(fw_run, tmp_path, capsys):
    assert main(["codegen", str(fw_run()), "--prefix", "net", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "net_model.h").is_file() and (tmp_path / "net_f32_model.h").is_file()
    assert main(["codegen", str(tmp_path / "missing")]) == 2
    assert "model_int8.tflite" in capsys.readouterr().err


def test_api_edge_cases_and_two_models_in_one_program(fw_run, tool, tmp_path):
    tool("gcc")
    generate(fw_run(), prefix="mnist", out_dir=tmp_path)
    generate(fw_run((37, 19), "tanh"), prefix="other", out_dir=tmp_path)
    for cc in ("gcc", "clang"):
        tool(cc)
        exe = tc.compile_host(
            [C_DIR / "api_check.c"], tmp_path / f"api_{cc}", cc=cc, flags=(f"-I{tmp_path}",)
        )
        proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30)
        assert (proc.returncode, proc.stdout) == (0, "ok\n")


def test_declarations_compile_as_cpp(fw_run, tool, tmp_path):
    tool("g++")
    generate(fw_run(), prefix="mnist", out_dir=tmp_path)
    src = tmp_path / "use.cpp"
    src.write_text(
        '#include "mnist_model.h"\nint f(const uint8_t *p) { return mnist_classify(p); }\n'
    )
    proc = subprocess.run(
        [
            "g++",
            "-std=c++11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            f"-I{tmp_path}",
            "-c",
            str(src),
            "-o",
            str(tmp_path / "use.o"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_generator_imports_no_tensorflow():
    """Generating C needs numpy and the standard library only (no TensorFlow, no litert)."""
    code = (
        "import sys, tinyflash.firmware_c.generate, tinyflash.firmware_c.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'ai_edge_litert', 'tflite_micro', 'onnx')))"
    )
    out = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == "[]"


def test_exported_functions_are_the_listed_ones(fw_run, tool, tmp_path):
    """EXTERNAL_NAMES (what the prefix-length rule protects) is what the headers really export."""
    tool("gcc")
    nm = tool("nm")
    generate(fw_run(), prefix="mnist", out_dir=tmp_path)
    for header, p, names in (
        ("mnist_model.h", "mnist", EXTERNAL_NAMES),
        ("mnist_f32_model.h", "mnist_f32", FLOAT_EXTERNAL_NAMES),
    ):
        src = tmp_path / f"{p}_impl.c"
        src.write_text(f'#define {p.upper()}_IMPLEMENTATION\n#include "{header}"\n')
        obj = tmp_path / f"{p}.o"
        subprocess.run(
            ["gcc", "-std=c99", "-c", f"-I{tmp_path}", str(src), "-o", str(obj)], check=True
        )
        symbols = subprocess.run(
            [nm, "-g", "--defined-only", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        exported = {line.split()[-1] for line in symbols.splitlines() if line.strip()}
        assert exported == {f"{p}_{n}" for n in names}


def test_prefix_length_keeps_external_names_distinct_for_c99(fw_run, tool, tmp_path):
    """21 characters is the longest prefix whose functions differ in their first 31 characters
    (C99's guarantee for external names); the header still compiles; 22 is refused."""
    longest = "a" * max_prefix_length()
    assert len(longest) == 21 and max_prefix_length(FLOAT_EXTERNAL_NAMES) >= len(longest) + 4
    paths = generate(fw_run(), prefix=longest, out_dir=tmp_path)
    for path, names in zip(paths, (EXTERNAL_NAMES, FLOAT_EXTERNAL_NAMES), strict=True):
        p = path.name.removesuffix("_model.h")
        assert len({f"{p}_{n}"[:31] for n in names}) == len(names)
    with pytest.raises(UserError, match="at most 21 characters.*found 22"):
        generate(fw_run(), prefix=longest + "b", out_dir=tmp_path)
