"""Mean-field maps against closed forms and published values (source next to each number)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from depthscope.errors import DepthscopeError
from depthscope.theory import (
    chi1,
    critical_sigma_w,
    depth_scales,
    edge_of_chaos,
    fixed_point,
    phase,
    phase_diagram,
)
from depthscope.theory.maps import as_activation, moments


def erf_q_map(q: float, sw: float, sb: float) -> float:
    """Williams 1997 closed form: E[erf(sqrt(q) z)^2] = 2/pi asin(2q/(1 + 2q))."""
    return sw**2 * 2 / math.pi * math.asin(2 * q / (1 + 2 * q)) + sb**2


def erf_chi(q: float, sw: float) -> float:
    """sigma_w^2 E[erf'(sqrt(q) z)^2] = sigma_w^2 (4/pi) / sqrt(1 + 4q)."""
    return sw**2 * 4 / math.pi / math.sqrt(1 + 4 * q)


@pytest.mark.parametrize(("sw", "sb"), [(0.5, 0.0), (1.3, 0.2), (1.0, 0.7), (1.41, 0.0)])
def test_relu_chi1_is_half_sigma_w_squared_exactly(sw, sb) -> None:
    # Poole et al. 2016 / He et al. 2015: chi_1 = sigma_w^2 E[1{h > 0}] = sigma_w^2 / 2.
    assert chi1("relu", sw, sb) == pytest.approx(sw**2 / 2, rel=1e-13)
    # and q* = sigma_b^2 / (1 - sigma_w^2/2) (the relu length map is linear)
    assert fixed_point("relu", sw, sb).q_star == pytest.approx(sb**2 / (1 - sw**2 / 2),
                                                               rel=1e-12, abs=1e-300)


def test_relu_edge_of_chaos_is_the_single_point_0_sqrt2() -> None:
    # Hayou et al. 2019: for ReLU the edge of chaos is the point (sigma_b, sigma_w) = (0, sqrt 2).
    assert critical_sigma_w("relu") == pytest.approx(math.sqrt(2), rel=1e-12)
    assert critical_sigma_w("relu", 0.0, orthogonal=True) == pytest.approx(math.sqrt(2))
    with pytest.raises(DepthscopeError, match="no edge of chaos"):
        critical_sigma_w("relu", 0.1)
    assert np.isnan(edge_of_chaos("relu", [0.0, 0.3]).sigma_w[1])


def test_tanh_published_critical_points() -> None:
    # Poole et al. 2016: with sigma_b = 0 the tanh net is critical at sigma_w = 1.
    assert critical_sigma_w("tanh", 0.0) == pytest.approx(1.0, abs=1e-8)
    # Schoenholz et al. 2017 (their experiments): sigma_b^2 = 0.05 -> critical sigma_w^2 ≈ 1.76.
    assert critical_sigma_w("tanh", math.sqrt(0.05)) ** 2 == pytest.approx(1.76, abs=0.005)
    # the returned point has chi_1 = 1 to rounding
    sw = critical_sigma_w("tanh", 0.3)
    assert chi1("tanh", sw, 0.3) == pytest.approx(1.0, abs=1e-12)
    assert phase("tanh", sw, 0.3) == "critical"


def test_erf_fixed_point_chi1_and_edge_match_closed_forms() -> None:
    sw, sb = 1.7, 0.4
    ref_q = brentq(lambda q: erf_q_map(q, sw, sb) - q, 1e-9, 100.0, xtol=1e-15)
    assert fixed_point("erf", sw, sb).q_star == pytest.approx(ref_q, rel=1e-10)
    assert chi1("erf", sw, sb) == pytest.approx(erf_chi(ref_q, sw), rel=1e-10)
    # edge of chaos from the closed forms, by a slow nested root search
    sb = 0.5

    def chi_minus_one(s: float) -> float:
        q = brentq(lambda q: erf_q_map(q, s, sb) - q, 1e-12, 1e3, xtol=1e-15)
        return erf_chi(q, s) - 1

    assert critical_sigma_w("erf", sb) == pytest.approx(brentq(chi_minus_one, 0.5, 5, xtol=1e-14),
                                                        rel=1e-9)


def test_erf_chaotic_c_star_and_xi_c_match_closed_forms() -> None:
    sw, sb = 2.5, 0.3
    ds = depth_scales("erf", sw, sb)
    q = ds.q_star
    c = brentq(lambda c: (sw**2 * 2 / math.pi * math.asin(2 * q * c / (1 + 2 * q)) + sb**2) / q
               - c, 0.0, 0.999, xtol=1e-15)
    chi_c = sw**2 * 4 / math.pi / math.sqrt((1 + 2 * q) ** 2 - 4 * q * q * c * c)
    assert ds.phase == "chaotic"
    assert ds.c_star == pytest.approx(c, abs=1e-9)
    assert ds.xi_c == pytest.approx(-1 / math.log(chi_c), rel=1e-8)
    assert ds.trainable_depth == pytest.approx(6 * ds.xi_c)
    # an odd activation without bias decorrelates completely: c* = 0 (Poole et al. 2016)
    assert depth_scales("tanh", 2.0, 0.0).c_star == pytest.approx(0.0, abs=1e-12)


def test_xi_q_is_minus_inverse_log_of_the_length_map_slope() -> None:
    sw, sb = 1.2, 0.5
    ds = depth_scales("softsign", sw, sb)
    h = 1e-5 * ds.q_star
    k = moments(depth_scales.__globals__["as_activation"]("softsign"),
                np.array([ds.q_star - h, ds.q_star + h]))[0]
    slope = sw**2 * (k[1] - k[0]) / (2 * h)  # central difference of the q-map
    assert ds.xi_q == pytest.approx(-1 / math.log(slope), rel=1e-6)


@functools.cache
def _critical(name: str, sb: float) -> float:
    return critical_sigma_w(name, sb)


@settings(max_examples=12, deadline=None)
@given(st.floats(0.05, 0.95), st.sampled_from([0.0, 0.3, 1.2]),
       st.sampled_from(["tanh", "hardtanh", "softsign", "erf", "sigmoid"]))
def test_ordered_phase_has_c_star_one(frac, sb, name) -> None:
    ds = depth_scales(name, frac * _critical(name, sb), sb)
    assert ds.phase == "ordered"
    assert ds.c_star == 1.0
    assert ds.chi_c == ds.chi1 < 1


@pytest.mark.parametrize("name", ["tanh", "hardtanh", "softsign", "logsig", "relu", "gelu"])
def test_chi1_is_monotone_in_sigma_w(name) -> None:
    # where a fixed point exists (beyond, chi_1 is the large-q limit: gelu dips there)
    sw = np.linspace(0.1, 4.0, 300)
    for sb in (0.0, 0.5):
        chi = chi1(name, sw, sb)[fixed_point(name, sw, sb).exists]
        assert chi.size > 50
        assert np.all(np.diff(chi) > 0)


def test_phase_diagram_is_exact_point_by_point() -> None:
    # 21 grid points, 14 of them chaotic (more than the 8 a batch solves exactly without a
    # table): every one equals its own scalar solve
    sw, sb = np.linspace(0.5, 3.5, 7), np.array([0.0, 0.3, 1.0])
    grid = phase_diagram("tanh", sw, sb)
    assert np.sum(grid.phase == "chaotic") == 14
    for i, b in enumerate(sb):
        for j, w in enumerate(sw):
            alone = depth_scales("tanh", w, b)
            assert grid.c_star[i, j] == pytest.approx(alone.c_star, abs=1e-8)
            assert grid.q_star[i, j] == pytest.approx(alone.q_star, rel=1e-8)
            assert grid.xi_c[i, j] == pytest.approx(alone.xi_c, rel=1e-6)


def test_phase_diagram_table_agrees_with_exact_solution() -> None:
    sw = np.linspace(0.5, 3.5, 7)
    sb = np.array([0.0, 0.3, 1.0])
    for name in ("tanh", "hardtanh"):
        fast = phase_diagram(name, sw, sb, exact=False)
        exact = depth_scales(name, *np.meshgrid(sw, sb))
        assert fast.chi1 == pytest.approx(exact.chi1, rel=1e-6)
        # the fast grid keeps the tabulated c* (up to ~1e-3; it compared with itself before
        # 2026-12-05, when depth_scales also used the table for batches over 8 points)
        assert fast.c_star == pytest.approx(exact.c_star, abs=2e-3)
        assert fast.xi_c == pytest.approx(exact.xi_c, rel=2e-2)  # measured: up to 1 %
        assert (fast.phase == exact.phase).all()


def test_no_fixed_point_and_bad_input_are_clear_errors() -> None:
    fp = fixed_point("relu", 2.0, 0.1)  # q^l = 2 q^{l-1} + 0.01 grows without bound
    assert not fp.exists
    assert math.isinf(fp.q_star)
    assert phase("relu", 2.0, 0.1) == "chaotic"
    with pytest.raises(DepthscopeError, match="no fixed point"):
        depth_scales("relu", 2.0, 0.1)
    arr = depth_scales("relu", [1.0, 2.0], 0.1)
    assert arr.exists.tolist() == [True, False]
    assert np.isnan(arr.xi_c[1])
    with pytest.raises(DepthscopeError, match="standard deviations"):
        chi1("tanh", -1.0, 0.0)
    with pytest.raises(DepthscopeError, match="unknown activation"):
        chi1("tnah", 1.0)


def test_softplus_at_he_init_has_no_fixed_point() -> None:
    """q^{l+1} = 2 K(q^l) = q^l + 0.019... for large q: q grows without bound (no q*), although
    the tabulated map fakes a crossing near q = 1.5e8 (relative error ~1e-7)."""
    fp = fixed_point("softplus", math.sqrt(2.0), 0.0)
    assert not fp.exists
    assert math.isinf(fp.q_star)
    with pytest.raises(DepthscopeError, match="no fixed point"):
        depth_scales("softplus", math.sqrt(2.0), 0.0)
    q = np.array([1e2, 1e4, 1.5e8])  # the exact map stays above the diagonal
    assert np.all(2.0 * moments(as_activation("softplus"), q)[0] - q > 0)
    # a genuine fixed point nearby in parameter space is still found
    assert fixed_point("softplus", 1.3, 0.0).exists


def test_c_star_is_exact_for_any_batch_size() -> None:
    """A batch of 100 chaotic points (the tabulated path, polished by exact Newton steps) and
    single points agree to 1e-9 with an independent scalar solve: brentq on
    sigma_w² E[tanh(u1) tanh(u2)] + sigma_b² = c q* (u Gaussian, variance q*, correlation c).
    Before 2026-12-05 a batch of more than 8 points kept the table's ~1e-4 error (tanh,
    sigma_w = 2, sigma_b = 0.3: 0.263895 alone, 0.264207 in a batch of 9)."""
    from scipy.optimize import brentq

    from depthscope.activations import get
    from depthscope.theory.gauss import expect2

    act = get("tanh")
    sw = np.linspace(1.5, 4.0, 100)
    sb = np.full(100, 0.3)
    batch = depth_scales("tanh", sw, sb)
    for i in (0, 37, 99):
        q = float(batch.q_star[i])

        def gap(c: float, w: float = sw[i], q: float = q) -> float:
            k = float(expect2(act, act.phi, act.phi, np.array([q]), np.array([c]), n=12)[0])
            return (w * w * k + 0.09) / q - c

        scalar = brentq(gap, 0.0, 0.999, xtol=1e-14)
        assert batch.c_star[i] == pytest.approx(scalar, abs=1e-9)
        assert depth_scales("tanh", sw[i], 0.3).c_star == pytest.approx(scalar, abs=1e-9)


@pytest.mark.parametrize("act", ["tanh", "erf", "lecun_tanh"])
def test_odd_activation_without_bias_has_c_star_zero_in_a_batch(act: str) -> None:
    """Odd phi at sigma_b = 0 in the chaotic phase: C(0) = sigma_w² E[phi]²/q* = 0, so c* = 0
    and chi_c = sigma_w² E[phi'(u)]² (u ~ N(0, q*)), in a batch of more than 8 points (the
    tabulated path) as alone. Before 2026-12-05 the batch's table root landed next to the
    trivial root c = 1 just above the edge of chaos (erf, sigma_w = 0.9: c* 0.9999999,
    chi_c 1, xi_c inf; alone: 0)."""
    from depthscope.activations import get
    from depthscope.theory.gauss import expect

    a = get(act)
    edge = critical_sigma_w(act, 0.0)
    sw = edge * np.linspace(1.01, 2.0, 12)
    batch = depth_scales(act, sw, 0.0)
    assert np.all(batch.phase == "chaotic")
    np.testing.assert_allclose(batch.c_star, 0.0, rtol=0, atol=1e-12)
    for i in (0, 5, 11):
        mean_slope = float(expect(a, a.dphi, np.array([batch.q_star[i]]))[0])
        assert batch.chi_c[i] == pytest.approx(sw[i] ** 2 * mean_slope**2, rel=1e-9)
        assert depth_scales(act, sw[i], 0.0).c_star == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(["tanh", "erf", "softsign", "logsig", "sigmoid", "gelu", "elu"]),
       st.lists(st.floats(1.2, 4.0), min_size=14, max_size=14),
       st.sampled_from([0.0, 0.05**0.5, 0.6]))
