"""One header skeleton for every plan, int8 or float32: the generated C's entry point.

    text = header_text(data, "model_int8.tflite", prefix="kws", rounding="tflm")   # -> str

One self-contained C99 header per model, stb style: declarations always; definitions (the
inlined kernel sources of firmware_c/, static const weights, the arena, forward()) under
#ifdef <PREFIX>_IMPLEMENTATION. Byte-reproducible: no timestamps or paths, exact literals.

What the header says depends on the model, not on MNIST: the image helpers (`classify`,
`quantize` from uint8 pixels with p / 255) are emitted only for a classifier (a SOFTMAX makes the
output) whose input is an image in [0, 1] (int8: the input's quantization covers [0, 1]; float:
the caller says so with pixels=True, as the run folders of `tinyflash train` do).
"""

from __future__ import annotations

import hashlib

import numpy as np

from tinyflash import __version__
from tinyflash.errors import UserError
from tinyflash.firmware_c.cformat import c_array, c_float, c_identifier_ok, kernel_source
from tinyflash.firmware_c.plan import Plan, emit_steps, plan_graph

__all__ = [
    "EXTERNAL_NAMES",
    "FLOAT_EXTERNAL_NAMES",
    "FORMAT_VERSION",
    "ROUNDING_TEXT",
    "STATUSES",
    "check_prefix",
    "external_names",
    "header_text",
    "input_table",
    "is_image_classifier",
    "max_prefix_length",
]

FORMAT_VERSION = 2

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

# The functions a header may export (external linkage), after `<prefix>_`;
# external_names() says which ones a given header has. tests/firmware_c/test_generate.py
# checks them against `nm`.
EXTERNAL_NAMES = (
    "run",
    "run_with_arena",
    "classify",
    "status_string",
    "classify_with_arena",
    "quantize",
    "dequantize",
)
# C99 5.2.4.1: a compiler need only tell external names apart by their first 31 characters.
C99_EXTERNAL_SIGNIFICANT = 31


def external_names(dtype: str, pixels: bool) -> tuple[str, ...]:
    """The `<prefix>_` functions of one header: run, run_with_arena, status_string always;
    int8: dequantize; image classifiers: classify (+ classify_with_arena, quantize for int8)."""
    names = ["run", "run_with_arena", "status_string"]
    if dtype == "int8":
        names.append("dequantize")
    if pixels:
        names.append("classify")
        if dtype == "int8":
            names += ["classify_with_arena", "quantize"]
    return tuple(names)


FLOAT_EXTERNAL_NAMES = external_names("float32", True)


def max_prefix_length(names: tuple[str, ...] = EXTERNAL_NAMES) -> int:
    """Longest prefix whose `<prefix>_<name>` stay distinct in their first 31 characters: 21 with
    classify / classify_with_arena, 26 with run / run_with_arena only."""
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


def is_image_classifier(plan: Plan, pixels: bool | None = None) -> bool:
    """A SOFTMAX writes the output, and the input is an image in [0, 1]: for int8 its
    quantization's real range is [0, 1] within one step; for float, `pixels` decides."""
    if not plan.steps or plan.steps[-1].op != "SOFTMAX" or plan.steps[-1].outputs[0] != plan.output:
        return False
    if pixels is not None:
        return pixels
    x = plan.input_slot
    if plan.dtype != "int8" or x.scale is None or x.zero_point is None:
        return False
    lo, hi = x.scale * (-128 - x.zero_point), x.scale * (127 - x.zero_point)
    return abs(lo) <= x.scale and abs(hi - 1.0) <= x.scale


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _banner(prefix: str, source: str, sha: str, lines: list[str]) -> str:
    body = "\n".join(f" * {line}".rstrip() for line in lines)
    return (
        f"/* {prefix}_model.h: generated by tinyflash {__version__} (firmware_c format "
        f"{FORMAT_VERSION}). DO NOT EDIT.\n *\n * Source:    {source}, sha256 {sha}\n{body}\n */\n"
    )


def _step_lines(plan: Plan) -> list[str]:
    rows = []
    for s in plan.steps:
        x = next(
            (plan.tensors[t] for t in s.inputs if t >= 0 and plan.tensors[t].kind == "arena"), None
        )
        y = plan.tensors[s.outputs[0]]
        shape_in = _shape_text(x.shape) if x is not None else "()"
        rows.append(
            f"  {s.name:<4} {s.op:<18} {shape_in:>16} -> {_shape_text(y.shape):<16} @{y.offset}"
        )
    return rows


