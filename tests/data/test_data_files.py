"""User files: npz, CSV, MNIST IDX (gzipped or not), CIFAR-10 binary, and their failures."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from depthscope.data import load
from depthscope.errors import DepthscopeError

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 6))
Y = np.arange(40) % 3


def _same_rows(ds, X_raw: np.ndarray) -> None:
    """The union of the splits holds exactly the file's examples (standardisation off)."""
    rows = torch.cat([ds.train.X, ds.val.X, ds.test.X]).double().numpy()
    canon = lambda a: a[np.lexsort(a.T[::-1])]
    assert np.allclose(canon(rows), canon(X_raw.reshape(len(X_raw), -1)), atol=1e-6)


def test_npz_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=Y)
    ds = load(str(path), standardize=False)
    assert (ds.num_classes, ds.in_features, ds.card.size) == (3, 6, 40)
    assert ds.card.name == "d.npz"
    assert "npz" in ds.card.description
    _same_rows(ds, X)


def test_csv_with_header_and_text_labels(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    names = np.array(["cat", "dog", "eel"])[Y]
    lines = ["a,b,c,d,e,f,kind"] + [",".join(f"{v:.6f}" for v in row) + f",{n}"
                                    for row, n in zip(X, names, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    ds = load(path, standardize=False)
    assert (ds.num_classes, ds.in_features) == (3, 6)
    _same_rows(ds, X)
    first = tmp_path / "first.csv"
    first.write_text("\n".join(f"{y}," + ",".join(f"{v:.6f}" for v in row)
                               for row, y in zip(X, Y, strict=True)))
    assert load(first, label_column=0).in_features == 6


def _idx(array: np.ndarray, code: int = 0x08) -> bytes:
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(">u1").tobytes()


def test_mnist_idx_gzipped(tmp_path: Path) -> None:
    images = RNG.integers(0, 256, (30, 4, 4), dtype=np.uint8)
    labels = (np.arange(30) % 10).astype(np.uint8)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels)))
    ds = load(tmp_path / "train-images-idx3-ubyte.gz", standardize=False)
    assert (ds.num_classes, ds.in_features, ds.card.size) == (10, 16, 30)
    _same_rows(ds, images)


def test_idx_truncated_and_bad_magic(tmp_path: Path) -> None:
    images = RNG.integers(0, 256, (30, 4, 4), dtype=np.uint8)
    (tmp_path / "t-images-idx3-ubyte").write_bytes(_idx(images)[:-5])
    (tmp_path / "t-labels-idx1-ubyte").write_bytes(_idx(np.zeros(30, np.uint8)))
    with pytest.raises(DepthscopeError, match=r"t-images-idx3-ubyte: IDX data is .* truncated"):
        load(tmp_path / "t-images-idx3-ubyte")
    (tmp_path / "b-images-idx3-ubyte").write_bytes(b"\x08\x03\x00\x00" + bytes(20))
    with pytest.raises(DepthscopeError, match="bad magic"):
        load(tmp_path / "b-images-idx3-ubyte", labels=tmp_path / "t-labels-idx1-ubyte")
    gz = tmp_path / "g-images-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(_idx(images))[:-10])
    with pytest.raises(DepthscopeError, match=r"g-images-idx3-ubyte\.gz: cannot read"):
        load(gz, labels=tmp_path / "t-labels-idx1-ubyte")
    (tmp_path / "lonely-images-idx3-ubyte").write_bytes(_idx(images))
    with pytest.raises(DepthscopeError, match="no labels file"):
        load(tmp_path / "lonely-images-idx3-ubyte")


def test_cifar10_binary(tmp_path: Path) -> None:
    labels = (np.arange(12) % 10).astype(np.uint8)
    pixels = RNG.integers(0, 256, (12, 3072), dtype=np.uint8)
    (tmp_path / "data_batch_1.bin").write_bytes(np.column_stack([labels, pixels]).tobytes())
    ds = load(tmp_path / "data_batch_1.bin", standardize=False, val_fraction=0, test_fraction=0)
    assert (ds.num_classes, ds.in_features, len(ds.train)) == (10, 3072, 12)
    _same_rows(ds, pixels / 255.0)
    assert len(load(tmp_path, val_fraction=0, test_fraction=0).train) == 12  # a folder
    bad = tmp_path / "bad.bin"
    bad.write_bytes(np.column_stack([labels, pixels]).tobytes()[:-7])
    with pytest.raises(DepthscopeError, match=r"bad\.bin: size .* not a multiple of"):
        load(bad)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"X": np.full((5, 2), np.nan), "y": np.zeros(5)}, "NaN or inf"),
        ({"X": np.zeros((5, 2)), "y": np.zeros(4)}, "5 inputs but 4 labels"),
        ({"X": np.zeros((5, 2)), "y": np.array([0, 1, 2, -1, 0])}, "labels out of range"),
        ({"X": np.zeros((5, 2)), "y": np.array([0, 1, 0.5, 1, 0])}, "whole numbers"),
        ({"X": np.zeros(5), "y": np.zeros(5)}, "shape"),
        ({"features": np.zeros((5, 2))}, "needs arrays named X and y"),
    ],
)
def test_bad_npz(tmp_path: Path, arrays: dict, message: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DepthscopeError, match=message) as err:
        load(path)
    assert "bad.npz" in str(err.value)


def test_labels_beyond_num_classes_and_pickles_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=Y)
    with pytest.raises(DepthscopeError, match=r"out of range: found 0\.\.2, expected 0\.\.1"):
        load(path, num_classes=2)
    pickled = tmp_path / "p.npz"
    np.savez(pickled, X=np.array([{"a": 1}] * 5, dtype=object), y=np.zeros(5))
    with pytest.raises(DepthscopeError, match=r"p\.npz: not a readable \.npz"):
        load(pickled)
    (tmp_path / "d.txt").write_text("1,2\n")
    with pytest.raises(DepthscopeError, match="unknown format"):
        load(tmp_path / "d.txt")
