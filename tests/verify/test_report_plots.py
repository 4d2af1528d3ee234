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


def test_heat_map_tells_0_998_from_1() -> None:
    """Cells: "1" only when every row agrees, else rounded down (0.99995 is not 1.0000); the
    colour scale starts just below the lowest rate, so 0.998 and 1 differ in colour too."""
    from tinyflash.report_plots import cell_text, color_floor

    assert cell_text(1.0) == "1" and cell_text(0.99995) == "0.9999" and cell_text(0.998) == "0.9980"
    assert cell_text(float("nan")) == "n/a"
    rate = np.array([[1.0, 0.998], [0.998, np.nan]])
    assert 0.99 < color_floor(rate) < 0.998
    assert color_floor(np.array([[1.0, np.nan]])) == 0.99
    assert color_floor(np.array([[1.0, 0.0]])) == 0.0
