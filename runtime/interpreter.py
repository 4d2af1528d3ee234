"""The interpreter: load a file, prepare every operator once, run batches through the kernels.

    model = load("model.tflite")              # or .onnx, or the file's bytes
    y = model(x)                              # x: (N, *input_shape) -> (N, *output_shape)
    tensors = model.trace(x)                  # every tensor by name, for parity debugging
    print(model.summary())

Input: the model's native dtype (int8 for a full-integer model, float32 otherwise); a float32
input to an int8 model is quantized first with the input tensor's scale / zero point
(tinyflash.runtime.quantize, TFLite's rounding).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from tinyflash.errors import UserError
from tinyflash.runtime.errors import InputError, ModelFormatError, UnsupportedOperatorError
from tinyflash.runtime.fixedpoint import ROUNDINGS
from tinyflash.runtime.graph import Graph, Tensor
from tinyflash.runtime.quantize import quantize

__all__ = ["Model", "TensorInfo", "kernels_for", "load", "prepare"]

MAX_ROW_ELEMENTS = 1 << 24  # per-row input size the load-time shape check will allocate


@dataclass(frozen=True)
class TensorInfo:
    """A graph input/output: name, per-row shape (without batch), dtype, quantization."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float | None
    zero_point: int | None


def kernels_for(graph: Graph) -> dict:
    from tinyflash.runtime.ops import ONNX_KERNELS, TFLITE_KERNELS

    return ONNX_KERNELS if graph.format == "onnx" else TFLITE_KERNELS


def prepare(graph: Graph, rounding: str = "tflm") -> list:
    """Compute every operator's constants once: a list of params, one per graph.operators entry.

    rounding: "tflm" (gemmlowp double rounding) or "litert" (single rounding); see fixedpoint.
    Raises UnsupportedOperatorError for an unknown op, ModelFormatError for inconsistent tensors.
    """
    if rounding not in ROUNDINGS:
        raise UserError(f"rounding: expected one of {list(ROUNDINGS)}, found {rounding!r}")
    kernels = kernels_for(graph)
    params = []
    for op in graph.operators:
        if op.op not in kernels:
            raise UnsupportedOperatorError(
                f"{op.name or op.op}: operator {op.op} not supported; supported: {sorted(kernels)}"
            )
        try:
            params.append(kernels[op.op].prepare(graph, op, rounding))
        except (AssertionError, ValueError) as exc:  # a fixed-point contract the file breaks
            raise UnsupportedOperatorError(
                f"{op.name or op.op}: quantization parameters outside what the integer kernels "
                f"support: {exc}"
            ) from None
    return params


def load(source: str | os.PathLike | bytes, rounding: str = "tflm") -> Model:
    """Read a .tflite or .onnx file (path or bytes), validate and prepare it."""
    suffix = ""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise UserError(f"{path}: no such model file")
        data = path.read_bytes()
        suffix = path.suffix.lower()
    tflite = suffix == ".tflite" or (len(data) >= 8 and data[4:8] == b"TFL3")
    try:
        if tflite:
            from tinyflash.runtime.tflite import read_tflite

            graph = read_tflite(data)
        else:
            from tinyflash.runtime.onnx import read_onnx

            graph = read_onnx(data)
        return Model(graph, rounding)
    except (ModelFormatError, UnsupportedOperatorError) as exc:  # name the file, say why ONNX
        where = "" if isinstance(source, bytes | bytearray | memoryview) else f"{source}: "
        guess = (
            "no .tflite identifier (b'TFL3' at bytes 4..8), so read as ONNX: "
            if not tflite and suffix != ".onnx" and "not an ONNX model" in str(exc)
            else ""
        )
        if not where and not guess:
            raise
        raise type(exc)(f"{where}{guess}{exc}") from None


def _check_shape(t: Tensor, value: np.ndarray, where: str, rows: int | None) -> None:
    """The computed value must have the declared dtype and shape (-1 matches any size); for a
    tensor computed from the graph input (rows = its batch), dimension 0 is the batch."""
    declared = t.shape if rows is None else (rows, *t.shape[1:])
    if (
        value.dtype != np.dtype(t.dtype)
        or len(declared) != value.ndim
        or any(d != -1 and d != f for d, f in zip(declared, value.shape, strict=True))
    ):
        raise ModelFormatError(
            f"{where}: output {t.name!r} is declared {t.dtype} {t.shape}, so expected "
            f"{t.dtype} {declared}{'' if rows is None else f' for a batch of {rows}'}, "
            f"found {value.dtype} {value.shape}"
        )


def _info(graph: Graph, index: int) -> TensorInfo:
    t = graph.tensors[index]
    q = t.quant
    return TensorInfo(
        name=t.name,
        shape=tuple(t.shape[1:]),
        dtype=t.dtype,
        scale=None if q is None else float(q.scale[0]),
        zero_point=None if q is None else int(q.zero_point[0]),
    )


