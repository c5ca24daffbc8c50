"""Built-in datasets: shapes, seeds, splits, standardisation and the generators' facts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from depthscope.data import builtin_names, cards, load, mnist1d, shapeset
from depthscope.errors import DepthscopeError

SIZES = {"digits": (64, 10), "mnist1d": (40, 10), "shapeset": (1024, 9), "teacher": (32, 10),
         "gaussian": (32, 10)}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_builtin_shapes_types_and_splits(name: str) -> None:
    ds = load(name, n=600, seed=1)
    features, classes = SIZES[name]
    assert (ds.in_features, ds.num_classes) == (features, classes)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (420, 90, 90)
    for split in (ds.train, ds.val, ds.test):
        assert split.X.dtype == torch.float32
        assert split.y.dtype == torch.int64
        assert split.X.shape[1] == features
        assert split.y.max() < classes
    x = ds.train.X.double()
    varying = x.std(0) > 0
    assert x.mean(0).abs().max() < 1e-5  # standardised on train
    assert torch.allclose(x.std(0, correction=0)[varying], torch.ones(1, dtype=x.dtype),
                          atol=1e-5)
    again = load(name, n=600, seed=1)
    assert torch.equal(ds.train.X, again.train.X)
    assert not torch.equal(ds.train.X, load(name, n=600, seed=2).train.X)
    assert ds.card.name == name
    assert ds.card.size == 600


def test_cards_and_names() -> None:
    assert builtin_names() == sorted(SIZES)
    assert [c.name for c in cards()] == sorted(SIZES)
    assert all(c.source and c.description for c in cards())
    assert load("digits").card.size == 1797  # scikit-learn's digits


def test_splits_are_disjoint_and_cover_the_data() -> None:
    ds = load("gaussian", n=200, standardize=False, val_fraction=0.2, test_fraction=0.1)
    rows = torch.cat([ds.train.X, ds.val.X, ds.test.X])
    assert (len(ds.train), len(ds.val), len(ds.test)) == (140, 40, 20)
    assert torch.unique(rows, dim=0).shape[0] == 200


def test_shapeset_class_frequencies_follow_the_description() -> None:
    """Singles 1/6 each, mixed pairs 1/9, same-type pairs 1/18 (REFERENCES.md)."""
    _, y = shapeset.generate(3000, seed=0)
    freq = np.bincount(y, minlength=9) / y.size
    expected = np.array([1 / 6] * 3 + [1 / 9] * 3 + [1 / 18] * 3)
    assert np.abs(freq - expected).max() < 0.03  # 4 binomial std devs at n = 3000


def test_shapeset_images() -> None:
    X, y = shapeset.generate(300, seed=1)
    assert X.shape == (300, 1024)
    assert X.min() >= -1
    assert X.max() <= 1
    levels = np.array([len(np.unique(img)) for img in X])
    assert (levels[y < 3] == 2).all()  # background and one object
    assert np.isin(levels[y >= 3], [2, 3]).all()
    assert (levels[y >= 3] == 3).mean() > 0.9


def test_shapeset_rasteriser_areas() -> None:
    square = np.array([[[8.0, 8.0], [24.0, 8.0], [24.0, 24.0], [8.0, 24.0]]])
    triangle = np.array([[[0.0, 0.0], [32.0, 0.0], [0.0, 32.0]]])
    assert shapeset._rasterise(square).sum() == 16 * 16  # centres 8.5 .. 23.5
    assert shapeset._rasterise(triangle).sum() == 32 * 33 // 2  # centres with i + j <= 31


def test_mnist1d_templates_and_balance() -> None:
    t = mnist1d.templates()
    assert t.shape == (10, 12)
    assert np.allclose(t[:, 0], 0)
    assert np.allclose(t.std(1) * 6, 1)  # whitened, then divided by 6
    X, y = mnist1d.generate(1000, seed=0)
    assert X.shape == (1000, 40)
    assert np.bincount(y).tolist() == [100] * 10


def test_unknown_name_and_option() -> None:
    with pytest.raises(DepthscopeError, match="no dataset 'digitz'"):
        load("digitz")
    with pytest.raises(DepthscopeError, match="unknown option"):
        load("teacher", colour=3)
    with pytest.raises(DepthscopeError, match="val_fraction"):
        load("gaussian", val_fraction=0.7, test_fraction=0.5)
    ds = load("teacher", n=100, features=5, classes=3)
    assert (ds.in_features, ds.num_classes) == (5, 3)
