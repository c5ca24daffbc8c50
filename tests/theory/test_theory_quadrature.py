"""Split Gauss–Legendre expectations against adaptive quadrature and closed forms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import quad

from depthscope.activations import get, names
from depthscope.theory.gauss import expect, expect2
from depthscope.theory.maps import kernels2, moments
from theory_tolerances import QUADRATURE


def quad_expect(act, f, q: float) -> float:
    """Slow reference: scipy.integrate.quad over z, split at every breakpoint."""
    cuts = sorted({p / math.sqrt(q) for p in act.breakpoints} | {0.0})
    edges = [-14.0, *[c for c in cuts if abs(c) < 14], 14.0]

    def integrand(z: float) -> float:
        density = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return float(f(np.array(math.sqrt(q) * z))) * density

    return sum(quad(integrand, a, b, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
               for a, b in itertools.pairwise(edges))


@pytest.mark.parametrize("name", names())
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_expectations_match_adaptive_quadrature_split_at_kinks(name, scale) -> None:
    act = get(name, scale=scale)
    rel, absolute = QUADRATURE
    for q in (1e-3, 0.7, 25.0):
        for f in (lambda u: act.phi(u) ** 2, lambda u: act.dphi(u) ** 2):
            ref = quad_expect(act, f, q)
            assert expect(act, f, np.array([q]))[0] == pytest.approx(ref, rel=rel, abs=absolute)


def test_relu_slope_moment_is_one_half_where_odd_gauss_hermite_fails() -> None:
    # E[relu'(z)^2] = P(z > 0) = 1/2 exactly; an odd Gauss–Hermite rule puts a node on the kink.
    relu = get("relu")
    assert moments(relu, np.array([1.0, 7.3]))[1] == pytest.approx([0.5, 0.5], abs=1e-13)
    z, w = np.polynomial.hermite_e.hermegauss(21)
    naive = np.sum(w * relu.dphi(z) ** 2) / np.sqrt(2 * np.pi)
    assert abs(naive - 0.5) > 0.01


def test_erf_kernels_match_williams_closed_form() -> None:
    # Williams 1997: E[erf(u1) erf(u2)] = 2/pi asin(2 S12 / sqrt((1 + 2 S11)(1 + 2 S22))).
    erf = get("erf")
    q = np.array([0.3, 2.0, 9.0, 40.0])
    c = np.array([0.1, 0.6, 0.95, 0.999])
    k2, kd2 = kernels2(erf, q, c, n=10)
    assert k2 == pytest.approx(2 / np.pi * np.arcsin(2 * q * c / (1 + 2 * q)), abs=1e-9)
    # E[erf'(u1) erf'(u2)] = (4/pi) / sqrt((1 + 2q)^2 - 4 q^2 c^2)
    assert kd2 == pytest.approx(4 / np.pi / np.sqrt((1 + 2 * q) ** 2 - 4 * q * q * c * c),
                                abs=1e-9)


def test_relu_kernels_match_arc_cosine_closed_form() -> None:
    # Cho & Saul 2009: E[relu relu] = q/(2 pi)(sin t + (pi - t) cos t),
    # E[relu' relu'] = (pi - t)/(2 pi), t = acos c
    relu = get("relu")
    q = np.array([0.5, 3.0, 11.0])
    c = np.array([-0.4, 0.7, 0.9999])
    t = np.arccos(c)
    k2, kd2 = kernels2(relu, q, c, n=10)
    assert k2 == pytest.approx(q / (2 * np.pi) * (np.sin(t) + (np.pi - t) * np.cos(t)),
                               rel=1e-9)
    assert kd2 == pytest.approx((np.pi - t) / (2 * np.pi), abs=1e-9)


def test_expect2_reduces_to_expect_at_c_one_and_factorises_at_c_zero() -> None:
    act = get("softsign", scale=2.0)
    q = np.array([0.8])
    both = expect2(act, act.phi, act.dphi, q, np.array([1.0]))
    assert both == pytest.approx(expect(act, lambda u: act.phi(u) * act.dphi(u), q), rel=1e-12)
    indep = expect2(act, act.dphi, act.dphi, q, np.array([0.0]), n=10)
    assert indep == pytest.approx(expect(act, act.dphi, q) ** 2, rel=1e-9)
