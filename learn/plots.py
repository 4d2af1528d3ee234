"""Three figures for students: the activations, the optimizers' losses, int8 against float.

Each figure is a data function (numpy only; the tests compare its numbers with tinyflash.learn
and tinyflash.runtime) and a drawing function that imports matplotlib when it is called, so
`import tinyflash.learn` and `import tinyflash.learn.plots` never load it.
`tinyflash learn --plots DIR` writes the three PNGs and plots.json, the numbers drawn.

    activations.png   f(z) and f'(z) for sigmoid, tanh, relu, linear
    optimizers.png    loss per minibatch, each optimizer from the same weights on the same batches
    int8_error.png    one Dense layer in int8 (as the TFLite export quantizes it) against float
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash.learn import activations
from tinyflash.learn.fit import minibatches
from tinyflash.learn.layers import Dense
from tinyflash.learn.network import MLP
from tinyflash.learn.optimizers import OPTIMIZERS

__all__ = [
    "FILES",
    "OPTIMIZER_CHOICES",
    "activation_data",
    "layer_int8",
    "optimizer_losses",
    "write_all",
]

FILES = ("activations.png", "optimizers.png", "int8_error.png")
# (name, settings): a learning rate that suits each optimizer on the course's network.
OPTIMIZER_CHOICES: tuple[tuple[str, dict[str, float]], ...] = (
    ("sgd", {"learning_rate": 0.5}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
    ("adam", {"learning_rate": 0.01}),
    ("rmsprop", {"learning_rate": 0.01}),
    ("adagrad", {"learning_rate": 0.5}),
    ("adadelta", {"learning_rate": 1.0}),
)
_PNG_METADATA = {"Software": None}  # no matplotlib version or date: same data, same bytes


def activation_data(z: np.ndarray | None = None) -> dict[str, Any]:
    """{"z": (points,), name: {"a": (points,), "slope": (points,)}} for the hidden activations,
    computed by activations.forward and activations.backward (f'(z) from a, as backprop does)."""
    z = np.linspace(-5.0, 5.0, 201) if z is None else np.asarray(z, dtype=np.float64)
    out: dict[str, Any] = {"z": z}
    for name in ("sigmoid", "tanh", "relu", "linear"):
        a = activations.forward(name, z[None, :])  # (1, points): one row of weighted sums
        slope = activations.backward(name, a, np.ones_like(a))  # dL/da = 1 gives f'(z)
        out[name] = {"a": a[0], "slope": slope[0]}
    return out


def _label(name: str, settings: dict[str, float]) -> str:
    extra = f", momentum {settings['momentum']:g}" if settings.get("momentum") else ""
    return f"{name} (lr {settings['learning_rate']:g}{extra})"


def optimizer_losses(
    x: np.ndarray,
    y: np.ndarray,
    sizes: list[int],
    activation: str,
    batch_size: int,
    seed: int,
    choices: tuple[tuple[str, dict[str, float]], ...] = OPTIMIZER_CHOICES,
) -> dict[str, list[float]]:
    """label -> the loss of each minibatch of one epoch. x (N, 784), y (N, classes) one-hot.

    Every optimizer starts from the same weights (MLP.build with default_rng(seed)) and sees
    the same minibatches (drawn next from that generator, as `tinyflash learn` does), so the
    curves differ only by the update rule."""
    out: dict[str, list[float]] = {}
    for name, settings in choices:
        rng = np.random.default_rng(seed)
        net = MLP.build(sizes, activation, rng)  # the same start for every optimizer
        optimizer = OPTIMIZERS[name](**settings)
        losses = []
        for idx in minibatches(len(x), batch_size, rng):  # the same batches
            losses.append(net.train_step_gradients(x[idx], y[idx]))
            optimizer.step(net.params, net.grads)
        out[_label(name, settings)] = losses
    return out


def _asymmetric(low: float, high: float) -> tuple[float, int]:
    """int8 scale and zero point of a calibrated range, as TFLite's converter computes them:
    the range is widened to hold 0, scale = (max - min) / 255, zero point rounded."""
    low, high = min(low, 0.0), max(high, 0.0)
    scale = float(np.float32((high - low) / 255.0))
    return scale, int(np.clip(round(-128 - low / scale), -128, 127))


def layer_int8(layer: Dense, x_cal: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    """The first Dense layer of a network in int8, as the int8 TFLite export quantizes it,
    against the same layer in float. x_cal (C, in), x (N, in): float inputs in [0, 1].

    Weights per output neuron (per channel): s_w = max|W[:, k]| / 127, q_w = round(W / s_w).
    Input and output per tensor, from the range seen on the calibration inputs: for the input
    1/255 and -128; the output is z = x W + b (or relu(z): TFLite fuses a relu into the layer).
    int8 arithmetic: int32 sums of (q_x - zp_x) q_w, plus round(b / (s_x s_w)), rescaled by an
    integer multiplier and shift (TFLM's rounding), plus the output zero point, clamped.
    Returns the scales, float outputs "z" (N, units), int8 outputs "q" (N, units), their
    dequantized values "z_int8" and the error in output steps "error_steps" (N, units).
    """
    from tinyflash.runtime import fixedpoint as fp
    from tinyflash.runtime.quantize import dequantize, quantize, round_half_away_from_zero

    W, b = layer.W.astype(np.float32), layer.b.astype(np.float32)  # (in, units), (units,)
    fused_relu = layer.activation == "relu"

    def real(inputs: np.ndarray) -> np.ndarray:  # (rows, in) -> (rows, units), float64
        z = inputs.astype(np.float64) @ W.astype(np.float64) + b
        return np.maximum(z, 0) if fused_relu else z

    s_x, zp_x = _asymmetric(float(x_cal.min()), float(x_cal.max()))
    s_w = (np.abs(W).max(axis=0) / np.float32(127)).astype(np.float32)  # (units,)
    q_w = np.clip(round_half_away_from_zero(W / s_w), -127, 127).astype(np.int64)  # (in, units)
    bias = round_half_away_from_zero(b / (np.float64(s_x) * s_w)).astype(np.int64)  # (units,)
    z_cal = real(x_cal)
    s_out, zp_out = _asymmetric(float(z_cal.min()), float(z_cal.max()))
    pairs = [fp.quantize_multiplier(s_x * float(s) / s_out) for s in s_w]
    multiplier = np.array([m for m, _ in pairs], np.int64)  # (units,)
    shift = np.array([s for _, s in pairs], np.int64)  # (units,)

    q_x = quantize(x.astype(np.float32), s_x, zp_x).astype(np.int64)  # (N, in)
    acc = (q_x - zp_x) @ q_w + bias  # (N, units) int32 sums
    scaled = fp.multiply_by_quantized_multiplier(acc, multiplier, shift, "tflm") + zp_out
    q = np.clip(scaled, zp_out if fused_relu else -128, 127).astype(np.int8)  # (N, units)
    z = real(x)
    z_int8 = dequantize(q, s_out, zp_out).astype(np.float64)
    return {
        "input_scale": s_x,
        "input_zero_point": zp_x,
        "weight_scales": s_w,
        "q_weights": q_w.astype(np.int8),
        "q_bias": bias,
        "output_scale": s_out,
        "output_zero_point": zp_out,
        "z": z,
        "q": q,
        "z_int8": z_int8,
        "error_steps": (z_int8 - z) / s_out,
    }


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    from tinyflash import atomic

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata=_PNG_METADATA)
    plt.close(fig)
    atomic.write_bytes(path, buf.getvalue())


def _figure(*args: Any, **kwargs: Any) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def draw_activations(data: dict[str, Any], path: Path) -> None:
    fig, (ax_f, ax_d) = _figure(1, 2, figsize=(10, 4))
    styles = {"linear": ("grey", "--"), "sigmoid": ("C0", "-"), "tanh": ("C1", "-")}
    for name in ("linear", "sigmoid", "tanh", "relu"):  # relu last: it covers linear for z > 0
        color, dash = styles.get(name, ("C2", "-"))
        ax_f.plot(data["z"], data[name]["a"], dash, color=color, label=name)
        ax_d.plot(data["z"], data[name]["slope"], dash, color=color, label=name)
    for ax, title in ((ax_f, "a = f(z)"), (ax_d, "f'(z), computed from a")):
        ax.set(title=title, xlabel="z", ylim=(-1.5, 2.5))
        ax.grid(alpha=0.3)
        ax.axhline(0, color="black", lw=0.5)
    ax_f.legend()
    fig.tight_layout()
    _save(fig, path)


def draw_optimizers(losses: dict[str, list[float]], batch_size: int, path: Path) -> None:
    fig, ax = _figure(figsize=(8, 4.5))
    for label, values in losses.items():
        ax.plot(range(1, len(values) + 1), values, label=label, lw=1)
    ax.set(xlabel=f"minibatch ({batch_size} images)", ylabel="cross-entropy loss")
    ax.set_title("Same initial weights, same minibatches: only the update rule differs")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _save(fig, path)


def draw_int8(data: dict[str, Any], path: Path) -> None:
    fig, (ax_z, ax_e) = _figure(1, 2, figsize=(10, 4))
    z, err = data["z"].ravel(), data["error_steps"].ravel()
    ax_z.plot(z, data["z_int8"].ravel(), ".", ms=2)
    ax_z.set(xlabel="z in float", ylabel="z in int8 (dequantized)")
    ax_z.set_title(f"layer 1: step {data['output_scale']:.4f}, zero point "
                   f"{data['output_zero_point']}")  # fmt: skip
    reach = max(1.0, float(np.ceil(np.abs(err).max())))  # beyond 1: saturated outputs
    ax_e.hist(err, bins=np.linspace(-reach, reach, 40 * int(reach) + 1))
    ax_e.set(xlabel="int8 - float, in output steps", ylabel="outputs")
    ax_e.set_title(f"{len(err)} outputs, largest error {np.abs(err).max():.2f} steps")
    for ax in (ax_z, ax_e):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, path)


