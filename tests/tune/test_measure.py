"""tune's measurement of a header larger than the micro:bit holds: ARMv6-M code counted on the
M3 board (as the footprint links it), not a failed build and estimates."""

from __future__ import annotations

import numpy as np
from tests_support import require_tool


def test_m0plus_counts_a_model_larger_than_the_microbit(tmp_path, mnist):
    """A 3-block CNN whose first conv keeps 16 channels of 28x28 (a 15.7 KB arena, the 64 KB /
    16 KB seed) is linked, run and painted under QEMU for the Cortex-M0+: every figure measured."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "gcc"):
        require_tool(tool)
    import keras

    from tinyflash.firmware_c.generate import generate_header
    from tinyflash.train.architectures import quantize_int8
    from tinyflash.train.model import build_model
    from tinyflash.train.summary import arena_bytes, layer_costs
    from tinyflash.tune.budget import Budget
    from tinyflash.tune.measure import PREFIX, _c_figures
    from tinyflash.tune.space import _config, conv_layers

    keras.utils.set_random_seed(0)
    config = _config(hidden=(), layers=conv_layers([16, 32, 32], 3, "max"))
    model = build_model(config, 10, (28, 28, 1))
    rows = layer_costs(model)
    metrics = {"macs": sum(r.macs for r in rows), "int8_arena_bytes_estimate": arena_bytes(model),
               "int8_weight_bytes": sum(r.int8_bytes for r in rows)}  # fmt: skip
    assert metrics["int8_arena_bytes_estimate"] > 15 * 1024
    calibration = mnist.x_test[:64, :, :, None].astype(np.float32) / np.float32(255.0)
    calibration[0] = 0.0  # the whole [0, 1] range: the header gets its pixel classify API
    calibration[1] = 1.0
    tflite = tmp_path / "model_int8.tflite"
    tflite.write_bytes(quantize_int8(model, calibration))
    header = generate_header(tflite, tmp_path, PREFIX, "tflm")
    figures = _c_figures(header, Budget(flash=64 * 1024, ram=16 * 1024), mnist, metrics)
    assert figures["flash_source"].startswith("linked, cortex-m0plus")
    assert figures["instructions_source"].startswith("QEMU, exact"), figures
    assert figures["ram_source"] == "arena + stack painted on QEMU"
    arena = int(header.read_text().split(f"#define {PREFIX.upper()}_ARENA_SIZE ")[1].split()[0])
    assert arena < figures["ram"] <= arena + 1024
    assert 3 < figures["instructions"] / metrics["macs"] < 12
