"""The float32 emitters (firmware_c/emit/float32/) and kernels (firmware_c/tfk_float*.c) on
one-operator float .tflite models converted from Keras layers: the emitted constants and call
compiled with gcc -O2 (strict C99) and run on random and extreme inputs, against
tinyflash.runtime and ai-edge-litert BUILTIN_REF; then a small CNN using every float emitter
through the whole header, on the host and under QEMU (Cortex-M4F hardware float, Cortex-M0
software float).

Bound: every output within 1e-5 * max(|reference output|) of its inference (max-norm relative
error). The kernels sum in the reference kernels' order, so the arithmetic ops (CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED, pools, MEAN, ADD, MUL, PAD, CONCATENATION, RELU*) must
equal tinyflash.runtime and litert bit for bit; only expf / tanhf may differ (libm against
numpy's SIMD exp / tanh: measured up to 1.3e-7 relative; litert's reference Logistic returns
exp(x) below x = -9: ~1e-11 relative).
"""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import tinyflash.runtime as rt
from tinyflash.firmware_c import toolchain as tc
from tinyflash.firmware_c.cformat import kernel_source
from tinyflash.firmware_c.emit.base import ALIGN, Context, OpEmitter, Step, TensorSlot
from tinyflash.firmware_c.emit.float32 import EMITTERS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

TRANSCENDENTAL = {"SOFTMAX", "LOGISTIC", "TANH"}  # libm vs numpy: a few ulp, not bit-exact
# the index-heavy kernels run under ASan + UBSan: every read inside its tensor or constant (the
# test arena is exactly the tensors' bytes), no undefined behaviour
SANITIZED = ["conv_stride2_same_odd", "conv_dilation2", "dw_multiplier2_same_s2", "dw_dilation2",
             "maxpool_3x3_s2_same_odd", "avgpool_2x3_valid", "mean_axes_1_3", "pad_2d",
             "add_const_rows", "concat_const"]  # fmt: skip
PREFIX = "tf"


def _keras_kit():
    """What the CASES builders use: keras.layers (L), keras.ops (ops), a seeded random bias
    initializer (rnd), and two tiny layers: Const (x + c, x * c, or concat(x, c) with a
    constant c) and Mean."""
    import keras

    class Const(keras.layers.Layer):
        def __init__(self, kind, shape):
            super().__init__()
            self.kind = kind
            self.c = np.random.default_rng(4).uniform(-2, 2, shape).astype(np.float32)

        def call(self, x):
            c = keras.ops.convert_to_tensor(self.c)
            if self.kind == "add":
                return x + c
            if self.kind == "mul":
                return x * c
            return keras.ops.concatenate([x, c], axis=-1)

    class Mean(keras.layers.Layer):
        def __init__(self, axes, keep):
            super().__init__()
            self.axes, self.keep = axes, keep

        def call(self, x):
            return keras.ops.mean(x, axis=self.axes, keepdims=self.keep)

    rnd = keras.initializers.RandomUniform(-1.0, 1.0, seed=3)
    return SimpleNamespace(L=keras.layers, ops=keras.ops, rnd=rnd, Const=Const, Mean=Mean)


def _conv(**kw):
    return lambda k: k.L.Conv2D(bias_initializer=k.rnd, **kw)


def _dw(**kw):
    return lambda k: k.L.DepthwiseConv2D(bias_initializer=k.rnd, **kw)


