"""Jacobian spectrum moments (Pennington, Schoenholz & Ganguli 2017) and a sampled check."""

from __future__ import annotations

import math

import pytest

from depthscope.theory import (
    chi1,
    critical_sigma_w,
    empirical_jacobian_spectrum,
    fixed_point,
    jacobian_spectrum,
)


def test_relu_at_criticality_gaussian_2L_orthogonal_L() -> None:
    # Pennington 2017: var = L (mu2/mu1^2 - 1 - s1); relu' in {0, 1}: mu1 = mu2 = 1/2.
    for weights, per_layer in (("gaussian", 2.0), ("orthogonal", 1.0)):
        sp = jacobian_spectrum("relu", math.sqrt(2), 0.0, 12, weights)
        assert sp.mean == pytest.approx(1.0, rel=1e-12)
        assert sp.variance == pytest.approx(12 * per_layer, rel=1e-10)


def test_mean_is_chi1_to_the_depth() -> None:
    sp = jacobian_spectrum("tanh", 1.3, 0.2, 7)
    assert sp.mean == pytest.approx(chi1("tanh", 1.3, 0.2) ** 7, rel=1e-10)
    assert sp.q == pytest.approx([fixed_point("tanh", 1.3, 0.2).q_star] * 7)


def test_orthogonal_tanh_near_isometry_at_small_q() -> None:
    # Pennington 2017: orthogonal tanh at criticality with small q* -> dynamical isometry.
    # The variance per layer is mu2/mu1^2 - 1 (-> 0 as q* -> 0) vs 1 more for Gaussian weights.
    sw = critical_sigma_w("tanh", 0.01)
    orth = jacobian_spectrum("tanh", sw, 0.01, 100, "orthogonal").variance
    gauss = jacobian_spectrum("tanh", sw, 0.01, 100, "gaussian").variance
    assert orth / 100 < 0.02
    assert gauss - orth == pytest.approx(100.0, rel=1e-9)


@pytest.mark.parametrize("weights", ["gaussian", "orthogonal"])
def test_sampled_spectrum_agrees(weights) -> None:
    sw, sb, depth = critical_sigma_w("tanh", 0.5), 0.5, 3
    theory = jacobian_spectrum("tanh", sw, sb, depth, weights)
    emp = empirical_jacobian_spectrum("tanh", sw, sb, depth, weights, width=300, samples=6)
    # finite width: tr(JJ^T)/N fluctuates by ~8 % per network at this size (one input each)
    assert emp.mean == pytest.approx(theory.mean, rel=0.1)
    assert emp.variance == pytest.approx(theory.variance, rel=0.3)
