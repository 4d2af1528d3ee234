"""PNG plots of a training run: curves, confusion matrix, misclassified test digits."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from tinyflash import atomic
from tinyflash.train.data import Dataset

__all__ = ["write_all"]

# PNG metadata without the matplotlib version or a date: the same run gives the same bytes.
_PNG_METADATA = {"Software": None}


def _save(fig, path: Path) -> None:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata=_PNG_METADATA)
    plt.close(fig)
    atomic.write_bytes(path, buf.getvalue())


def training_curves(curves: dict[str, list[float]], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for key, ax in (("loss", ax_loss), ("accuracy", ax_acc)):
        for prefix, label in (("", "training"), ("val_", "validation")):
            values = curves.get(prefix + key)
            if values:
                ax.plot(range(1, len(values) + 1), values, marker="o", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Training curves")
    fig.tight_layout()
    _save(fig, path)


def confusion(cm: np.ndarray, class_names: tuple[str, ...], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(cm, cmap="Blues")
    n = len(class_names)
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = cm.max() / 2
    for i in range(n):
        for j in range(n):
            color = "white" if cm[i, j] > threshold else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7, color=color)
    fig.colorbar(im, ax=ax)
    ax.set_title(f"Confusion matrix (test accuracy {np.trace(cm) / cm.sum():.2%})")
    fig.tight_layout()
    _save(fig, path)


def misclassified(data: Dataset, probabilities: np.ndarray, path: Path, count: int = 36) -> None:
    import matplotlib.pyplot as plt

    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != data.y_test)[:count]
    cols = 6
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.8))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, k in zip(np.atleast_1d(axes).ravel(), wrong, strict=False):
        image = data.x_test[k]
        ax.imshow(
            image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image, cmap="gray_r"
        )
        ax.set_title(
            f"#{k}: {data.class_names[data.y_test[k]]}->{data.class_names[predicted[k]]}",
            fontsize=7,
        )
    fig.suptitle(
        f"Misclassified test images (first {len(wrong)} of {int(np.sum(predicted != data.y_test))})"
    )
    fig.tight_layout()
    _save(fig, path)


def write_all(
    run_dir: Path,
    curves: dict[str, list[float]],
    cm: np.ndarray,
    data: Dataset,
    probabilities: np.ndarray,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    training_curves(curves, run_dir / "training_curves.png")
    confusion(cm, data.class_names, run_dir / "confusion_matrix.png")
    misclassified(data, probabilities, run_dir / "misclassified.png")