def _status_block(P: str, p: str) -> str:
    enum = "\n".join(f"  {P}_{name} = {k}," for k, (name, _) in enumerate(STATUSES))
    return f"typedef enum {{\n{enum}\n}} {p}_status;\n"


def _status_impl(P: str, p: str) -> str:
    cases = "\n".join(f'    case {P}_{name}:\n      return "{text}";' for name, text in STATUSES)
    return (
        f"const char *{p}_status_string({p}_status status) {{\n  switch (status) {{\n{cases}\n"
        f'    default:\n      return "unknown status";\n  }}\n}}\n'
    )


def header_text(
    data: bytes,
    source: str,
    prefix: str = "model",
    rounding: str = "tflm",
    accuracy: str | None = None,
    pixels: bool | None = None,
    dtype: str | None = None,
) -> str:
    """The C header of the .tflite `data` (read from `source`, named in the banner and errors).
    dtype: "int8" or "float32" to refuse the other kind (None: the model's). pixels: whether a
    float classifier's input is an image in [0, 1] (see is_image_classifier)."""
    import tinyflash.runtime as rt
    from tinyflash.runtime.tflite import read_tflite

    try:
        model = rt.Model(read_tflite(data), rounding)
    except UserError as exc:
        raise type(exc)(f"{source}: {exc}") from None
    found = model.graph.tensors[model.graph.inputs[0]].dtype
    kind = "float32" if found == "float32" else "int8"
    if dtype is not None and kind != dtype:
        raise UserError(f"{source}: expected a {dtype} model, found a {found} input")
    try:
        plan = plan_graph(model, kind)
    except UserError as exc:
        raise type(exc)(f"{source}: {exc}") from None
    image = is_image_classifier(plan, pixels)
    check_prefix(prefix, external_names(plan.dtype, image))
    plan = emit_steps(plan, prefix)
    sha = hashlib.sha256(data).hexdigest()
    return _text(plan, prefix, source, sha, accuracy, image)