# name -> (input shape without batch, the one op the converter must make, layer builder)
CASES = {
    "fc_relu": ((20,), "FULLY_CONNECTED", lambda k: k.L.Dense(7, "relu", bias_initializer=k.rnd)),
    "fc_nobias": ((33,), "FULLY_CONNECTED", lambda k: k.L.Dense(5, use_bias=False)),
    "fc_fused_n1_to_1": ((12,), "FULLY_CONNECTED", lambda k: lambda x: k.ops.clip(
        k.L.Dense(6, bias_initializer=k.rnd)(x), -1.0, 1.0)),
    "fc_relu6": ((16,), "FULLY_CONNECTED", lambda k: k.L.Dense(9, "relu6", bias_initializer=k.rnd)),
    "softmax": ((10,), "SOFTMAX", lambda k: k.L.Softmax()),
    "softmax_rows": ((3, 4, 7), "SOFTMAX", lambda k: k.L.Softmax()),
    "logistic": ((5, 7), "LOGISTIC", lambda k: k.L.Activation("sigmoid")),
    "tanh": ((37,), "TANH", lambda k: k.L.Activation("tanh")),
    "relu": ((4, 4, 3), "RELU", lambda k: k.L.ReLU()),
    "relu6": ((19,), "RELU6", lambda k: k.L.ReLU(max_value=6.0)),
    "relu_n1_to_1": ((3, 7), "RELU_N1_TO_1", lambda k: lambda x: k.ops.clip(x, -1.0, 1.0)),
    "conv_same_relu": ((9, 7, 3), "CONV_2D", _conv(filters=5, kernel_size=3, padding="same",
                                                   activation="relu")),
    "conv_stride2_valid_odd": ((9, 7, 3), "CONV_2D", _conv(filters=4, kernel_size=3, strides=2)),
    "conv_stride2_same_odd": ((9, 7, 2), "CONV_2D", _conv(filters=3, kernel_size=3, strides=2,
                                                          padding="same")),
    "conv_dilation2": ((11, 9, 2), "CONV_2D", _conv(filters=3, kernel_size=3, padding="same",
                                                    dilation_rate=2)),
    "conv_1x1_relu6": ((5, 5, 16), "CONV_2D", _conv(filters=8, kernel_size=1,
                                                    activation="relu6")),
    "conv_asym_nobias": ((8, 7, 3), "CONV_2D", lambda k: k.L.Conv2D(
        5, (3, 2), strides=(2, 1), padding="same", use_bias=False)),
    "conv_fused_n1_to_1": ((6, 5, 2), "CONV_2D", lambda k: lambda x: k.ops.clip(
        k.L.Conv2D(4, 3, bias_initializer=k.rnd)(x), -1.0, 1.0)),
    "conv_dscnn_10x4": ((49, 10, 1), "CONV_2D", _conv(filters=8, kernel_size=(10, 4), strides=2,
                                                      padding="same")),
    "dw_same_relu6": ((9, 7, 5), "DEPTHWISE_CONV_2D", _dw(kernel_size=3, padding="same",
                                                          activation="relu6")),
    "dw_stride2_valid": ((9, 8, 3), "DEPTHWISE_CONV_2D", _dw(kernel_size=3, strides=2)),
    "dw_multiplier2_same_s2": ((7, 7, 3), "DEPTHWISE_CONV_2D", _dw(
        kernel_size=3, strides=2, padding="same", depth_multiplier=2)),
    "dw_dilation2": ((10, 9, 4), "DEPTHWISE_CONV_2D", _dw(kernel_size=3, padding="same",
                                                          dilation_rate=2)),
    "maxpool_2x2": ((8, 6, 3), "MAX_POOL_2D", lambda k: k.L.MaxPooling2D(2)),
    "maxpool_3x3_s2_same_odd": ((9, 7, 2), "MAX_POOL_2D", lambda k: k.L.MaxPooling2D(
        3, strides=2, padding="same")),
    "avgpool_3x3_s2_same_odd": ((9, 7, 3), "AVERAGE_POOL_2D", lambda k: k.L.AveragePooling2D(
        3, strides=2, padding="same")),
    "avgpool_2x3_valid": ((8, 9, 2), "AVERAGE_POOL_2D", lambda k: k.L.AveragePooling2D(
        (2, 3), strides=(1, 2))),
    "mean_gap": ((6, 5, 7), "MEAN", lambda k: k.L.GlobalAveragePooling2D()),
    "mean_gap_keepdims": ((5, 5, 3), "MEAN", lambda k: k.L.GlobalAveragePooling2D(keepdims=True)),
    "mean_axes_1_3": ((4, 5, 6), "MEAN", lambda k: k.Mean((1, 3), False)),
    "add_self": ((4, 5, 3), "ADD", lambda k: lambda x: k.L.Add()([x, x])),
    "add_fused_n1_to_1": ((4, 5, 3), "ADD", lambda k: lambda x: k.ops.clip(
        k.L.Add()([x, x]), -1.0, 1.0)),
    "add_const_channels": ((4, 5, 3), "ADD", lambda k: k.Const("add", (3,))),
    "add_const_rows": ((4, 5, 3), "ADD", lambda k: k.Const("add", (1, 5, 1))),
    "add_broadcast_input": ((1, 1, 3), "ADD", lambda k: k.Const("add", (1, 4, 5, 3))),
    "mul_self": ((23,), "MUL", lambda k: lambda x: k.L.Multiply()([x, x])),
    "mul_const_channels": ((3, 4, 6), "MUL", lambda k: k.Const("mul", (6,))),
    "pad_2d": ((4, 5, 3), "PAD", lambda k: k.L.ZeroPadding2D(((1, 2), (0, 3)))),
    "concat_self": ((4, 5, 3), "CONCATENATION", lambda k: lambda x: k.L.Concatenate()([x, x])),
    "concat_const": ((4, 5, 3), "CONCATENATION", lambda k: k.Const("concat", (1, 4, 5, 2))),
    "concat_axis1": ((3, 4), "CONCATENATION", lambda k: lambda x: k.L.Concatenate(axis=1)(
        [x, x])),
}  # fmt: skip