class Model:
    """A prepared graph: call it on a batch, trace it, summarise it."""

    def __init__(self, graph: Graph, rounding: str = "tflm"):
        if len(graph.inputs) != 1 or len(graph.outputs) != 1:
            raise UnsupportedOperatorError(
                f"expected one graph input and one output, found {len(graph.inputs)} and "
                f"{len(graph.outputs)}"
            )
        self.graph = graph
        self.rounding = rounding
        self.params = prepare(graph, rounding)
        self._kernels = kernels_for(graph)
        self.input = _info(graph, graph.inputs[0])
        self.output = _info(graph, graph.outputs[0])
        self._check_shapes()

    def _check_shapes(self) -> None:
        """Run one zero row at load: every operator output must have the per-row shape the file
        declares (-1 matches any size) and the graph output must be computed, so no caller (the
        C generator sizes its buffers from these shapes) trusts a shape the kernels do not make.
        Raises ModelFormatError / UnsupportedOperatorError (tests/hostile found both lies)."""
        features = self.input.shape
        if any(d < 0 for d in features) or math.prod(features) > MAX_ROW_ELEMENTS:
            raise UnsupportedOperatorError(
                f"input: expected a static per-row shape of at most {MAX_ROW_ELEMENTS} elements, "
                f"found {features}"
            )
        for op in self.graph.operators:  # no kernel may be asked for a giant activation
            t = self.graph.tensors[op.outputs[0]]
            if math.prod(t.shape) > MAX_ROW_ELEMENTS:
                raise UnsupportedOperatorError(
                    f"{op.name or op.op}: output {t.name!r} of shape {t.shape}: expected at most "
                    f"{MAX_ROW_ELEMENTS} elements per row"
                )
        out = self.graph.outputs[0]
        # tensors computed from the graph input -> their batch per input row (1, or the
        # bh * bw blocks of a SPACE_TO_BATCH_ND: params may declare a `batch_scale`)
        self._batched = {self.graph.inputs[0]: Fraction(1)}
        for op, p in zip(self.graph.operators, self.params, strict=True):
            scales = [self._batched[i] for i in op.inputs if i in self._batched]
            if self._kernels[op.op].batched and scales:
                self._batched[op.outputs[0]] = scales[0] * Fraction(getattr(p, "batch_scale", 1))
        if out not in self._batched:
            raise ModelFormatError(
                f"graph output tensor {out} ({self.graph.tensors[out].name}) is not computed "
                "from the graph input"
            )
        self._run(np.zeros((1, *features), self.input.dtype), check_shapes=True)

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        """x -> the batch the kernels get, or InputError (tests/hostile/test_inputs.py): shape
        (N, *input.shape); the input dtype in any byte order or, for a quantized input, any
        float dtype (quantized, saturating to the integer range); floats must be finite."""
        x = np.asarray(x)
        features = self.input.shape
        if x.ndim != 1 + len(features) or tuple(x.shape[1:]) != features:
            raise InputError(
                f"input: expected shape (N, {', '.join(map(str, features))}), found {x.shape}"
            )
        if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
            at = np.argwhere(~np.isfinite(x))[0]
            raise InputError(
                f"input: expected finite values, found {x[tuple(at)]} at row {at[0]}, "
                f"feature {', '.join(map(str, at[1:]))}"
            )
        want = np.dtype(self.input.dtype)
        if x.dtype.newbyteorder("=") == want:
            return x.astype(want, copy=False)  # native byte order for the kernels
        scale, zero_point = self.input.scale, self.input.zero_point
        if want != np.float32 and x.dtype.kind == "f" and scale is not None:
            assert zero_point is not None
            return quantize(x.astype(np.float32), scale, zero_point, self.input.dtype)
        raise InputError(
            f"input: expected dtype {want.name} (or float32 pixels to quantize), "
            f"found {x.dtype.name}"
        )

    def _run(self, x: np.ndarray, check_shapes: bool = False) -> dict[int, np.ndarray]:
        g = self.graph
        values: dict[int, np.ndarray] = {g.inputs[0]: self._check_input(x)}
        for op, p in zip(g.operators, self.params, strict=True):
            args = [values[i] if i in values else g.tensors[i].data for i in op.inputs if i != -1]
            if not check_shapes:
                values[op.outputs[0]] = self._kernels[op.op].run(p, *args)
                continue
            try:  # the load-time dry run: a kernel contract the file's shapes break
                values[op.outputs[0]] = self._kernels[op.op].run(p, *args)
            except (AssertionError, ValueError) as exc:
                raise ModelFormatError(
                    f"{op.name or op.op}: cannot run on the tensors the file declares: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
            scale = self._batched.get(op.outputs[0])
            rows = None if scale is None else int(len(x) * scale)
            _check_shape(g.tensors[op.outputs[0]], values[op.outputs[0]], op.name or op.op, rows)
        return values

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (N, *input.shape) -> (N, *output.shape) in the output tensor's dtype."""
        return self._run(x)[self.graph.outputs[0]]

    def trace(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every activation tensor (graph input included), by tensor name, in execution order."""
        values = self._run(x)
        return {self.graph.tensors[i].name: v for i, v in values.items()}

    def summary(self) -> str:
        """Ops with their input/output shapes and quantization, and constant byte sizes."""
        g = self.graph
        lines = [f"{g.format} model, sha256 {g.sha256[:16]}..., rounding {self.rounding}"]
        total = 0
        for k, op in enumerate(g.operators):
            lines.append(f"  [{k}] {op.op} {dict(op.options) if op.options else ''}".rstrip())
            for role, idx in [("in", i) for i in op.inputs if i != -1] + [
                ("out", i) for i in op.outputs
            ]:
                t = g.tensors[idx]
                nbytes = 0 if t.data is None else t.data.nbytes
                total += nbytes
                q = ""
                if t.quant is not None:
                    kind = (
                        f"per-channel({t.quant.scale.size}, axis {t.quant.axis})"
                        if t.quant.per_channel
                        else f"scale={t.quant.scale[0]:.6g} zp={t.quant.zero_point[0]}"
                    )
                    q = f" q:{kind}"
                const = f" const {nbytes} B" if t.data is not None else ""
                lines.append(f"      {role:3} {t.name} {list(t.shape)} {t.dtype}{q}{const}")
        lines.append(f"  constants: {total} bytes; input {self.input}; output {self.output}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<tinyflash.runtime.Model {self.graph.format} {len(self.graph.operators)} ops>"
