"""Fuzzing the .tflite loader: structure-aware mutations of real exported files (hypothesis).

Each example takes one committed seed (tests/hostile/corpus, real MNIST models written by
`tinyflash export`) and applies 1-4 mutations aimed at the FlatBuffers structure the walker
located (offsets out of the file or aliasing other tables, vtables, vector counts, tensor and
operator indices, dtypes, shapes, zero-sized tensors, quantization parameters, option unions)
or at raw bytes (bit flips, truncation, inserted/deleted/copied bytes), every choice drawn from
a hypothesis-controlled Random (uniform choices find more than hypothesis's small-integer bias;
shrinking still works). The property is
fuzzlib.run_case's: load runs or raises ModelFormatError / UnsupportedOperatorError, within 2 s
and 1 GB of new address space. Hypothesis shrinks a failure to its fewest mutations; derandomized
so every run tests the same cases. The long run is bench/fuzz.py.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzlib

SEEDS = {p.name: p.read_bytes() for p in fuzzlib.corpus_files("tflite")}


def _check(data: bytes) -> fuzzlib.Outcome:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in float kernels is fine
        outcome = fuzzlib.run_case(data)
    assert not outcome.crashed, f"{outcome.kind}: {outcome.detail}"
    return outcome


def test_corpus_seeds_are_real_models_that_run():
    assert len(SEEDS) >= 6
    for name, data in SEEDS.items():
        assert _check(data).kind == "ran", name


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(sorted(SEEDS)), st.integers(1, 4), st.randoms(use_true_random=False))
def test_mutated_tflite_loads_and_runs_or_is_rejected(seed, n, rnd):
    _check(fuzzlib.mutate(SEEDS[seed], "tflite", fuzzlib.RandomChooser(rnd), n))


@pytest.mark.parametrize("path", sorted(fuzzlib.CRASHES.glob("*.tflite")), ids=lambda p: p.name)
def test_crash_regressions(path):
    """Every crash the fuzzers found, kept as the file that caused it."""
    _check(path.read_bytes())


def test_every_truncation_of_a_real_file_is_rejected():
    data = SEEDS[min(SEEDS, key=lambda k: len(SEEDS[k]))]
    kinds = {_check(data[:n]).kind for n in range(0, len(data), 7)}
    assert kinds <= set(fuzzlib.ALLOWED_NAMES), kinds