def _rounded(v: Any) -> Any:
    """plots.json: the numbers drawn, 6 significant digits (the same on every CPU)."""
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    if isinstance(v, np.ndarray | list | tuple):
        return [_rounded(x) for x in np.asarray(v).tolist()]
    return float(f"{v:.6g}") if isinstance(v, float) else v


def write_all(
    folder: Path, net: MLP, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, args: Any
) -> list[Path]:
    """The three PNGs and plots.json into `folder`. net: the trained network (its first layer
    is the one quantized, calibrated on x); x, y: the training data; args: the learn CLI's."""
    from tinyflash import atomic

    folder = atomic.ensure_writable_dir(folder)
    sizes = [x.shape[1], args.hidden, y.shape[1]]
    acts = activation_data()
    losses = optimizer_losses(x, y, sizes, args.activation, args.batch_size, args.seed)
    int8 = layer_int8(net.dense[0], x[:1000], x_test)
    draw_activations(acts, folder / FILES[0])
    draw_optimizers(losses, args.batch_size, folder / FILES[1])
    draw_int8(int8, folder / FILES[2])
    summary = {
        "activations": acts,
        "optimizers": losses,
        "int8_error": {k: int8[k] for k in ("input_scale", "output_scale", "output_zero_point")}
        | {"weight_scales": int8["weight_scales"], "error_steps": int8["error_steps"][:20]},
    }
    atomic.write_json(folder / "plots.json", _rounded(summary))
    return [folder / name for name in (*FILES, "plots.json")]