@example("softsign", [2.0] * 5 + [3.0] * 8 + [2.2819096050617116], 0.6)  # xi_c = 2249
def test_a_batch_gives_each_points_own_numbers(name, sigma_w, sigma_b) -> None:
    """A batch of 14 points (its chaotic ones, when more than 8, go through the tabulated
    kernels before the exact polish) equals each point solved alone (exact Newton from c = 0)
    to 1e-9 in q*, c*, chi_1 and chi_c, with the same phase and existence; xi_c = -1/ln chi_c
    to 1e-9 xi_c (it multiplies chi_c's relative error by xi_c: next to the edge, softsign at
    sigma_b = 0.6, xi_c = 2249 agreed to 2.7e-9 while chi_c agreed to 1.2e-12)."""
    sw = np.array(sigma_w)
    batch = depth_scales(name, sw, sigma_b)
    for i in range(sw.size):
        if not batch.exists[i]:
            assert not fixed_point(name, sw[i], sigma_b).exists
            continue
        one = depth_scales(name, sw[i], sigma_b)
        assert one.phase == batch.phase[i]
        for field in ("q_star", "c_star", "chi1", "chi_c", "xi_c"):
            rel = 1e-9 * max(1.0, one.xi_c) if field == "xi_c" else 1e-9
            assert getattr(one, field) == pytest.approx(getattr(batch, field)[i], rel=rel,
                                                        abs=1e-12), field
