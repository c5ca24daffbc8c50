"""Pennington et al. 2017 at init: the isometry rule, the pooled variance, theory vs samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthscope.study.claims.pennington import cases, decide, pooled_variance
from depthscope.study.stats import Interval
from depthscope.theory import empirical_jacobian_spectrum, jacobian_spectrum

PREDICTED = {c.label: c.isometric for c in cases()}


def _intervals(**changes: tuple[float, float, float]) -> dict[str, Interval]:
    base = {"tanh, orthogonal": (0.1, 0.08, 0.11), "tanh, Gaussian": (110.0, 70.0, 166.0),
            "ReLU, orthogonal": (166.0, 21.0, 334.0), "ReLU, Gaussian": (197.0, 9.0, 563.0)}
    base.update(changes)
    return {label: Interval(*v) for label, v in base.items()}


def test_only_orthogonal_tanh_isometric_holds() -> None:
    verdict, why = decide(_intervals(), PREDICTED, 128)
    assert verdict == "holds"
    assert "0.1 [95 % CI 0.08–0.11]" in why


@pytest.mark.parametrize(("label", "values", "verdict"), [
    ("tanh, orthogonal", (0.9, 0.5, 1.3), "inconclusive"),  # straddles 1
    ("ReLU, Gaussian", (2.0, 0.7, 5.0), "inconclusive"),
    ("tanh, orthogonal", (3.0, 2.0, 4.0), "does not hold"),  # wholly above 1
    ("tanh, Gaussian", (0.5, 0.2, 0.9), "does not hold"),  # wholly below 1
    ("ReLU, orthogonal", (1.0, 0.5, 1.0), "does not hold"),  # the threshold counts as below
])
def test_rule_is_symmetric_about_the_threshold(label, values, verdict) -> None:
    got, why = decide(_intervals(**{label: values}), PREDICTED, 128)
    assert got == verdict
    assert label in why


def test_wrong_side_beats_straddling() -> None:
    verdict, _ = decide(_intervals(**{"tanh, orthogonal": (0.9, 0.5, 1.3),
                                      "tanh, Gaussian": (0.5, 0.2, 0.9)}), PREDICTED, 128)
    assert verdict == "does not hold"


def test_pooled_variance_resamples_networks_not_eigenvalues() -> None:
    same = np.tile(np.array([0.0, 2.0]), (5, 1))  # every network identical: no spread
    iv = pooled_variance(same)
    assert (iv.estimate, iv.low, iv.high) == (1.0, 1.0, 1.0)
    eig = np.array([[1.0, 1.0], [3.0, 3.0], [1.0, 3.0]])
    assert pooled_variance(eig).estimate == pytest.approx(np.var(eig.ravel()))


def test_sampled_relu_spectrum_matches_theory_at_width_256() -> None:
    # ReLU at sigma_w^2 = 2, sigma_b = 0: var = L (orthogonal), 2L (Gaussian), any q0.
    # Monte Carlo tolerance: 30 % (4 nets of width 256 at L = 8; finite-width bias O(L/N)).
    for weights, per_layer in (("orthogonal", 1.0), ("gaussian", 2.0)):
        emp = empirical_jacobian_spectrum("relu", math.sqrt(2), 0.0, 8, weights, width=256,
                                          samples=4, seed=3, q0=1.0)
        assert emp.eigenvalues.shape == (4, 256)
        assert emp.mean == pytest.approx(1.0, rel=0.15)
        assert emp.variance == pytest.approx(8 * per_layer, rel=0.3)
        theory = jacobian_spectrum("relu", math.sqrt(2), 0.0, 8, weights, q0=1.0)
        assert theory.variance == pytest.approx(8 * per_layer, rel=1e-10)


def test_sampled_orthogonal_tanh_is_isometric_as_theory_says() -> None:
    case = cases()[0]
    assert case.label == "tanh, orthogonal"
    theory = jacobian_spectrum("tanh", case.sigma_w, case.sigma_b, 8, "orthogonal")
    emp = empirical_jacobian_spectrum("tanh", case.sigma_w, case.sigma_b, 8, "orthogonal",
                                      width=256, samples=4, seed=8)
    # independent reference: 8 (mu2/mu1^2 - 1), mu_k = E[tanh'(h)^{2k}] = E[sech^{4k}(h)],
    # h ~ N(0, q*), by 80-node Gauss-Hermite (probabilists') quadrature
    nodes, w = np.polynomial.hermite_e.hermegauss(80)
    h = math.sqrt(theory.q[0]) * nodes
    mu1, mu2 = (float(np.sum(w * np.cosh(h) ** (-4 * k)) / np.sum(w)) for k in (1, 2))
    assert theory.variance == pytest.approx(8 * (mu2 / mu1**2 - 1), rel=1e-6)
    assert theory.variance == pytest.approx(0.005013, rel=1e-3)
    assert emp.variance == pytest.approx(theory.variance, rel=0.3)
    assert emp.mean == pytest.approx(1.0, rel=0.05)


def test_finite_width_note_names_the_depths_where_sampling_exceeds_theory() -> None:
    from depthscope.study.claims.pennington import finite_width_note

    # (case, L, mean th., mean sampled, var theory, var sampled, low, high)
    rows = [("o", 2, 1, 1, 0.00125, 0.00141, 0.00133, 0.00151),
            ("o", 8, 1, 1, 0.005, 0.0052, 0.0049, 0.0056),
            ("o", 128, 1, 1, 0.0802, 0.101, 0.082, 0.111)]
    note = finite_width_note(rows, "o", 256, 128, 0.0802)
    assert "excluding it at L = 2, 128 (width 256)" in note
    assert "near L ≈ 1596" in note  # 128 / 0.0802