@pytest.fixture(scope="module")
def models() -> dict[str, tuple[bytes, str]]:
    """name -> (float32 .tflite bytes, the op it must hold), converted once for the module."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    kit = _keras_kit()
    out = {}
    for name, (shape, op, layer) in CASES.items():
        inp = keras.Input(shape, batch_size=1)
        model = keras.Model(inp, layer(kit)(inp))
        out[name] = (tf.lite.TFLiteConverter.from_keras_model(model).convert(), op)
    return out


def _plan_one_op(model: rt.Model, in_place: bool = False) -> tuple[Step, Context, int, int, int]:
    """The single operator as Step + Context: activations packed at 16-byte offsets (in_place:
    the output at the first input's offset). Returns step, context, input offset, output
    offset, arena bytes."""
    graph = model.graph
    (op,) = graph.operators
    tensors: dict[int, TensorSlot] = {}
    offset = 0
    for index in sorted({*op.inputs, *op.outputs} - {-1}):
        t = graph.tensors[index]
        size = math.prod(t.shape)
        if t.data is not None:
            tensors[index] = TensorSlot(index, t.name, t.shape, t.dtype, "const", data=t.data)
            continue
        nbytes = -(-4 * size // ALIGN) * ALIGN
        tensors[index] = TensorSlot(index, t.name, t.shape, t.dtype, "arena", offset, nbytes)
        offset += nbytes
    if in_place:
        (out,) = op.outputs
        tensors[out] = replace(tensors[out], offset=tensors[op.inputs[0]].offset)
    step = Step(0, op.op, "s0", op.inputs, op.outputs, model.params[0], dict(op.options))
    ctx = Context(PREFIX, tensors, {}, "tflm")
    return step, ctx, tensors[graph.inputs[0]].offset, tensors[graph.outputs[0]].offset, offset


def _program(emitter: OpEmitter, step: Step, ctx: Context, x_off, y_off, n_in, n_out, arena):
    """A C program: reads records of n_in floats on stdin, writes n_out floats per record."""
    emitter.check and emitter.check(step)
    emitted = emitter.emit(step, ctx)
    return f"""#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

{kernel_source(emitter.kernels, PREFIX)}
{emitted.constants}
static float arena_words[{arena // 4}];

static void forward(void) {{
  uint8_t *arena = (uint8_t *)(void *)arena_words;
{emitted.call}
}}

int main(void) {{
  float *x = arena_words + {x_off // 4};
  const float *y = arena_words + {y_off // 4};
  while (fread(x, sizeof(float), {n_in}u, stdin) == {n_in}u) {{
    forward();
    if (fwrite(y, sizeof(float), {n_out}u, stdout) != {n_out}u) {{
      return 1;
    }}
  }}
  return 0;
}}
"""


def _inputs(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """(N, *shape) float32: random normal, uniform wide, integer ties, and extremes."""
    rng = np.random.default_rng(seed)
    rows = [rng.normal(0, 1, shape) for _ in range(4)]
    rows += [rng.uniform(-50, 50, shape), rng.integers(-3, 4, shape).astype(np.float64)]
    n = math.prod(shape)
    alternating = np.where(np.arange(n) % 2 == 0, 1e3, -1e3).reshape(shape)
    rows += [np.zeros(shape), np.full(shape, 1e3), np.full(shape, -1e3), alternating]
    rows += [np.full(shape, 1e-30), rng.normal(0, 1e4, shape)]
    return np.stack(rows).astype(np.float32)


def _run_c(
    models, name: str, tmp_path: Path, in_place: bool = False, flags: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray, rt.Model]:
    data, op = models[name]
    model = rt.load(data)
    assert [o.op for o in model.graph.operators] == [op], "the converter made another graph"
    step, ctx, x_off, y_off, arena = _plan_one_op(model, in_place)
    x = _inputs(model.input.shape, seed=len(name))
    n_in, n_out = x[0].size, math.prod(model.output.shape)
    source = tmp_path / f"{name}.c"
    source.write_text(_program(EMITTERS[op], step, ctx, x_off, y_off, n_in, n_out, arena))
    exe = tc.compile_host([source], tmp_path / name, cc="gcc", opt="-O2", flags=flags)
    proc = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    y = np.frombuffer(proc.stdout, np.float32).reshape(len(x), *model.output.shape)
    return x, y, model


def _assert_close(got: np.ndarray, ref: np.ndarray, what: str) -> None:
    scale = np.abs(ref).reshape(len(ref), -1).max(axis=1)
    err = np.abs(got.astype(np.float64) - ref).reshape(len(ref), -1).max(axis=1)
    worst = int(np.argmax(err / np.maximum(scale, 1e-30)))
    assert np.all(err <= 1e-5 * scale), (
        f"{what}: inference {worst} off by {err[worst]:.3g} (outputs up to {scale[worst]:.3g})"
    )


@pytest.mark.parametrize("name", list(CASES))
def test_float_op_matches_runtime_and_litert(name, models, tool, tmp_path):
    from tinyflash.export.reference import run_litert

    tool("gcc")
    sanitize = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all")
    x, got, model = _run_c(models, name, tmp_path, flags=sanitize if name in SANITIZED else ())
    ours = model(x)
    # one inference per invoke: a constant CONCATENATION operand has batch 1
    litert = np.stack([run_litert(models[name][0], r[None], "reference")[0] for r in x])
    _assert_close(got, ours, "C vs tinyflash.runtime")
    _assert_close(got, litert, "C vs litert BUILTIN_REF")
    if models[name][1] not in TRANSCENDENTAL:
        np.testing.assert_array_equal(got, ours, err_msg="C vs tinyflash.runtime, bit for bit")
        np.testing.assert_array_equal(got, litert, err_msg="C vs litert BUILTIN_REF, bit for bit")


IN_PLACE = ["relu", "relu_n1_to_1", "logistic", "softmax_rows", "add_self",
            "add_const_channels", "mul_self", "mul_const_channels"]  # fmt: skip


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place(name, models, tool, tmp_path):
    """Emitters that say in_place, with the output over the first input: the same floats."""
    tool("gcc")
    assert EMITTERS[models[name][1]].in_place
    x, got, model = _run_c(models, name, tmp_path, in_place=True)
    _assert_close(got, model(x), "in place vs tinyflash.runtime")
    if models[name][1] not in TRANSCENDENTAL:
        np.testing.assert_array_equal(got, model(x))


def test_in_place_refused_for_a_broadcast_first_input(models):
    """ADD (1, 1, 1, 3) + (1, 4, 5, 3) with the output over the small input would overwrite
    it before it is read again: the emitter refuses that plan."""
    from tinyflash.runtime.errors import UnsupportedOperatorError

    step, ctx, *_ = _plan_one_op(rt.load(models["add_broadcast_input"][0]), in_place=True)
    with pytest.raises(UnsupportedOperatorError, match="broadcast"):
        EMITTERS["ADD"].emit(step, ctx)


def _small_cnn(keras):
    """Every float emitter in one graph with two branches: (12, 10, 3) -> PAD -> CONV_2D relu
    -> DEPTHWISE_CONV_2D stride 2 relu6 -> MAX_POOL_2D | AVERAGE_POOL_2D -> CONCATENATION ->
    a + a * a (MUL, ADD) -> LOGISTIC -> MEAN -> FULLY_CONNECTED -> TANH -> FULLY_CONNECTED
    -> SOFTMAX."""
    L = keras.layers
    rnd = keras.initializers.RandomUniform(-0.5, 0.5, seed=5)
    inp = keras.Input((12, 10, 3), batch_size=1)
    x = L.ZeroPadding2D(((1, 0), (2, 1)))(inp)
    x = L.Conv2D(6, 3, activation="relu", bias_initializer=rnd)(x)
    x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6",
                          bias_initializer=rnd)(x)  # fmt: skip
    x = L.Concatenate()([L.MaxPooling2D(2)(x), L.AveragePooling2D(2)(x)])
    x = L.Add()([x, L.Multiply()([x, x])])
    x = L.GlobalAveragePooling2D()(L.Activation("sigmoid")(x))
    x = L.Dense(10, "tanh", bias_initializer=rnd)(x)
    x = L.Dense(5, bias_initializer=rnd)(L.Activation("tanh")(x))
    return keras.Model(inp, L.Softmax()(x))


@pytest.fixture(scope="module")
def small_cnn(tmp_path_factory) -> tuple[bytes, Path]:
    """(the float .tflite of _small_cnn, the folder holding its header cnn_model.h)."""
    import keras
    import tensorflow as tf

    from tinyflash.firmware_c import header

    keras.utils.set_random_seed(1)
    data = tf.lite.TFLiteConverter.from_keras_model(_small_cnn(keras)).convert()
    ops = {o.op for o in rt.load(data).graph.operators}
    assert set(EMITTERS) - {"RELU", "RELU6", "RELU_N1_TO_1"} <= ops, sorted(ops)
    text = header.header_text(data, "small_cnn.tflite", prefix="cnn", rounding="tflm")
    folder = tmp_path_factory.mktemp("small_cnn")
    (folder / "cnn_model.h").write_text(text)
    return data, folder


def _check_cnn(data: bytes, x: np.ndarray, got: np.ndarray) -> None:
    from tinyflash.export.reference import run_litert, run_tflm

    litert = np.stack([run_litert(data, r[None], "reference")[0] for r in x])
    _assert_close(got, rt.load(data)(x).reshape(len(x), -1), "header vs tinyflash.runtime")
    _assert_close(got, litert.reshape(len(x), -1), "header vs litert BUILTIN_REF")
    _assert_close(got, run_tflm(data, x).reshape(len(x), -1), "header vs TFLM")


@pytest.mark.parametrize("sanitize", [False, True])
def test_small_cnn_through_the_header(small_cnn, sanitize, tool, tmp_path):
    """The whole float header (plan, arena, entry point, firmware_c/target/driver.c) on a graph
    using every float emitter: within the bound of tinyflash.runtime, litert and TFLM; also
    under ASan + UBSan (no out-of-bounds access, no undefined behaviour)."""
    sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
    import c_parity  # tests/firmware_c/ or tests/: the header parity tests' driver helpers

    tool("gcc")
    data, folder = small_cnn
    extra = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all") if sanitize else ()
    exe = c_parity.build_driver(folder / "cnn_model.h", "cnn", tmp_path, mode=2, extra=extra)
    x = _inputs((12, 10, 3), seed=9)
    _check_cnn(data, x, c_parity.run_driver(exe, x, np.float32, 5))


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0"])
def test_small_cnn_under_qemu(small_cnn, target, tool, tmp_path):
    """The same header bare metal: Cortex-M4F (hardware single-precision FPU) and Cortex-M0
    (software float), newlib's expf / tanhf."""
    tool("arm-none-eabi-gcc")
    tool("qemu-system-arm")
    data, folder = small_cnn
    p = "cnn"
    flags = (f"-I{folder}", '-DMODEL_HEADER="cnn_model.h"', f"-DMODEL_PREFIX={p}",
             f"-DMODEL_PREFIX_UPPER={p.upper()}", f"-D{p.upper()}_IMPLEMENTATION",
             "-DDRIVER_MODE=2", "-DBARE_METAL")  # fmt: skip
    elf = tc.compile_arm([tc.TARGET_DIR / "driver.c"], tmp_path / "cnn.elf", target, "-O2", flags)
    x = _inputs((12, 10, 3), seed=10)
    (tmp_path / "inputs.bin").write_bytes(x.tobytes())
    result = tc.run_qemu(elf, target, cwd=tmp_path, timeout=300, count=True)
    assert result.returncode == 0, result.stdout
    assert len(result.regions) == len(x) + 1  # a calibration region, then one per inference
    _check_cnn(data, x, np.fromfile(tmp_path / "outputs.bin", np.float32).reshape(len(x), 5))
