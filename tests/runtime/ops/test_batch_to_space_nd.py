"""SPACE_TO_BATCH_ND -> BATCH_TO_SPACE_ND models with a static batch of blocks, against TFLM and
litert BUILTIN_REF: blocks of 2x2 and 3x2, paddings and crops on each side, int8 and float32.
The references differ on int8 padding: litert pads the zero point; TFLM pads an uninitialized
value, in int8 and float32 alike (its SpaceToBatchParams.output_offset is never set: 0 in a
fresh process, other bytes after other models ran), so TFLM is compared off the padding
only. Converted dilated convolutions: test_space_to_batch_nd.py."""

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import Op, T, act_t, build_model, check_tensors, random_input, tflm_tensors

import tinyflash.runtime as rt


def roundtrip_model(block, pads, crops, hw=(7, 5), c=3, dtype="int8"):
    q = None if dtype == "float32" else (0.05, -17)
    hp, wp = hw[0] + sum(pads[0]), hw[1] + sum(pads[1])
    nb = block[0] * block[1]
    mid = (nb, hp // block[0], wp // block[1], c)
    out = (1, hp - sum(crops[0]), wp - sum(crops[1]), c)
    tensors = [
        act_t("x", (1, *hw, c), q),
        T("block", (2,), "int32", np.array(block, np.int32)),
        T("pads", (2, 2), "int32", np.array(pads, np.int32)),
        T("crops", (2, 2), "int32", np.array(crops, np.int32)),
        act_t("mid", mid, q),
        act_t("y", out, q),
    ]
    ops = [
        Op("SPACE_TO_BATCH_ND", [0, 1, 2], [4], schema.SpaceToBatchNDOptionsT(),
           schema.BuiltinOptions.SpaceToBatchNDOptions),
        Op("BATCH_TO_SPACE_ND", [4, 1, 3], [5], schema.BatchToSpaceNDOptionsT(),
           schema.BuiltinOptions.BatchToSpaceNDOptions),
    ]  # fmt: skip
    return build_model(tensors, ops, [0], [5])


CASES = {
    "2x2": ((2, 2), [[1, 0], [1, 0]], [[1, 0], [1, 0]]),
    "3x2_uneven": ((3, 2), [[1, 1], [0, 1]], [[0, 2], [1, 0]]),
    "1x1": ((1, 1), [[0, 0], [0, 0]], [[0, 0], [0, 0]]),
}


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_roundtrip(case, dtype):
    model = roundtrip_model(*CASES[case], dtype=dtype)
    x = random_input(model, 4)
    trace = check_tensors(model, x, modes=("litert",), atol=0.0)["litert"]
    nb = CASES[case][0][0] * CASES[case][0][1]
    assert trace["mid"].shape[0] == 4 * nb
    # TFLM runs one row at a time: its blocks come row-major, ours block-major ((i*bw+j)*N + n)
    want = tflm_tensors(model, x)
    got = rt.load(model, rounding="tflm").trace(x)
    mid = (
        want["mid"].reshape(4, nb, *want["mid"].shape[1:]).swapaxes(0, 1).reshape(got["mid"].shape)
    )
    # Positions that hold input values change with the input; padding does not (and reaches y
    # where the crops keep less than the paddings added).
    lo, hi = (-1.0, 1.0) if dtype == "float32" else (-128, 127)
    ours = rt.load(model, rounding="tflm")
    low, high = ours.trace(np.full_like(x, lo)), ours.trace(np.full_like(x, hi))
    for name, tflm in (("mid", mid), ("y", want["y"])):
        data = low[name] != high[name]
        assert data.any()
        np.testing.assert_array_equal(got[name][data], tflm[data])
    # Padding, against litert (above): 0.0 (float), the zero point (int8).


def test_int8_padding_differs_between_the_references():
    model = roundtrip_model(*CASES["3x2_uneven"])
    x = np.full((2, 7, 5, 3), 127, np.int8)
    tflm = rt.load(model, rounding="tflm").trace(x)["mid"]
    litert = rt.load(model, rounding="litert").trace(x)["mid"]
    assert set(np.unique(tflm)) == {0, 127} and set(np.unique(litert)) == {-17, 127}
