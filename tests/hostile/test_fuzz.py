"""Fuzzing the .tflite and .onnx loaders: structure-aware mutations of real exported files.

Each hypothesis example takes one committed seed (tests/hostile/corpus: real MNIST models
written by `tinyflash export`) and applies 1-4 mutations. .tflite: aimed at the FlatBuffers
structure flatbuffer_sites located (offsets out of the file or aliasing other tables, vtables,
vector counts, tensor / buffer / opcode indices, dtypes, shapes incl. zero-sized, quantization
parameters, option unions) or at raw bytes (bit flips, truncation, inserted / deleted / copied
bytes). .onnx: protobuf_sites edits the message tree (hostile dims and data types, names
re-pointed at other names -- cycles, dangling and absent inputs --, unknown op types, deleted or
duplicated nodes / initializers / attributes, raw_data of the wrong length) or the wire bytes
(lying length prefixes, truncation, flips). Every choice comes from a hypothesis-controlled
Random (uniform choices find more than hypothesis's small-integer bias; shrinking still works).

Property (fuzzlib.run_case): load returns a model that runs on a valid batch and returns the
shape and dtype it declares, or raises ModelFormatError / UnsupportedOperatorError with a
message -- within 2 s and 1 GB of new address space. Derandomized: every run tests the same
cases. The long run (100,000 per format, workers, atheris) is bench/fuzz.py.
"""

from __future__ import annotations

import os
import tempfile
import warnings

import fuzzlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FORMATS = ("tflite", "onnx")
SEEDS = {fmt: {p.name: p.read_bytes() for p in fuzzlib.corpus_files(fmt)} for fmt in FORMATS}
EXAMPLES = {"tflite": 500, "onnx": 1000}


def _check(data: bytes) -> fuzzlib.Outcome:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in float kernels is fine
        outcome = fuzzlib.run_case(data)
    if outcome.crashed:  # keep the bytes: the next regression file for crashes/
        fd, path = tempfile.mkstemp(prefix="tinyflash-fuzz-crash-", suffix=".bin")
        os.write(fd, data)
        os.close(fd)
        pytest.fail(f"{outcome.kind}: {outcome.detail} (case saved to {path})")
    return outcome


@pytest.mark.parametrize("fmt", FORMATS)
def test_corpus_seeds_are_real_models_that_run(fmt):
    assert len(SEEDS[fmt]) >= 6
    for name, data in SEEDS[fmt].items():
        assert _check(data).kind == "ran", name


def _fuzz_test(fmt: str):
    @settings(
        max_examples=EXAMPLES[fmt],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.sampled_from(sorted(SEEDS[fmt])), st.integers(1, 4), st.randoms(use_true_random=False)
    )
    def test(seed, n, rnd):
        _check(fuzzlib.mutate(SEEDS[fmt][seed], fmt, fuzzlib.RandomChooser(rnd), n))

    return test


test_mutated_tflite_loads_and_runs_or_is_rejected = _fuzz_test("tflite")
test_mutated_onnx_loads_and_runs_or_is_rejected = _fuzz_test("onnx")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in fuzzlib.CRASHES.iterdir() if p.suffix in (".tflite", ".onnx")),
    ids=lambda p: p.name,
)
def test_crash_regressions(path):
    """Every crash the fuzzers found, kept as the file that caused it (crashes/README.md)."""
    _check(path.read_bytes())


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncations_of_a_real_file_are_rejected(fmt):
    data = min(SEEDS[fmt].values(), key=len)
    kinds = {_check(data[:n]).kind for n in range(0, len(data), 13)}
    assert kinds <= set(fuzzlib.ALLOWED_NAMES), kinds


def test_the_harness_catches_what_it_should():
    """The property can fail: an escaping error type, a wrong shape and a timeout are crashes."""
    import numpy as np

    import tinyflash.runtime as rt

    model = rt.load(SEEDS["tflite"][min(SEEDS["tflite"])])
    original = model.__class__.__call__
    try:
        model.__class__.__call__ = lambda self, x: np.zeros((len(x), 3), np.float32)
        assert fuzzlib.run_case(SEEDS["tflite"][min(SEEDS["tflite"])]).kind == "crash:wrong-output"
        model.__class__.__call__ = lambda self, x: [][1]
        assert (
            fuzzlib.run_case(SEEDS["tflite"][min(SEEDS["tflite"])]).kind
            == "crash:IndexError-at-run"
        )

        def spin(self, x):
            while True:
                pass

        model.__class__.__call__ = spin
        assert (
            fuzzlib.run_case(SEEDS["tflite"][min(SEEDS["tflite"])], seconds=0.2).kind
            == "crash:timeout-at-run"
        )

        def hog(self, x):
            return np.ones(1 << 31, np.uint8)  # 2 GiB: beyond the 1 GiB address-space bound

        model.__class__.__call__ = hog
        assert (
            fuzzlib.run_case(SEEDS["tflite"][min(SEEDS["tflite"])]).kind
            == "crash:MemoryError-at-run"
        )
    finally:
        model.__class__.__call__ = original
