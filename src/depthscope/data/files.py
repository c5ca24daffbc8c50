"""User data files: ``.npz`` (arrays ``X``, ``y``), CSV, MNIST IDX (optionally gzipped) and
the CIFAR-10 binary format. Nothing is ever unpickled; a bad file raises
:class:`DepthscopeError` naming the file and the problem.
"""

from __future__ import annotations

import csv
import gzip
import math
import struct
import zipfile
from pathlib import Path

import numpy as np

from depthscope.errors import DepthscopeError

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
CIFAR_RECORD = 1 + 3 * 32 * 32  # label byte + 3 colour planes of 32×32 bytes
CIFAR_CLASSES = 10


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError) as err:
        raise DepthscopeError(f"{path}: cannot read ({err}); is the file complete?") from None


def read_idx(path: Path) -> np.ndarray:
    """An IDX array (LeCun's MNIST format): magic ``0 0 type ndim``, big-endian dims, data."""
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DepthscopeError(f"{path}: not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(IDX_TYPES[raw[2]]), raw[3]
    start = 4 + 4 * ndim
    if ndim == 0 or len(raw) < start:
        raise DepthscopeError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:start])
    expected = math.prod(dims) * dtype.itemsize  # Python integers: no wrap-around
    if len(raw) - start != expected:
        raise DepthscopeError(
            f"{path}: IDX data is {len(raw) - start} bytes but its header {dims} needs "
            f"{expected}; the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=dtype, offset=start).reshape(dims)


def _idx_labels_path(path: Path) -> Path:
    name = path.name.replace("images-idx3", "labels-idx1").replace("images", "labels")
    return path.with_name(name)


def load_idx(path: Path, labels: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images from ``path`` and labels from ``labels`` (default: the MNIST sibling name)."""
    label_path = Path(labels) if labels is not None else _idx_labels_path(path)
    if label_path == path or not label_path.exists():
        raise DepthscopeError(
            f"{path}: no labels file found (tried {label_path.name}); pass labels=PATH"
        )
    return read_idx(path), read_idx(label_path)


def load_cifar(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (a file or a folder
    of ``*.bin``)."""
    files = sorted(path.glob("*.bin")) if path.is_dir() else [path]
    if not files:
        raise DepthscopeError(f"{path}: no CIFAR-10 *.bin batch files in this folder")
    xs, ys = [], []
    for file in files:
        raw = np.frombuffer(_read_bytes(file), dtype=np.uint8)
        if raw.size == 0 or raw.size % CIFAR_RECORD:
            raise DepthscopeError(
                f"{file}: size {raw.size} bytes is not a multiple of the CIFAR-10 record "
                f"({CIFAR_RECORD} bytes); the file is truncated or not CIFAR-10 binary"
            )
        records = raw.reshape(-1, CIFAR_RECORD)
        if records[:, 0].max() >= CIFAR_CLASSES:
            raise DepthscopeError(
                f"{file}: label byte {int(records[:, 0].max())} where CIFAR-10 has classes "
                f"0..{CIFAR_CLASSES - 1}; the file is not CIFAR-10 binary")
        ys.append(records[:, 0])
        xs.append(records[:, 1:] / 255.0)
    return np.concatenate(xs), np.concatenate(ys)


def load_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Arrays ``X`` (N, ...) and ``y`` (N,) from an ``.npz`` file (``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = {k.lower(): k for k in archive.files}
            if "x" not in keys or "y" not in keys:
                raise DepthscopeError(
                    f"{path}: needs arrays named X and y, found {sorted(archive.files)}"
                )
            return archive[keys["x"]], archive[keys["y"]]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        if isinstance(err, DepthscopeError):
            raise
        raise DepthscopeError(f"{path}: not a readable .npz of numeric arrays ({err})") from None


def load_csv(path: Path, label_column: int | str = -1) -> tuple[np.ndarray, np.ndarray]:
    """Numeric feature columns and one label column (index or header name; default last).

    A first row that is not all numbers is taken as a header. Text labels become class
    indices in sorted order.
    """
    import pandas as pd

    try:
        with path.open(newline="", encoding="utf-8") as fh:
            first = next(csv.reader(fh), None)
        if not first:
            raise DepthscopeError(f"{path}: empty CSV file")
        header = not all(_is_number(cell) for cell in first)
        frame = pd.read_csv(path, header=0 if header else None, encoding="utf-8")
    except UnicodeDecodeError:
        raise DepthscopeError(f"{path}: not a text CSV file (not UTF-8); is it binary?") from None
    except (ValueError, pd.errors.ParserError, csv.Error) as err:
        if isinstance(err, DepthscopeError):
            raise
        raise DepthscopeError(f"{path}: cannot parse CSV ({err})") from None
    columns = list(frame.columns)
    if isinstance(label_column, str) and label_column not in columns:
        raise DepthscopeError(f"{path}: no column {label_column!r}; columns: {columns}")
    name = label_column if isinstance(label_column, str) else columns[label_column]
    labels, features = frame[name], frame.drop(columns=[name])
    try:
        X = features.to_numpy(dtype=np.float64)
    except ValueError:
        raise DepthscopeError(f"{path}: feature columns must all be numbers") from None
    if pd.api.types.is_numeric_dtype(labels):
        return X, labels.to_numpy()
    return X, np.unique(labels.astype(str).to_numpy(), return_inverse=True)[1]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def load_file(path: Path, **options: object) -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, y, format)`` from a user file, dispatched on its name."""
    name = path.name.lower()
    if path.is_dir() or name.endswith(".bin"):
        return (*load_cifar(path, **options), "CIFAR-10 binary")  # type: ignore[arg-type]
    if name.endswith(".npz"):
        return (*load_npz(path, **options), "npz")  # type: ignore[arg-type]
    if name.endswith((".csv", ".csv.gz")):
        return (*load_csv(path, **options), "CSV")  # type: ignore[arg-type]
    if "idx" in name:
        return (*load_idx(path, **options), "IDX")  # type: ignore[arg-type]
    raise DepthscopeError(
        f"{path}: unknown format; use .npz, .csv, MNIST IDX (*-idx3-ubyte[.gz]) or CIFAR-10 .bin"
    )
