"""The finite-width log-normal model of ||J t|| against hand-derived values and sampled nets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from depthscope.errors import DepthscopeError
from depthscope.simulate.products import network_products
from depthscope.theory import gradient_distribution


def test_relu_at_he_init_is_hanin_and_nica() -> None:
    """ReLU at sigma_w = √2: E[phi'^2] = 1/2, so the drift is the chi^2 term alone, and
    kappa = E[phi'^4]/E[phi'^2]^2 - 1 = (1/2)/(1/4) - 1 = 1: variance L (3/n + psi'(n/2)),
    ≈ 5 L / n (Hanin & Nica 2019)."""
    n, depth = 64, 40
    dist = gradient_distribution("relu", math.sqrt(2.0), 0.0, depth, n)
    scale = 2 * math.log(10)
    per_var = 3 / n + special.polygamma(1, n / 2)
    per_mean = -1.5 / n + special.digamma(n / 2) - math.log(n / 2)
    assert dist.sd[-1] == pytest.approx(math.sqrt(depth * per_var) / scale, rel=1e-9)
    assert dist.mean[-1] == pytest.approx(depth * per_mean / scale, rel=1e-9)
    assert dist.sd[-1] ** 2 * scale**2 == pytest.approx(5 * depth / n, rel=0.05)


def test_tanh_ordered_phase_drift_is_log_chi() -> None:
    """tanh at sigma_w = 0.5, sigma_b = 0: q -> 0, E[phi'^2] -> 1, so each layer's drift
    tends to log(sigma_w^2) and vanishing becomes certain with depth."""
    dist = gradient_distribution("tanh", 0.5, 0.0, 200, 10_000, q0=1e-8)
    step = (dist.mean[-1] - dist.mean[-2]) * 2 * math.log(10)
    assert step == pytest.approx(math.log(0.25), abs=1e-3)
    assert dist.p_vanish(3)[-1] == pytest.approx(1.0)
    assert dist.p_explode(3)[-1] == pytest.approx(0.0)


@pytest.mark.parametrize(("act", "sigma_w", "sigma_b"),
                         [("tanh", 1.0, 0.0), ("tanh", 0.8, 0.0), ("relu", math.sqrt(2), 0.0)])
def test_model_matches_sampled_nets_at_moderate_depth(act, sigma_w, sigma_b) -> None:
    """Width 64, depth 20 (depth/width < 1): mean within 0.05 decades and spread within
    15 % of 512 sampled nets."""
    logs = network_products(act, (20,), 512, 64, sigma_w, sigma_b, seed=7).jacobian.log10_g
    dist = gradient_distribution(act, sigma_w, sigma_b, 20, 64)
    assert float(np.mean(logs)) == pytest.approx(dist.mean[-1], abs=0.05)
    assert float(np.std(logs)) == pytest.approx(dist.sd[-1], rel=0.15)


def test_bad_input_is_an_error() -> None:
    with pytest.raises(DepthscopeError, match="integers"):
        gradient_distribution("tanh", 1.0, 0.0, 0, 16)
    with pytest.raises(DepthscopeError, match="sigma_w > 0"):
        gradient_distribution("tanh", -1.0, 0.0, 5, 16)