def _text(plan: Plan, p: str, source: str, sha: str, accuracy: str | None, image: bool) -> str:
    P = p.upper()
    int8 = plan.dtype == "int8"
    x, y = plan.input_slot, plan.output_slot
    ctype = "int8_t" if int8 else "float"
    peak = ", ".join(plan.arena.peak)
    lines = [
        f"Model:     {plan.dtype}, {len(plan.steps)} steps, {plan.macs} multiply-accumulates;",
        f"           input {_shape_text(x.shape)} {plan.dtype}, output {_shape_text(y.shape)} "
        f"{plan.dtype}.",
        *([f"Rounding:  {ROUNDING_TEXT[plan.rounding]}"] if int8 else []),
        f"Accuracy:  {accuracy or 'not recorded (no manifest.json accuracy)'}",
        f"Footprint: {plan.const_bytes} B of constant arrays in flash (weights, biases, multipliers,",
        "           tables), plus a few bytes of parameter structs per step"
        + (" and 256 B of pixel table;" if image and int8 else ";"),
        f"           {plan.arena_bytes} B arena in RAM ({P}_ARENA_SIZE), planned from tensor lifetimes;",
        f"           its peak is at step s{max(plan.arena.peak_step, 0)}: {peak}.",
        "Steps (name, operator, input shape -> output shape @ arena offset):",
        *_step_lines(plan),
        "",
        "Use: in exactly ONE C file (compiled as C99 or later):",
        f"    #define {P}_IMPLEMENTATION",
        f'    #include "{p}_model.h"',
        "and include it without the define wherever else it is needed. No malloc.",
    ]
    if int8:
        lines += [
            f"Define {P}_PORTABLE before the implementation to skip the Cortex-M DSP (SMLAD) fast",
            "path; both paths give the same bytes. No libm, only <stdint.h> / <stddef.h>.",
        ]
    else:
        lines.append("For MCUs with an FPU; needs <math.h> (expf, tanhf).")
    banner = _banner(p, source, sha, lines)
    dims = ", ".join(str(d) for d in x.shape)
    odims = ", ".join(str(d) for d in y.shape)
    if int8:
        assert x.scale is not None and x.zero_point is not None  # plan_graph checked both
        assert y.scale is not None and y.zero_point is not None
        io_macros = f"""/* Input {_shape_text(x.shape)} int8, real = scale * (q - zero_point). */
#define {P}_INPUT_SIZE {x.size}
#define {P}_INPUT_RANK {len(x.shape)}
#define {P}_INPUT_SHAPE {{{dims}}}
#define {P}_INPUT_SCALE {c_float(x.scale)}
#define {P}_INPUT_ZERO_POINT ({x.zero_point})
/* Output {_shape_text(y.shape)} int8{", class probabilities (a SOFTMAX)" if image else ""}. */
#define {P}_OUTPUT_SIZE {y.size}
#define {P}_OUTPUT_RANK {len(y.shape)}
#define {P}_OUTPUT_SHAPE {{{odims}}}
#define {P}_OUTPUT_SCALE {c_float(y.scale)}
#define {P}_OUTPUT_ZERO_POINT ({y.zero_point})
"""
    else:
        io_macros = f"""/* Input {_shape_text(x.shape)} float32; output {_shape_text(y.shape)} float32. */
#define {P}_INPUT_SIZE {x.size}
#define {P}_INPUT_RANK {len(x.shape)}
#define {P}_INPUT_SHAPE {{{dims}}}
#define {P}_OUTPUT_SIZE {y.size}
#define {P}_OUTPUT_RANK {len(y.shape)}
#define {P}_OUTPUT_SHAPE {{{odims}}}
"""
    decls = [
        f"/* input: ({P}_INPUT_SIZE,) {ctype}; output: ({P}_OUTPUT_SIZE,) {ctype}. Uses a static arena",
        " * (not re-entrant). */",
        f"{p}_status {p}_run(const {ctype} *input, {ctype} *output);",
        f"/* Re-entrant: `arena` is caller-owned scratch of {P}_ARENA_SIZE bytes, 8-byte aligned",
        f" * (e.g. uint64_t arena[{P}_ARENA_SIZE / 8]), one per concurrent caller. */",
        f"{p}_status {p}_run_with_arena(const {ctype} *input, {ctype} *output, void *arena);",
    ]
    if image:
        decls += [
            f"/* pixels: ({P}_INPUT_SIZE,) uint8 grey levels 0..255, read as p / 255. Returns the class",
            f" * index (0..{P}_OUTPUT_SIZE - 1, the first on ties), or -1 for a NULL argument. */",
            f"int {p}_classify(const uint8_t *pixels);",
        ]
        if int8:
            decls += [
                f"/* As {p}_classify with caller-owned scratch; -1 for NULL, -2 for a misaligned arena. */",
                f"int {p}_classify_with_arena(const uint8_t *pixels, void *arena);",
                "/* input[i] = the model input for pixels[i] (0..255), exactly as the Python side",
                f" * quantizes float32(pixel) / 255; i < {P}_INPUT_SIZE. */",
                f"void {p}_quantize(const uint8_t *pixels, int8_t *input);",
            ]
    if int8:
        decls += [
            f"/* real[i] = {P}_OUTPUT_SCALE * (output[i] - {P}_OUTPUT_ZERO_POINT), i < {P}_OUTPUT_SIZE. */",
            f"void {p}_dequantize(const int8_t *output, float *real);",
        ]
    decls += ["/* A short English description of a status. */",
              f"const char *{p}_status_string({p}_status status);"]  # fmt: skip
    rounding_macros = (
        f'#define {P}_ROUNDING "{plan.rounding}"\n'
        f"#define {P}_ROUNDING_SINGLE {1 if plan.rounding == 'litert' else 0}\n"
        if int8
        else ""
    )
    impl_switches = (
        f"#define {P}__ROUNDING_SINGLE {P}_ROUNDING_SINGLE\n"
        f"#if defined({P}_PORTABLE)\n#define {P}__USE_DSP 0\n#endif\n"
        if int8
        else ""
    )
    constants = "".join(e.constants for e in plan.emitted)
    calls = "\n".join(e.call for e in plan.emitted)
    entry = _entry_int8(plan, p, image) if int8 else _entry_float(plan, p, image)
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
{rounding_macros}
{io_macros}/* Bytes of activation memory, the peak of the lifetime plan (see the banner). */
#define {P}_ARENA_SIZE {-(-plan.arena_bytes // 8) * 8}
#define {P}_MACS {plan.macs}

{_status_block(P, p)}
{chr(10).join(decls)}

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
{impl_switches}#if defined(__GNUC__) || defined(__clang__)
#define {P}__ALIGN8 __attribute__((aligned(8)))
#else
#define {P}__ALIGN8
#endif

/* ======== kernels: firmware_c/tfk_*, renamed tfk_ -> {p}__ ======== */
{kernel_source(plan.kernels, p)}
/* ======== model constants ======== */
{constants}
static uint64_t {p}__arena[{P}_ARENA_SIZE / 8];

/* One inference over the arena; the input tensor is at offset {x.offset} on entry, the output
 * at offset {y.offset} on return. */
static void {p}__forward(uint8_t *arena) {{
{calls}
}}

