"""Monte Carlo of gradient products against exact results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthscope.activations import get
from depthscope.errors import DepthscopeError
from depthscope.simulate.products import iid_products, network_products


def test_relu_iid_product_vanishes_with_probability_one_minus_half_to_the_k() -> None:
    # relu'(x) is 1 for x > 0 and 0 otherwise: P(g = 0) = 1 - 2^-K exactly.
    stats = iid_products("relu", (1, 2, 3), 200_000, seed=3)
    expected = 1 - 0.5 ** np.array([1, 2, 3])
    assert np.allclose(stats.p_vanish, expected, atol=4e-3)
    assert np.all(stats.p_explode == 0)


def test_iid_equals_a_plain_loop() -> None:
    stats = iid_products(get("tanh", scale=2), (1, 4), 50, q=0.7, seed=5)
    x = np.random.default_rng(5).standard_normal((50, 4)) * math.sqrt(0.7)
    slow = [[math.log10(abs(np.prod([2 * (1 - math.tanh(2 * v) ** 2) for v in row[:k]])))
             for k in (1, 4)] for row in x]
    assert np.allclose(stats.log10_g, slow, rtol=0, atol=1e-12)


def test_iid_drift_gives_the_median() -> None:
    # log10|g_K| is a sum of K i.i.d. terms: its mean is K E[log10 phi'(x)].
    stats = iid_products("tanh", (50,), 40_000, seed=0)
    x = np.random.default_rng(11).standard_normal(400_000)
    drift = np.mean(np.log10(get("tanh").dphi(x)))
    assert np.mean(stats.log10_g) == pytest.approx(50 * drift, rel=0.02)


@pytest.mark.parametrize(("name", "sigma_w"), [("identity", 1.0), ("relu", math.sqrt(2))])
def test_network_gradient_norm_is_preserved_at_criticality(name: str, sigma_w: float) -> None:
    # E||J t||^2 = prod_l sigma_w^2 E[phi'(h)^2] = 1 for linear nets at sigma_w = 1 and for
    # ReLU nets at He's sigma_w = sqrt(2) (He et al. 2015), sigma_b = 0.
    out = network_products(name, (5,), 400, 64, sigma_w, seed=2)
    mean_square = np.mean(10 ** (2 * out.jacobian.log10_g[:, 0]))
    assert mean_square == pytest.approx(1.0, rel=0.1)


def test_network_path_product_of_identity_is_one_and_sigma_per_net() -> None:
    out = network_products("identity", (1, 3), 6, 8, np.array([0.5, 1, 2, 0.5, 1, 2.0]))
    assert np.all(out.path.log10_g == 0)
    assert out.path.log10_g.shape == (6 * 8, 2)
    # sigma_w = 0.5 shrinks a linear net's gradient by 0.5 per layer (in expectation).
    assert np.median(out.jacobian.log10_g[[0, 3], 1]) < np.median(out.jacobian.log10_g[[2, 5], 1])


def test_bad_input() -> None:
    with pytest.raises(DepthscopeError, match="depths"):
        iid_products("tanh", (0,), 10)
    with pytest.raises(DepthscopeError, match="thresholds"):
        iid_products("tanh", (1,), 10, vanish=2.0)
    with pytest.raises(DepthscopeError, match="sigma_w > 0"):
        network_products("tanh", (1,), 2, 4, -1.0)
