"""`python -m tinyflash.learn` (also `tinyflash learn`): one epoch on a few MNIST images, with
every intermediate value of the first minibatch printed, then the loss of each minibatch.
`--plots DIR` also draws the figures of tinyflash.learn.plots."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_arguments", "build_parser", "main", "run"]


# The keys of optimizers.OPTIMIZERS (a test checks): `tinyflash --help` must not import numpy.
OPTIMIZER_NAMES = ("sgd", "adam", "rmsprop", "adagrad", "adadelta")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="PATH", help="mnist.npz, mnist.pkl.gz or IDX folder")
    parser.add_argument("--images", type=int, default=1000, help="training images (1000)")
    parser.add_argument("--batch-size", type=int, default=100, metavar="N", help="(100)")
    parser.add_argument("--hidden", type=int, default=10, metavar="N", help="hidden units (10)")
    parser.add_argument("--activation", default="sigmoid", help="sigmoid | tanh | relu | linear")
    parser.add_argument("--optimizer", default="sgd", choices=OPTIMIZER_NAMES)
    parser.add_argument("--learning-rate", type=float, default=0.5, metavar="LR", help="(0.5)")
    parser.add_argument("--loss", default="categorical_crossentropy", help="or mse")
    parser.add_argument("--seed", type=int, default=0, help="initial weights and shuffling (0)")
    parser.add_argument(
        "--plots",
        metavar="DIR",
        help="also write activations.png, optimizers.png, int8_error.png, plots.json to DIR",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tinyflash.learn", description=__doc__)
    add_arguments(parser)
    return parser


def _row(v: Any) -> str:
    import numpy as np

    return np.array2string(np.asarray(v), precision=3, suppress_small=True, max_line_width=96)


def _first_minibatch(net: Any, x: Any, y: Any, lr: float, show: Any) -> None:
    """Forward, loss and backward of one minibatch, printed layer by layer (image 0 rows)."""
    import numpy as np

    loss = net.train_step_gradients(x, y)
    show(f"\nminibatch 1: x {x.shape} pixels in [0, 1], y {y.shape} one-hot")
    show(f"  image 0 of the minibatch is a {int(y[0].argmax())}; {int((x[0] > 0).sum())} of its "
         "784 pixels are > 0")  # fmt: skip
    for i, layer in enumerate(net.dense, start=1):
        n_in, n_out = layer.W.shape
        a = "x" if i == 1 else f"a{i - 1}"
        show(f"forward, layer {i}: z{i} = {a} @ W{i} + b{i}   ({len(x)}, {n_in}) @ "
             f"({n_in}, {n_out}) + ({n_out},) -> ({len(x)}, {n_out})")  # fmt: skip
        show(f"  image 0: z{i} = {_row(layer.z[0])}")
        show(f"  image 0: a{i} = {layer.activation}(z{i}) = {_row(layer.y[0])}")
    p = net.dense[-1].y
    show(f"loss ({net.loss_name}, mean over {len(x)} images) = {loss:.4f}")
    show(f"  image 0: p[true class] = {p[0, y[0].argmax()]:.4f}, -log of it = "
         f"{-np.log(p[0, y[0].argmax()]):.4f}")  # fmt: skip
    for i in range(len(net.dense), 0, -1):
        layer = net.dense[i - 1]
        a = "x" if i == 1 else f"a{i - 1}"
        show(f"backward, layer {i}: dL/dz{i} {layer.dz.shape}; image 0, times the batch size "
             f"{len(x)}: {_row(layer.dz[0] * len(x))}")  # fmt: skip
        show(f"  dL/dW{i} = {a}.T @ dL/dz{i} {layer.dW.shape}, |dL/dW{i}| = "
             f"{np.linalg.norm(layer.dW):.4g}; dL/db{i}: dL/dz{i} summed over images")  # fmt: skip
        if i > 1:
            show(f"  dL/da{i - 1} = dL/dz{i} @ W{i}.T, then dL/dz{i - 1} = dL/da{i - 1} * "
                 f"f'(z{i - 1})")  # fmt: skip
    last = net.dense[-1]
    show(f"step: W{len(net.dense)}[0, 0] = {last.W[0, 0]:.5f}, gradient {last.dW[0, 0]:.5f}, "
         f"plain SGD would make it {last.W[0, 0] - lr * last.dW[0, 0]:.5f}")  # fmt: skip


def run(args: argparse.Namespace, show: Any = print) -> int:
    import numpy as np

    from tinyflash.errors import ConfigError
    from tinyflash.learn import MLP, OPTIMIZERS, evaluate, minibatches
    from tinyflash.learn.activations import ACTIVATIONS
    from tinyflash.train.data import load_mnist

    if args.activation not in ACTIVATIONS or args.activation == "softmax":
        raise ConfigError(f"--activation: expected sigmoid, tanh, relu or linear, found "
                          f"{args.activation!r}")  # fmt: skip
    if args.loss not in ("categorical_crossentropy", "mse"):
        raise ConfigError(f"--loss: expected categorical_crossentropy or mse, found {args.loss!r}")
    for name in ("images", "batch_size", "hidden"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')}: expected >= 1, found "
                              f"{getattr(args, name)}")  # fmt: skip
    data = load_mnist(args.data, allow_download=False)
    n = min(args.images, len(data.x_train))
    x = data.x_train[:n].reshape(n, 784).astype(np.float32) / np.float32(255)  # (n, 784)
    y = np.eye(data.num_classes, dtype=np.float32)[data.y_train[:n]]  # (n, classes)
    rng = np.random.default_rng(args.seed)
    sizes = [784, args.hidden, data.num_classes]
    net = MLP.build(sizes, args.activation, rng, loss=args.loss)
    optimizer = OPTIMIZERS[args.optimizer](learning_rate=args.learning_rate)
    weights = sum(p.size for p in net.params)
    show(f"network {'-'.join(map(str, sizes))}: {args.activation} hidden layer, softmax output, "
         f"{weights} weights (Glorot-uniform, seed {args.seed}); {args.optimizer}, "
         f"learning rate {args.learning_rate}")  # fmt: skip
    show(f"data: the first {n} training images of {data.source}, minibatches of {args.batch_size}")
    batches = list(minibatches(n, args.batch_size, rng))
    _first_minibatch(net, x[batches[0]], y[batches[0]], args.learning_rate, show)
    show("")
    for b, idx in enumerate(batches, start=1):
        loss = net.train_step_gradients(x[idx], y[idx]) if b > 1 else None
        if loss is None:  # the first minibatch's gradients are already computed above
            loss = float(net.loss(y[idx]))
        optimizer.step(net.params, net.grads)
        show(f"minibatch {b:3d}/{len(batches)}: loss {loss:.4f}")
    x_test = data.x_test[:1000].reshape(-1, 784).astype(np.float32) / np.float32(255)
    y_test = np.eye(data.num_classes, dtype=np.float32)[data.y_test[:1000]]
    test_loss, test_acc = evaluate(net, x_test, y_test)
    show(f"after one epoch: loss {test_loss:.4f}, accuracy {test_acc:.3f} on "
         f"{len(x_test)} test images")  # fmt: skip
    if args.plots:  # matplotlib is imported only here
        from pathlib import Path

        from tinyflash.learn import plots

        for path in plots.write_all(Path(args.plots), net, x, y, x_test, args):
            show(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    import sys

    from tinyflash.errors import UserError

    try:
        return run(build_parser().parse_args(argv))
    except UserError as exc:
        print(f"python -m tinyflash.learn: error: {exc}", file=sys.stderr)
        return 2