{entry}
{_status_impl(P, p)}
#endif /* {P}_IMPLEMENTATION */
"""


def _entry_int8(plan: Plan, p: str, image: bool) -> str:
    P = p.upper()
    x, y = plan.input_slot, plan.output_slot
    text = f"""{p}_status {p}_run_with_arena(const int8_t *input, int8_t *output, void *arena) {{
  uint8_t *const a = (uint8_t *)arena;
  if (input == NULL || output == NULL || arena == NULL) {{
    return {P}_ERROR_NULL_ARGUMENT;
  }}
  if (((uintptr_t)arena & 7u) != 0u) {{
    return {P}_ERROR_ARENA_ALIGNMENT;
  }}
  /* int8 q <-> offset binary q + 128 is one XOR with 0x80, both ways. */
  {p}__to_offset_binary(input, a + {x.offset}, {P}_INPUT_SIZE);
  {p}__forward(a);
  {p}__to_offset_binary((const int8_t *)(const void *)(a + {y.offset}), (uint8_t *)output,
                        {P}_OUTPUT_SIZE);
  return {P}_OK;
}}

{p}_status {p}_run(const int8_t *input, int8_t *output) {{
  return {p}_run_with_arena(input, output, {p}__arena);
}}

void {p}_dequantize(const int8_t *output, float *real) {{
  size_t i;
  for (i = 0; i < {P}_OUTPUT_SIZE; i++) {{
    real[i] = {P}_OUTPUT_SCALE * (float)((int32_t)output[i] - {P}_OUTPUT_ZERO_POINT);
  }}
}}
"""
    if not image:
        return text
    assert x.scale is not None and x.zero_point is not None
    table = (input_table(x.scale, x.zero_point).astype(np.int64) + 128).astype(np.uint8)
    return (
        text
        + f"""
/* (256,) uint8: offset-binary model input for each uint8 pixel value, quantize(p / 255). */
static const uint8_t {p}__input_table[256] = {{
{c_array(table, 16)}
}};

int {p}_classify_with_arena(const uint8_t *pixels, void *arena) {{
  uint8_t *const a = (uint8_t *)arena;
  int8_t output[{P}_OUTPUT_SIZE];
  size_t i;
  if (pixels == NULL || arena == NULL) {{
    return -1;
  }}
  if (((uintptr_t)arena & 7u) != 0u) {{
    return -2;
  }}
  for (i = 0; i < {P}_INPUT_SIZE; i++) {{
    a[{x.offset} + i] = {p}__input_table[pixels[i]];
  }}
  {p}__forward(a);
  {p}__to_offset_binary((const int8_t *)(const void *)(a + {y.offset}), (uint8_t *)output,
                        {P}_OUTPUT_SIZE);
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
"""
    )


def _entry_float(plan: Plan, p: str, image: bool) -> str:
    P = p.upper()
    x, y = plan.input_slot, plan.output_slot
    text = f"""{p}_status {p}_run_with_arena(const float *input, float *output, void *arena) {{
  uint8_t *const a = (uint8_t *)arena;
  float *const in = (float *)(void *)(a + {x.offset});
  const float *const out = (const float *)(const void *)(a + {y.offset});
  size_t i;
  if (input == NULL || output == NULL || arena == NULL) {{
    return {P}_ERROR_NULL_ARGUMENT;
  }}
  if (((uintptr_t)arena & 7u) != 0u) {{
    return {P}_ERROR_ARENA_ALIGNMENT;
  }}
  for (i = 0; i < {P}_INPUT_SIZE; i++) {{
    in[i] = input[i];
  }}
  {p}__forward(a);
  for (i = 0; i < {P}_OUTPUT_SIZE; i++) {{
    output[i] = out[i];
  }}
  return {P}_OK;
}}

{p}_status {p}_run(const float *input, float *output) {{
  return {p}_run_with_arena(input, output, {p}__arena);
}}
"""
    if not image:
        return text
    return (
        text
        + f"""
int {p}_classify(const uint8_t *pixels) {{
  uint8_t *const a = (uint8_t *){p}__arena;
  float *const in = (float *)(void *)(a + {x.offset});
  const float *const out = (const float *)(const void *)(a + {y.offset});
  size_t i;
  size_t best = 0;
  if (pixels == NULL) {{
    return -1;
  }}
  for (i = 0; i < {P}_INPUT_SIZE; i++) {{
    in[i] = (float)pixels[i] / 255.0f;
  }}
  {p}__forward(a);
  for (i = 1; i < {P}_OUTPUT_SIZE; i++) {{
    best = out[i] > out[best] ? i : best;
  }}
  return (int)best;
}}
"""
    )
