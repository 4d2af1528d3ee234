"""The report's figures: the parity heat map leaves float-vs-int8 cells out (n/a)."""

from __future__ import annotations

import numpy as np

from tinyflash.report_plots import parity_png, parity_rates


def test_heat_map_float_vs_int8_cells_are_not_compared() -> None:
    names = ["keras", "tflm", "py-int8-tflm", "c-host-int8"]
    pairs = [
        {"a": "keras", "b": "tflm", "agree": 0.0},
        {"a": "keras", "b": "py-int8-tflm", "agree": 0.0},
        {"a": "keras", "b": "c-host-int8", "agree": 0.0},
        {"a": "tflm", "b": "py-int8-tflm", "agree": 1.0},
        {"a": "tflm", "b": "c-host-int8", "agree": 0.0},  # a real disagreement stays 0
        {"a": "py-int8-tflm", "b": "c-host-int8", "agree": 0.5},
    ]
    int8 = {"tflm", "py-int8-tflm", "c-host-int8"}
    rate = parity_rates(names, pairs, int8)
    assert np.isnan(rate[0, 1:]).all() and np.isnan(rate[1:, 0]).all()
    assert rate[1, 3] == rate[3, 1] == 0.0 and rate[2, 3] == 0.5
    np.testing.assert_array_equal(np.diag(rate), 1.0)
    assert parity_png(names, pairs, int8).startswith(b"\x89PNG")
