"""The :class:`Dataset` container and the one path every source goes through.

Arrays from any source (built-in generator or user file) are checked, split into seeded
train/validation/test parts and standardised with the *training* mean and standard deviation
(``x' = (x - mean_train) / std_train`` per feature; constant features keep std 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from depthscope.errors import DepthscopeError


@dataclass(frozen=True)
class Split:
    """One part of a dataset: inputs ``X`` (N, features) and integer labels ``y`` (N,)."""

    X: torch.Tensor  # (N, F) float
    y: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def to(self, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> Split:
        return Split(self.X.to(device=device, dtype=dtype), self.y.to(device=device))


@dataclass(frozen=True)
class DatasetCard:
    """Where a dataset comes from: name, number of examples, source and a short description."""

    name: str
    size: int
    source: str
    description: str
    num_classes: int = 0
    in_features: int = 0


@dataclass(frozen=True)
class Dataset:
    """A classification task split into train/val/test, inputs standardised on ``train``.

    Attributes:
        train, val, test: the splits, each with ``X`` (N, in_features) and ``y`` (N,) labels.
        num_classes: labels run from 0 to ``num_classes - 1``.
        in_features: the number of input features.
        card: where it comes from (name, size, source, description).

    Example:
        >>> from depthscope import load_dataset
        >>> digits = load_dataset("digits")
        >>> digits.train.X.shape, digits.train.X.dtype, abs(float(digits.train.X.mean())) < 1e-6
        (torch.Size([1257, 64]), torch.float32, True)
    """

    train: Split
    val: Split
    test: Split
    num_classes: int
    in_features: int
    card: DatasetCard

    def to(self, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> Dataset:
        """The same dataset with every split moved to ``device`` and ``dtype``."""
        return Dataset(
            self.train.to(device, dtype),
            self.val.to(device, dtype),
            self.test.to(device, dtype),
            self.num_classes,
            self.in_features,
            self.card,
        )


MAX_CLASSES = 10_000  # beyond this, labels must fill at least half of 0..K-1 to be believed


def check_arrays(
    X: np.ndarray, y: np.ndarray, origin: str, num_classes: int | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate and flatten: ``X`` (N, ...) finite numbers, ``y`` (N,) integers in [0, K).

    Returns ``(X (N, F) float64, y (N,) int64, K)``; every problem raises
    :class:`DepthscopeError` naming ``origin`` (a file or dataset name) and what is wrong.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim < 2:
        raise DepthscopeError(f"{origin}: inputs must have shape (N, features...), got {X.shape}")
    if y.ndim != 1:
        raise DepthscopeError(f"{origin}: labels must have shape (N,), got {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise DepthscopeError(
            f"{origin}: {X.shape[0]} inputs but {y.shape[0]} labels; they must match"
        )
    if X.shape[0] < 3:
        raise DepthscopeError(f"{origin}: needs at least 3 examples, got {X.shape[0]}")
    if np.iscomplexobj(X) or np.iscomplexobj(y):
        raise DepthscopeError(f"{origin}: complex numbers are not supported (the imaginary "
                              "part would be dropped); store real inputs and integer labels")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise DepthscopeError(f"{origin}: inputs must be numbers, got dtype {X.dtype}")
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    if not np.isfinite(X).all():
        bad = int((~np.isfinite(X)).any(axis=1).sum())
        raise DepthscopeError(f"{origin}: {bad} example(s) contain NaN or inf; clean the file")
    if not np.issubdtype(y.dtype, np.number):
        raise DepthscopeError(f"{origin}: labels must be integers, got dtype {y.dtype}")
    if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
        raise DepthscopeError(f"{origin}: labels must be whole numbers (class indices)")
    y = y.astype(np.int64)
    k = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if num_classes is None and k > MAX_CLASSES and k > 2 * len(np.unique(y)):
        raise DepthscopeError(
            f"{origin}: the largest label is {k - 1:,} but only {len(np.unique(y)):,} distinct "
            f"labels occur; labels must be class indices 0..K-1 (pass num_classes= if K is "
            f"really {k:,})")
    if y.min() < 0 or y.max() >= k:
        raise DepthscopeError(
            f"{origin}: labels out of range: found {int(y.min())}..{int(y.max())}, "
            f"expected 0..{k - 1}"
        )
    if k < 2:
        raise DepthscopeError(f"{origin}: needs at least 2 classes, found {k}")
    return X, y, k


def make_dataset(
    X: np.ndarray,
    y: np.ndarray,
    card: DatasetCard,
    *,
    seed: int = 0,
    n: int | None = None,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    standardize: bool = True,
    num_classes: int | None = None,
) -> Dataset:
    """Check, subsample (``n``), split with a seeded permutation and standardise."""
    X, y, k = check_arrays(X, y, card.name, num_classes)
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise DepthscopeError(
            f"val_fraction={val_fraction}, test_fraction={test_fraction}: each must be in [0, 1) "
            "and their sum below 1"
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(X.shape[0])
    if n is not None:
        if n < 3:
            raise DepthscopeError(f"n={n}: ask for at least 3 examples")
        order = order[:n]
    total = order.size
    n_val, n_test = round(total * val_fraction), round(total * test_fraction)
    n_train = total - n_val - n_test
    if n_train < 1:
        raise DepthscopeError(f"{card.name}: no training examples left after the split")
    parts = np.split(order, [n_train, n_train + n_val])
    mean, std = X[parts[0]].mean(0), X[parts[0]].std(0)
    if not standardize:
        mean, std = np.zeros_like(mean), np.ones_like(std)
    std = np.where(std > 1e-12, std, 1.0)

    def split(idx: np.ndarray) -> Split:
        xs = (X[idx] - mean) / std  # (N, F)
        return Split(torch.from_numpy(xs.astype(np.float32)), torch.from_numpy(y[idx]))

    card = DatasetCard(card.name, total, card.source, card.description, k, X.shape[1])
    train, val, test = (split(p) for p in parts)
    return Dataset(train, val, test, k, X.shape[1], card)
