"""The C generator: model_int8.tflite -> <prefix>_model.h, model_float32.tflite -> <prefix>_f32_model.h.

    text = generate_int8_header(Path("run/model_int8.tflite"), prefix="mnist", rounding="tflm")
    paths = generate(run_dir, prefix="mnist", rounding="tflm")  # writes both headers

One self-contained C99 header per model, stb style: declarations always; definitions (the
inlined kernel sources from this folder, static const weights, the arena) under
#ifdef <PREFIX>_IMPLEMENTATION. Byte-reproducible: no timestamps or paths, exact literals.
The int8 constants all come from tinyflash.runtime's loader and prepare step (plan.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from tinyflash import __version__
from tinyflash.errors import UserError
from tinyflash.firmware_c.cformat import (
    FLOAT_SOURCES,
    INT8_SOURCES,
    c_array,
    c_float,
    c_identifier_ok,
    kernel_source,
)
from tinyflash.firmware_c.plan import (
    FcLayer,
    LutLayer,
    Plan,
    SoftmaxLayer,
    check_sizes,
    plan_int8,
)

__all__ = [
    "FORMAT_VERSION",
    "STATUSES",
    "generate",
    "generate_float_header",
    "generate_int8_header",
    "input_table",
]

FORMAT_VERSION = 1

# The C status enum and its strings, generated from this one table.
STATUSES = (
    ("OK", "success"),
    ("ERROR_NULL_ARGUMENT", "a pointer argument is NULL"),
    ("ERROR_ARENA_ALIGNMENT", "the arena is not 8-byte aligned"),
)

ROUNDING_TEXT = {
    "tflm": "tflm (gemmlowp double rounding, as TFLM and CMSIS-NN compute on the device)",
    "litert": "litert (single rounding, as ai-edge-litert's reference kernels)",
}


# The functions a header exports (external linkage), after `<prefix>_`: the int8 header all seven,
# the float header the first four. tests/firmware_c/test_generate.py checks them against `nm`.
EXTERNAL_NAMES = (
    "run",
    "run_with_arena",
    "classify",
    "status_string",
    "classify_with_arena",
    "quantize",
    "dequantize",
)
FLOAT_EXTERNAL_NAMES = EXTERNAL_NAMES[:4]
# C99 5.2.4.1: a compiler need only tell external names apart by their first 31 characters.
C99_EXTERNAL_SIGNIFICANT = 31


def max_prefix_length(names: tuple[str, ...] = EXTERNAL_NAMES) -> int:
    """Longest prefix whose `<prefix>_<name>` stay distinct in their first 31 characters: 21 for
    the int8 header (classify / classify_with_arena), 26 for the float one (run / run_with_arena)."""
    n = C99_EXTERNAL_SIGNIFICANT
    while len({f"{'p' * n}_{s}"[:C99_EXTERNAL_SIGNIFICANT] for s in names}) < len(names):
        n -= 1
    return n


def check_prefix(prefix: str, names: tuple[str, ...] = EXTERNAL_NAMES) -> None:
    if not c_identifier_ok(prefix):
        raise UserError(
            f"--prefix: expected a C identifier (letters, digits, single underscores, not "
            f"starting with a digit or underscore, not a keyword), found {prefix!r}"
        )
    limit = max_prefix_length(names)
    if len(prefix) > limit:
        raise UserError(
            f"--prefix: expected at most {limit} characters (C99 tells external names apart by "
            f"their first {C99_EXTERNAL_SIGNIFICANT} characters only, and the header's functions "
            f"{', '.join(prefix + '_' + s for s in names)} must stay distinct), "
            f"found {len(prefix)}: {prefix!r}"
        )


def input_table(scale: float, zero_point: int) -> np.ndarray:
    """(256,) int8: the model input for each uint8 pixel, quantize(float32(p) / 255) exactly as
    the Python side (tinyflash.runtime.quantize, TFLite's rounding)."""
    from tinyflash.runtime.quantize import quantize

    pixels = np.arange(256, dtype=np.float32) / np.float32(255.0)
    return quantize(pixels, scale, zero_point, "int8")


def _accuracy(run_dir: Path, artifact: str, executors: tuple[str, ...]) -> str | None:
    """Test accuracy of `artifact` recorded in run_dir/manifest.json by `tinyflash export`
    (artifacts.<kind>.file == artifact, evaluation.<executor>.accuracy), first executor found."""
    path = run_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts"), dict):
        return None
    images = (
        manifest.get("data", {}).get("test_images")
        if isinstance(manifest.get("data"), dict)
        else None
    )
    for record in manifest["artifacts"].values():
        if not isinstance(record, dict) or record.get("file") != artifact:
            continue
        evaluation = record.get("evaluation") or {}
        for name in executors:
            acc = (evaluation.get(name) or {}).get("accuracy")
            if isinstance(acc, int | float) and not isinstance(acc, bool):
                where = f"the {images:,} test images" if isinstance(images, int) else "the test set"
                return f"{100 * acc:.2f} % on {where} ({name}, manifest.json)"
    return None


def _status_block(P: str, p: str) -> str:
    enum = "\n".join(f"  {P}_{name} = {k}," for k, (name, _) in enumerate(STATUSES))
    return f"typedef enum {{\n{enum}\n}} {p}_status;\n"


def _status_impl(P: str, p: str) -> str:
    cases = "\n".join(f'    case {P}_{name}:\n      return "{text}";' for name, text in STATUSES)
    return (
        f"const char *{p}_status_string({p}_status status) {{\n  switch (status) {{\n{cases}\n"
        f'    default:\n      return "unknown status";\n  }}\n}}\n'
    )


def _banner(name: str, source: str, sha: str, lines: list[str]) -> str:
    body = "\n".join(f" * {line}".rstrip() for line in lines)
    return (
        f"/* {name}: generated by tinyflash {__version__} (firmware_c format {FORMAT_VERSION})."
        f" DO NOT EDIT.\n *\n * Source:    {source}, sha256 {sha}\n{body}\n */\n"
    )


def _fc_text(layer: FcLayer, p: str) -> str:
    blocks, groups = layer.weights.shape[0], layer.weights.shape[1]
    return f"""
/* {layer.name}: FULLY_CONNECTED {layer.n_in} -> {layer.n_out}, fused {layer.activation}. */
/* ({blocks} blocks of 4 rows, {groups} groups of 4 inputs, 4, 4) uint8: weights (out {layer.n_out}, in {layer.n_in}) int8 + 128, padded with 128 */
static const uint8_t {p}__{layer.name}_weights[{layer.weights.size}] {p.upper()}__ALIGN8 = {{
{c_array(layer.weights, 16)}
}};
/* ({layer.bias.size},) int32: bias - (128 + input zero point) * row sums of the int8 weights */
static const int32_t {p}__{layer.name}_bias[{layer.bias.size}] = {{
{c_array(layer.bias, 8)}
}};
/* ({layer.n_out},) per-channel requantization: multiplier * 2^(shift - 31) */
static const int32_t {p}__{layer.name}_multiplier[{layer.n_out}] = {{
{c_array(layer.multiplier, 8)}
}};
static const int8_t {p}__{layer.name}_shift[{layer.n_out}] = {{
{c_array(layer.shift, 16)}
}};
static const {p}__fc_params {p}__{layer.name} = {{
    {p}__{layer.name}_weights, {p}__{layer.name}_bias, {p}__{layer.name}_multiplier,
    {p}__{layer.name}_shift, {layer.n_in16}u, {layer.n_out}u, {layer.out_zero_point},
    {layer.act_min}, {layer.act_max}, {0 if layer.dst < 0 else 0x80}u}};
"""


def _layer_text(layer, p: str) -> str:
    if isinstance(layer, FcLayer):
        return _fc_text(layer, p)
    if isinstance(layer, SoftmaxLayer):
        return f"""
/* {layer.name}: SOFTMAX over {layer.n}, output scale 1/256, zero point -128. */
static const {p}__softmax_params {p}__{layer.name} = {{
    {layer.input_multiplier}, {layer.input_left_shift}, {layer.diff_min}, {layer.n}u, 0x80u,
    {0 if layer.dst < 0 else 0x80}u}};
"""
    return f"""
/* {layer.name}: {layer.op} over {layer.n}, as a table: output byte for each offset-binary input. */
static const uint8_t {p}__{layer.name}_table[256] = {{
{c_array(layer.table, 16)}
}};
"""


def _call_text(layer, p: str) -> str:
    src = f"slot{layer.src}"
    dst = "(uint8_t *)output" if layer.dst < 0 else f"slot{layer.dst}"
    if isinstance(layer, FcLayer):
        return f"  {p}__fully_connected(&{p}__{layer.name}, {src}, {dst});"
    if isinstance(layer, SoftmaxLayer):
        return f"  {p}__softmax(&{p}__{layer.name}, {src}, {dst});"
    return f"  {p}__lut({p}__{layer.name}_table, {src}, {dst}, {layer.n}u);"


def _describe(plan: Plan) -> str:
    parts = [str(plan.n_in)]
    for layer in plan.layers:
        if isinstance(layer, FcLayer):
            act = "" if layer.activation == "NONE" else f", {layer.activation}"
            parts.append(f"FC({layer.n_out}{act})")
        elif isinstance(layer, SoftmaxLayer):
            parts.append("SOFTMAX")
        else:
            parts.append(layer.op)
    return " -> ".join(parts)


def _load(model_path: Path, data: bytes, rounding: str):
    """The .tflite `data` read from `model_path` as a tinyflash.runtime.Model; errors name it."""
    import tinyflash.runtime as rt
    from tinyflash.runtime.tflite import read_tflite

    try:
        return rt.Model(read_tflite(data), rounding)
    except UserError as exc:
        raise type(exc)(f"{model_path}: {exc}") from None


def generate_int8_header(
    model_path: Path, prefix: str = "mnist", rounding: str = "tflm", accuracy: str | None = None
) -> str:
    """The int8 header text for `model_path` (a full-integer .tflite)."""
    check_prefix(prefix)
    data = Path(model_path).read_bytes()
    model = _load(model_path, data, rounding)
    plan = plan_int8(model)
    p, P = prefix, prefix.upper()
    sha = hashlib.sha256(data).hexdigest()
    table = input_table(plan.input_scale, plan.input_zero_point)
    consts = (
        sum(
            layer.weights.nbytes + layer.bias.nbytes + layer.multiplier.nbytes + layer.shift.size
            if isinstance(layer, FcLayer)
            else (256 if isinstance(layer, LutLayer) else 0)
            for layer in plan.layers
        )
        + 256
    )
    banner = _banner(
        f"{prefix}_model.h",
        Path(model_path).name,
        sha,
        [
            f"Model:     {_describe(plan)} ({plan.macs} multiply-accumulates)",
            f"Rounding:  {ROUNDING_TEXT[rounding]}",
            f"Accuracy:  {accuracy or 'not recorded (no manifest.json accuracy)'}",
            f"Footprint: {consts} B of constants (weights, biases, multipliers, tables) in flash;",
            f"           {plan.arena_bytes} B arena in RAM ({P}_ARENA_SIZE); about 1-2 KB of code.",
            "",
            "Use: in exactly ONE C file (compiled as C99 or later):",
            f"    #define {P}_IMPLEMENTATION",
            f'    #include "{prefix}_model.h"',
            "and include it without the define wherever else it is needed. Define",
            f"{P}_PORTABLE before the implementation to skip the Cortex-M DSP (SMLAD) fast path;",
            "both paths give the same bytes. No malloc, no libm, only <stdint.h> / <stddef.h>.",
        ],
    )
    statuses = _status_block(P, p)
    layers_text = "".join(_layer_text(layer, p) for layer in plan.layers)
    calls = "\n".join(_call_text(layer, p) for layer in plan.layers)
    kernels = kernel_source(INT8_SOURCES, prefix)
    return f"""{banner}#ifndef {P}_MODEL_H
#define {P}_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

#define {P}_FORMAT_VERSION {FORMAT_VERSION}
#define {P}_TINYFLASH_VERSION "{__version__}"
#define {P}_MODEL_SHA256 "{sha}"
#define {P}_ROUNDING "{rounding}"
#define {P}_ROUNDING_SINGLE {1 if rounding == "litert" else 0}

/* Input: {plan.n_in} int8, real = scale * (q - zero_point); pixels p map to p / 255. */
#define {P}_INPUT_SIZE {plan.n_in}
#define {P}_INPUT_SCALE {c_float(plan.input_scale)}
#define {P}_INPUT_ZERO_POINT ({plan.input_zero_point})
/* Output: {plan.n_out} int8 (class scores / probabilities). */
#define {P}_OUTPUT_SIZE {plan.n_out}
#define {P}_OUTPUT_SCALE {c_float(plan.output_scale)}
#define {P}_OUTPUT_ZERO_POINT ({plan.output_zero_point})
/* Bytes of activation memory: two ping-pong slots of {plan.slot_bytes[0]} and {plan.slot_bytes[1]} B. */
#define {P}_ARENA_SIZE {plan.arena_bytes}
#define {P}_MACS {plan.macs}

{statuses}
/* input: ({P}_INPUT_SIZE,) int8; output: ({P}_OUTPUT_SIZE,) int8. Uses a static arena
 * (not re-entrant). */
{p}_status {p}_run(const int8_t *input, int8_t *output);
/* Re-entrant: `arena` is caller-owned scratch of {P}_ARENA_SIZE bytes, 8-byte aligned
 * (e.g. uint64_t arena[{P}_ARENA_SIZE / 8]), one per concurrent caller. */
{p}_status {p}_run_with_arena(const int8_t *input, int8_t *output, void *arena);
/* pixels: ({P}_INPUT_SIZE,) uint8 grey levels 0..255. Returns the class index
 * (0..{P}_OUTPUT_SIZE - 1, the first on ties), or -1 for a NULL argument. */
int {p}_classify(const uint8_t *pixels);
/* As {p}_classify with caller-owned scratch; -1 for NULL, -2 for a misaligned arena. */
int {p}_classify_with_arena(const uint8_t *pixels, void *arena);
/* input[i] = the model input for pixels[i] (0..255), exactly as the Python side quantizes
 * float32(pixel) / 255; i < {P}_INPUT_SIZE. */
void {p}_quantize(const uint8_t *pixels, int8_t *input);
/* probabilities[i] = {P}_OUTPUT_SCALE * (output[i] - {P}_OUTPUT_ZERO_POINT), i < {P}_OUTPUT_SIZE. */
void {p}_dequantize(const int8_t *output, float *probabilities);
/* A short English description of a status. */
const char *{p}_status_string({p}_status status);

#ifdef __cplusplus
}}
#endif

#endif /* {P}_MODEL_H */

#if defined({P}_IMPLEMENTATION) && !defined({P}__IMPLEMENTED)
#define {P}__IMPLEMENTED

#if defined(__GNUC__) || defined(__clang__)
#define {P}__FN static __attribute__((unused))
#else
#define {P}__FN static
#endif
#define {P}__ROUNDING_SINGLE {P}_ROUNDING_SINGLE
#if defined({P}_PORTABLE)
#define {P}__USE_DSP 0
#endif
#if defined(__GNUC__) || defined(__clang__)
#define {P}__ALIGN8 __attribute__((aligned(8)))
#else
#define {P}__ALIGN8
#endif

/* ======== kernels: firmware_c/tfk_*.c, renamed tfk_ -> {p}__ ======== */
{kernels}
/* ======== model constants ======== */

/* ({256},) uint8: offset-binary model input for each uint8 pixel value, quantize(p / 255). */
static const uint8_t {p}__input_table[256] = {{
{c_array((table.astype(np.int64) + 128).astype(np.uint8), 16)}
}};
{layers_text}
static uint64_t {p}__arena[{P}_ARENA_SIZE / 8];

/* arena: slot0 ({plan.slot_bytes[0]} B) holds the offset-binary input on entry. */
static void {p}__forward(uint8_t *arena, int8_t *output) {{
  uint8_t *const slot0 = arena;
  uint8_t *const slot1 = arena + {plan.slot_bytes[0]};
  (void)slot0;
  (void)slot1;
{calls}
}}

{p}_status {p}_run_with_arena(const int8_t *input, int8_t *output, void *arena) {{
  if (input == NULL || output == NULL || arena == NULL) {{
    return {P}_ERROR_NULL_ARGUMENT;
  }}
  if (((uintptr_t)arena & 7u) != 0u) {{
    return {P}_ERROR_ARENA_ALIGNMENT;
  }}
  {p}__to_offset_binary(input, (uint8_t *)arena, {P}_INPUT_SIZE);
  {p}__forward((uint8_t *)arena, output);
  return {P}_OK;
}}

{p}_status {p}_run(const int8_t *input, int8_t *output) {{
  return {p}_run_with_arena(input, output, {p}__arena);
}}

int {p}_classify_with_arena(const uint8_t *pixels, void *arena) {{
  int8_t output[{P}_OUTPUT_SIZE];
  uint8_t *const slot0 = (uint8_t *)arena;
  size_t i;
  if (pixels == NULL || arena == NULL) {{
    return -1;
  }}
  if (((uintptr_t)arena & 7u) != 0u) {{
    return -2;
  }}
  for (i = 0; i < {P}_INPUT_SIZE; i++) {{
    slot0[i] = {p}__input_table[pixels[i]];
  }}
  {p}__forward(slot0, output);
  return {p}__argmax(output, {P}_OUTPUT_SIZE);
}}

int {p}_classify(const uint8_t *pixels) {{
  return {p}_classify_with_arena(pixels, {p}__arena);
}}

void {p}_quantize(const uint8_t *pixels, int8_t *input) {{
  size_t i;
  for (i = 0; i < {P}_INPUT_SIZE; i++) {{
    input[i] = (int8_t)(int32_t)((int32_t){p}__input_table[pixels[i]] - 128);
  }}
}}

void {p}_dequantize(const int8_t *output, float *probabilities) {{
  size_t i;
  for (i = 0; i < {P}_OUTPUT_SIZE; i++) {{
    probabilities[i] = {P}_OUTPUT_SCALE * (float)((int32_t)output[i] - {P}_OUTPUT_ZERO_POINT);
  }}
}}

{_status_impl(P, p)}
#endif /* {P}_IMPLEMENTATION */
"""


_FLOAT_ACT = {
    "NONE": "NONE",
    "RELU": "RELU",
    "RELU6": "RELU6",
    "LOGISTIC": "LOGISTIC",
    "TANH": "TANH",
}


def _float_layers(model) -> tuple[list[tuple], int, int]:
    """[(kind, name, params, n_in, n_out)], input features, output features of a float graph."""
    g = model.graph
    n = int(np.prod(g.tensors[g.inputs[0]].shape[1:]))
    n_in, layers = n, []
    for k, (op, p) in enumerate(zip(g.operators, model.params, strict=True)):
        if op.op == "RESHAPE":
            continue
        if op.op == "FULLY_CONNECTED":
            if p.fused_activation not in _FLOAT_ACT:
                raise UserError(f"{op.name}: fused {p.fused_activation} has no float C kernel")
            layers.append(("fc", f"l{k}", p, n, p.weights.shape[0]))
            n = p.weights.shape[0]
        elif op.op == "SOFTMAX":
            layers.append(("softmax", f"l{k}", p, n, n))
        elif op.op in ("LOGISTIC", "TANH", "RELU", "RELU6"):
            layers.append(("act", f"l{k}", op.op, n, n))
        else:
            raise UserError(
                f"{op.name or op.op}: operator {op.op} has no float C kernel; "
                "supported: FULLY_CONNECTED, SOFTMAX, LOGISTIC, TANH, RELU, RELU6"
            )
    return layers, n_in, n


def generate_float_header(
    model_path: Path, prefix: str = "mnist_f32", accuracy: str | None = None
) -> str:
    """The float32 header text for `model_path` (a float .tflite), for MCUs with an FPU."""
    check_prefix(prefix, FLOAT_EXTERNAL_NAMES)
    data = Path(model_path).read_bytes()
    model = _load(model_path, data, "tflm")
    if model.input.dtype != "float32":
        raise UserError(f"{model_path}: expected a float32 model, found input {model.input.dtype}")
    layers, n_in, n_out = _float_layers(model)
    p, P = prefix, prefix.upper()
    sha = hashlib.sha256(data).hexdigest()
    widest = max([n_in] + [layer[4] for layer in layers])
    arena_bytes = 8 * ((2 * widest * 4 + 7) // 8)
    check_sizes(
        arena_bytes, {f"{x[1]} weights": x[2].weights.nbytes for x in layers if x[0] == "fc"}
    )
    consts, defs, calls = 0, [], []
    src, macs = 0, 0
    for i, (kind, name, prm, k_in, k_out) in enumerate(layers):
        last = i == len(layers) - 1
        dst = "output" if last else f"slot{1 - src if kind == 'fc' else src}"
        if kind == "fc":
            consts += prm.weights.nbytes + prm.bias.nbytes
            macs += k_in * k_out
            defs.append(f"""
/* {name}: FULLY_CONNECTED {k_in} -> {k_out}, fused {prm.fused_activation}. */
/* (out {k_out}, in {k_in}) float32, row-major */
static const float {p}__{name}_weights[{k_out * k_in}] = {{
{c_array(prm.weights, 6, c_float)}
}};
/* ({k_out},) float32 */
static const float {p}__{name}_bias[{k_out}] = {{
{c_array(prm.bias, 6, c_float)}
}};
""")
            calls.append(
                f"  {p}__fully_connected_f32({p}__{name}_weights, {p}__{name}_bias, "
                f"{k_in}u, {k_out}u, {P}__ACT_{_FLOAT_ACT[prm.fused_activation]}, "
                f"slot{src}, {dst});"
            )
        elif kind == "softmax":
            calls.append(f"  {p}__softmax_f32({c_float(prm.beta)}, slot{src}, {dst}, {k_in}u);")
        else:
            if dst != f"slot{src}":
                calls.append(f"  memcpy_like: {dst}")
            calls.append(f"  {p}__activation_f32({P}__ACT_{_FLOAT_ACT[prm]}, {dst}, {k_in}u);")
        if not last and kind == "fc":
            src = 1 - src
    calls = [
        c if not c.startswith("  memcpy_like") else f"  {p}__copy_f32(slot{src}, output, {n_out}u);"
        for c in calls
    ]
    banner = _banner(
        f"{prefix}_model.h",
        Path(model_path).name,
        sha,
        [
            f"Model:     float32, {n_in} -> {n_out} ({macs} multiply-accumulates)",
            f"Accuracy:  {accuracy or 'not recorded (no manifest.json accuracy)'}",
            f"Footprint: {consts} B of float32 weights in flash; {P}_ARENA_SIZE B arena in RAM.",
            "",
            "For MCUs with an FPU; needs <math.h> (expf, tanhf). Use: in exactly ONE C file",
            f"    #define {P}_IMPLEMENTATION",
            f'    #include "{prefix}_model.h"',
        ],
    )
    kernels = kernel_source(FLOAT_SOURCES, prefix)
    return f"""{banner}#ifndef {P}_MODEL_H
#define {P}_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

#define {P}_FORMAT_VERSION {FORMAT_VERSION}
#define {P}_TINYFLASH_VERSION "{__version__}"
#define {P}_MODEL_SHA256 "{sha}"
#define {P}_INPUT_SIZE {n_in}
#define {P}_OUTPUT_SIZE {n_out}
/* Bytes of activation memory: two float slots of {widest} values. */
#define {P}_ARENA_SIZE {arena_bytes}
#define {P}_MACS {macs}

{_status_block(P, p)}
/* input: ({P}_INPUT_SIZE,) float32 (pixels / 255); output: ({P}_OUTPUT_SIZE,) float32. */
{p}_status {p}_run(const float *input, float *output);
/* Re-entrant: `arena` is caller-owned scratch of {P}_ARENA_SIZE bytes, 8-byte aligned. */
{p}_status {p}_run_with_arena(const float *input, float *output, void *arena);
/* pixels: ({P}_INPUT_SIZE,) uint8. Returns the class index, or -1 for NULL. */
int {p}_classify(const uint8_t *pixels);
const char *{p}_status_string({p}_status status);

#ifdef __cplusplus
}}
#endif

#endif /* {P}_MODEL_H */

#if defined({P}_IMPLEMENTATION) && !defined({P}__IMPLEMENTED)
#define {P}__IMPLEMENTED
#if defined(__GNUC__) || defined(__clang__)
#define {P}__FN static __attribute__((unused))
#else
#define {P}__FN static
#endif

/* ======== kernels: firmware_c/tfk_*.c, renamed tfk_ -> {p}__ ======== */
{kernels}
/* ======== model constants ======== */
{"".join(defs)}
static uint64_t {p}__arena[{P}_ARENA_SIZE / 8];

static void {p}__copy_f32(const float *from, float *to, size_t n) {{
  size_t i;
  for (i = 0; i < n; i++) {{
    to[i] = from[i];
  }}
}}

/* arena: slot0 holds the input on entry. */
static void {p}__forward(float *arena, float *output) {{
  float *const slot0 = arena;
  float *const slot1 = arena + {widest};
  (void)slot0;
  (void)slot1;
  (void){p}__copy_f32;
{chr(10).join(calls)}
}}

{p}_status {p}_run_with_arena(const float *input, float *output, void *arena) {{
  if (input == NULL || output == NULL || arena == NULL) {{
    return {P}_ERROR_NULL_ARGUMENT;
  }}
  if (((uintptr_t)arena & 7u) != 0u) {{
    return {P}_ERROR_ARENA_ALIGNMENT;
  }}
  {p}__copy_f32(input, (float *)arena, {P}_INPUT_SIZE);
  {p}__forward((float *)arena, output);
  return {P}_OK;
}}

{p}_status {p}_run(const float *input, float *output) {{
  return {p}_run_with_arena(input, output, {p}__arena);
}}

int {p}_classify(const uint8_t *pixels) {{
  float *const slot0 = (float *)(void *){p}__arena;
  float output[{P}_OUTPUT_SIZE];
  size_t i;
  size_t best = 0;
  if (pixels == NULL) {{
    return -1;
  }}
  for (i = 0; i < {P}_INPUT_SIZE; i++) {{
    slot0[i] = (float)pixels[i] / 255.0f;
  }}
  {p}__forward(slot0, output);
  for (i = 1; i < {P}_OUTPUT_SIZE; i++) {{
    best = output[i] > output[best] ? i : best;
  }}
  return (int)best;
}}

{_status_impl(P, p)}
#endif /* {P}_IMPLEMENTATION */
"""


def generate(
    run_dir: Path, prefix: str = "mnist", rounding: str = "tflm", out_dir: Path | None = None
) -> list[Path]:
    """Write <prefix>_model.h (and <prefix>_f32_model.h when model_float32.tflite exists)
    into out_dir (default: run_dir). Returns the paths written."""
    from tinyflash import atomic

    check_prefix(prefix)
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else run_dir
    int8 = run_dir / "model_int8.tflite"
    if not int8.is_file():
        raise UserError(
            f"{int8}: no such file; run `tinyflash export` first (expected "
            "model_int8.tflite in the run folder)"
        )
    written = [
        atomic.write_text(
            out_dir / f"{prefix}_model.h",
            generate_int8_header(
                int8,
                prefix,
                rounding,
                _accuracy(
                    run_dir, int8.name, ("tflm",) if rounding == "tflm" else ("litert_reference",)
                ),
            ),
        )
    ]
    f32 = run_dir / "model_float32.tflite"
    if f32.is_file():
        written.append(
            atomic.write_text(
                out_dir / f"{prefix}_f32_model.h",
                generate_float_header(
                    f32,
                    f"{prefix}_f32",
                    _accuracy(run_dir, f32.name, ("litert_reference", "litert_default")),
                ),
            )
        )
    return written
