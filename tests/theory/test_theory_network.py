"""The network algebra: plain MLPs reproduce layerwise, residual nets match sampled nets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from depthscope.activations import get, names
from depthscope.errors import DepthscopeError
from depthscope.theory import layerwise
from depthscope.theory.blocks import block_scales
from depthscope.theory.gauss import expect2
from depthscope.theory.maps import moments
from depthscope.theory.network import (
    Dense,
    LayerNorm,
    Phi,
    Residual,
    State,
    mlp,
    mlp_block,
    propagate,
    repeat,
    res_mlp,
    residual_block,
    serial,
)


def _straight_recursion(act: str, sigma_w: float, sigma_b: float, depth: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The plain MLP's q^l and chi^l written out (Poole et al. 2016, eq. 3): the reference."""
    a = get(act)
    q, chi, prev = [], [], 1.0
    for _ in range(depth):
        q.append(sigma_w**2 * prev + sigma_b**2)
        k, kd, _ = moments(a, np.array([q[-1]]))
        chi.append(sigma_w**2 * kd[0])
        prev = k[0]
    return np.array(q), np.array(chi)


@pytest.mark.parametrize("act", names())
@pytest.mark.parametrize(("sigma_w", "sigma_b2"), [(0.8, 0.0), (1.6, 0.05)])
def test_plain_mlp_through_the_algebra_is_the_recursion(act: str, sigma_w: float,
                                                        sigma_b2: float) -> None:
    """Every registered activation, both phases, sigma_b² in {0, 0.05}: q per layer and the
    per-layer gain chi = sigma_w² E[phi'²] of the algebra's MLP and of layerwise (its thin
    caller) equal the written-out recursion to 1e-12 (relative)."""
    sigma_b = math.sqrt(sigma_b2)
    depth = 8
    q, chi = _straight_recursion(act, sigma_w, sigma_b, depth)
    lw = layerwise(act, sigma_w, sigma_b, depth, q0=1.0)
    prop = propagate(mlp(act, sigma_w, sigma_b, depth), q0=1.0)
    for got_q, got_chi in ((prop.q, prop.gain[1:]), (lw.q, lw.chi[:-1])):
        np.testing.assert_allclose(got_q, q, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(got_chi, chi[:-1], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(lw.chi, chi, rtol=1e-12, atol=1e-300)


def _scalar_scales(act: str, sigma_w: float, sigma_b: float) -> dict[str, float] | None:
    """The plain block's q*, chi_1, c*, chi_c solved point by point, independently of the
    solver: q* by brentq between the first sign change of ``sigma_w² K(q) + sigma_b² - q`` on
    a log grid of exact moments, c* by brentq on ``(sigma_w² K2(q*, c) + sigma_b²)/q* - c``
    (12-node panels) over [0, 1 - 1e-6]; None where no fixed point is found."""
    from scipy.optimize import brentq

    a = get(act)
    w2, b2 = sigma_w**2, sigma_b**2

    def h(q: float) -> float:
        return w2 * float(moments(a, np.array([q]))[0][0]) + b2 - q

    grid = np.geomspace(1e-6, 1e8, 141)
    k = moments(a, grid)[0]
    down = np.flatnonzero(w2 * k + b2 - grid <= 0)
    if down.size == 0 or down[0] == 0:
        return None
    q = brentq(h, grid[down[0] - 1], grid[down[0]], xtol=1e-300, rtol=1e-15)
    _, kd, g = moments(a, np.array([q]))
    out = {"q_star": q, "chi1": w2 * kd[0], "xi_q": -1.0 / math.log(w2 * g[0])}
    if out["chi1"] <= 1.0:
        return out

    def gap(c: float) -> float:
        k2 = float(expect2(a, a.phi, a.phi, np.array([q]), np.array([c]), n=12)[0])
        return (w2 * k2 + b2) / q - c

    c = 0.0 if gap(0.0) == 0.0 else brentq(gap, 0.0, 1.0 - 1e-6, xtol=1e-15)
    kd2 = float(expect2(a, a.dphi, a.dphi, np.array([q]), np.array([c]), n=12)[0])
    return out | {"c_star": c, "chi_c": w2 * kd2}


@pytest.mark.parametrize("act", names())
def test_block_scales_of_the_plain_block_are_a_scalar_solve(act: str) -> None:
    """The repeated-block solver on the plain MLP's block (behind depth_scales, fixed_point,
    chi1, phase, the phase diagram and the edge of chaos) agrees with a point-by-point
    brentq solve of the written-out maps to 1e-9 in q*, chi_1, xi_q, c*, chi_c, in both
    phases, for every registered activation; where one finds no fixed point so does the
    other."""
    sigma_b = 0.05**0.5
    for sigma_w in (0.8, 1.6, 3.0):
        got = block_scales(mlp_block(act, sigma_w, sigma_b))
        want = _scalar_scales(act, sigma_w, sigma_b)
        assert bool(got.exists) == (want is not None), f"{act} sigma_w={sigma_w}"
        if want is None:
            continue
        assert str(got.phase) == ("chaotic" if want["chi1"] > 1 else "ordered")
        for name, value in want.items():
            np.testing.assert_allclose(getattr(got, name), value, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{act} sigma_w={sigma_w} {name}")


@pytest.mark.parametrize("sigma_w", [1.2, 2.0])
def test_dks_weighted_residual_block_keeps_the_branch_fixed_points(sigma_w: float) -> None:
    """With DKS's weights (shortcut w, alpha sqrt(1 - w²)) a residual block around the plain
    block has the branch's q* and c* (its maps are w² x + (1 − w²) B(x)), and its chi_1 and
    chi_c are w² + (1 − w²) times the branch's: the generic solver on a block that is not
    the plain one, in both phases."""
    w = 0.6
    plain = block_scales(mlp_block("tanh", sigma_w, 0.3))
    res = block_scales(Residual(mlp_block("tanh", sigma_w, 0.3), alpha=math.sqrt(1 - w * w),
                                shortcut=w))
    for name in ("q_star", "c_star"):
        np.testing.assert_allclose(getattr(res, name), getattr(plain, name), rtol=1e-10)
    for name in ("chi1", "chi_c"):
        np.testing.assert_allclose(getattr(res, name),
                                   w * w + (1 - w * w) * getattr(plain, name), rtol=1e-10)
    assert str(res.phase) == str(plain.phase)


def _c_map(net, c0: float) -> float:
    return float(propagate(net, q0=1.3, c0=c0).c[-1])


@pytest.mark.parametrize("c0", [0.3, 0.8])
def test_chain_rule_slope_and_curvature_are_finite_differences(c0: float) -> None:
    """serial(Dense, Phi, Dense, Phi, Residual(LN, Phi, Dense)): the carried C-map slope and
    curvature equal 5-point finite differences of the composed map in float64 (1e-7)."""
    net = serial(Dense(1.3, 0.2), Phi("tanh"), Dense(1.1, 0.1), Phi("erf"), Dense(1.2, 0.3),
                 Residual(serial(LayerNorm(), Phi("softsign"), Dense(1.5, 0.2)), alpha=0.7,
                          shortcut=0.9))
    prop = propagate(net, q0=1.3, c0=c0)
    h = 1e-3
    f = [_c_map(net, c0 + j * h) for j in (-2, -1, 0, 1, 2)]
    slope = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    curvature = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)
    assert prop.c_slope[-1] == pytest.approx(slope, rel=1e-7)
    assert prop.c_curvature[-1] == pytest.approx(curvature, rel=1e-7)


def test_residual_slope_is_dks_weighted_form() -> None:
    """With the branch keeping q (tanh, then a Dense of sigma_w = 1/sqrt(E[tanh(z)^2])) and
    DKS's weights (shortcut w, alpha sqrt(1 - w²)), the block's C'(1) is w² + (1 − w²)
    C'_branch(1) and its C''(1) is (1 − w²) C''_branch(1); kinked activations have no
    curvature (nan)."""
    k1 = float(moments(get("tanh"), np.array([1.0]))[0][0])
    branch = serial(Phi("tanh"), Dense(k1**-0.5))
    w = 0.6
    block = Residual(branch, alpha=math.sqrt(1 - w * w), shortcut=w)
    start = State.start(1.0)
    b, r = branch.forward(start), block.forward(start)
    assert float(b.q) == pytest.approx(1.0, rel=1e-14)
    assert float(r.c_slope) == pytest.approx(w * w + (1 - w * w) * float(b.c_slope), rel=1e-13)
    assert float(r.c_curvature) == pytest.approx((1 - w * w) * float(b.c_curvature), rel=1e-13)
    # relu's C map at c = 1: slope q E[phi'^2]/E[phi^2] = 1 exactly, curvature undefined
    relu = Phi("relu").forward(start)
    assert float(relu.c_slope) == pytest.approx(1.0, rel=1e-13)
    assert math.isnan(float(relu.c_curvature))


def test_a_grid_is_the_same_as_its_points() -> None:
    """sigma_w, sigma_b as arrays: every output equals the point-by-point evaluation."""
    sw, sb = np.linspace(0.5, 2.5, 7), np.linspace(0.0, 0.4, 7)
    grid = propagate(res_mlp("tanh", sw, sb, 5, alpha=0.5, layernorm=True), q0=1.0, c0=0.6)
    for i in range(sw.size):
        one = propagate(res_mlp("tanh", sw[i], sb[i], 5, alpha=0.5, layernorm=True), q0=1.0,
                        c0=0.6)
        for name in ("q", "c", "gain", "cumulative", "c_slope", "c_curvature"):
            np.testing.assert_allclose(getattr(grid, name)[:, i], getattr(one, name),
                                       rtol=1e-12, atol=1e-300)


def test_a_residual_stack_has_no_fixed_point_without_normalisation() -> None:
    """h + alpha branch(h) only grows q (no fixed point: nan scales); with a pre-LayerNorm
    the variance still grows by alpha² q_branch per block, so neither has one."""
    for layernorm in (False, True):
        scales = block_scales(residual_block("tanh", 1.0, 0.3, alpha=0.5, layernorm=layernorm))
        assert not bool(scales.exists)
        assert math.isnan(float(scales.xi_c))


def _sampled(act: str, sigma_w: float, sigma_b: float, blocks: int, alpha: float, ln: bool,
             width: int = 512, nets: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Per net and block (nets, blocks): mean h² over units, and ||J t||² for a unit t at
    the input (carried forward through the same nets; E ||J t||² is the backward gain)."""
    a = get(act)
    gen = torch.Generator().manual_seed(0)
    kw = {"generator": gen, "dtype": torch.float64}

    def dense(v: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.einsum("mij,mj->mi", w, v)

    def weights() -> torch.Tensor:
        return torch.randn(nets, width, width, **kw) * sigma_w / math.sqrt(width)

    t = torch.randn(nets, width, **kw)
    t = t / t.norm(dim=1, keepdim=True)
    w = weights()
    h = dense(torch.randn(nets, width, **kw), w) + sigma_b * torch.randn(nets, width, **kw)
    t = dense(t, w)
    q, g = [], []
    for _ in range(blocks):
        u, tu = h, t
        if ln:  # LN(h) and its Jacobian applied to the tangent
            centred = u - u.mean(1, keepdim=True)
            sd = centred.pow(2).mean(1, keepdim=True).sqrt()
            u = centred / sd
            tc = tu - tu.mean(1, keepdim=True)
            tu = (tc - u * (u * tc).mean(1, keepdim=True)) / sd
        w = weights()
        h = h + alpha * (dense(a.phi(u), w) + sigma_b * torch.randn(nets, width, **kw))
        t = t + alpha * dense(a.dphi(u) * tu, w)
        q.append(h.pow(2).mean(1).numpy())
        g.append(t.pow(2).sum(1).numpy())
    return np.stack(q, axis=1), np.stack(g, axis=1)


def _agrees(samples: np.ndarray, predicted: np.ndarray) -> bool:
    """The mean over nets is within 4 standard errors (plus 5 % for the model's own
    finite-width error) of the prediction, at every block."""
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
    return bool(np.all(np.abs(mean - predicted) <= 4 * se + 0.05 * predicted))


@pytest.mark.parametrize(("act", "sigma_w", "sigma_b", "blocks", "alpha", "ln"), [
    ("tanh", 1.0, 0.3, 10, 1.0, False), ("tanh", 1.0, 0.3, 10, 10**-0.5, True),
    ("relu", 2**0.5, 0.0, 10, 1.0, False), ("relu", 2**0.5, 0.0, 10, 10**-0.5, True),
    ("tanh", 1.0, 0.3, 50, 50**-0.5, True),
])
def test_residual_mlp_matches_sampled_nets(act, sigma_w, sigma_b, blocks, alpha, ln) -> None:
    """Width 512, 8 nets: per-block q and cumulative gradient gain within the Monte Carlo
    tolerance of :func:`_agrees` (width 1024 and 8 nets, depths 10 and 50, alpha 1 and
    1/√L, with and without LayerNorm: |log q ratio| 0.02-0.09, ReLU at alpha 1, depth 50
    0.22; the gain within 0.005-0.07 decades; the closing note of 2026-12-05)."""
    q, g = _sampled(act, sigma_w, sigma_b, blocks, alpha, ln)
    prop = propagate(res_mlp(act, sigma_w, sigma_b, blocks, alpha, ln), q0=1.0)
    assert _agrees(q, prop.q[1:])
    assert _agrees(g, prop.cumulative[1:])


def test_residual_and_layernorm_maps_by_hand() -> None:
    s = State(2.0, 1.0)
    branch = serial(Phi("relu"), Dense(math.sqrt(2.0)))  # relu at He: q -> q, gain 1
    out = Residual(branch, alpha=0.5, shortcut=0.8).forward(s)
    assert out.q == pytest.approx(0.64 * 2.0 + 0.25 * 2.0, rel=1e-12)
    assert Residual(branch, alpha=0.6, shortcut=0.8).gain(s) == pytest.approx(1.0, rel=1e-12)
    normed = LayerNorm().forward(s)
    assert (normed.q, normed.c) == (1.0, 0.5)
    assert LayerNorm().gain(s) == 0.5
    # DKS's weighted form: w² + (1 - w²) · the branch's gain
    w = 0.6
    dks = Residual(serial(Phi("tanh"), Dense(1.2)), alpha=math.sqrt(1 - w * w), shortcut=w)
    branch_gain = serial(Phi("tanh"), Dense(1.2)).gain(State(1.0, 1.0))
    assert dks.gain(State(1.0, 1.0)) == pytest.approx(w * w + (1 - w * w) * branch_gain)


def test_bad_input_is_one_clear_error() -> None:
    from depthscope.theory import chi1, critical_transform
    from depthscope.theory.network import check_sigmas

    with pytest.raises(DepthscopeError, match="sigma_w > 0"):
        Dense(-1.0)
    # one check for every way in: the layer, the plain-MLP solvers on a grid; the first bad
    # value named
    for call, bad in [(lambda: Dense(np.array([1.0, math.inf])), "sigma_w = inf"),
                      (lambda: Dense(1.0, -0.5), "sigma_b = -0.5"),
                      (lambda: chi1("tanh", np.array([1.0, 0.0, -2.0])), "sigma_w = 0"),
                      (lambda: chi1("tanh", 1.0, sigma_b=np.array([0.1, np.nan])),
                       "sigma_b = nan"),
                      (lambda: critical_transform("tanh", sigma_w=-1.0), "sigma_w = -1")]:
        with pytest.raises(DepthscopeError, match=f"standard deviations, not variances\\); "
                                                  f"got {bad}$"):
            call()
    w, b = check_sigmas([1.0, 2.0], 0.0)
    assert w.tolist() == [1.0, 2.0]
    assert b.item() == 0.0
    with pytest.raises(DepthscopeError, match="alpha >= 0"):
        Residual(Dense(1.0), alpha=-1.0)
    with pytest.raises(DepthscopeError, match="at least one layer"):
        serial()
    with pytest.raises(DepthscopeError, match="count >= 1"):
        repeat(Dense(1.0), 0)
    with pytest.raises(DepthscopeError, match="q0 >= 0"):
        propagate(Dense(1.0), q0=-1.0)
    with pytest.raises(DepthscopeError):
        propagate(serial(Phi("no_such_activation")))


def test_the_spec_that_trains_gives_its_own_theory() -> None:
    """MLPSpec.theory(): the study's critical arm (Gaussian, standard read-out) reproduces
    layerwise block by block, He-ReLU has gain 1 per block, LSUV (data-dependent) has none."""
    from depthscope.nets import MLPSpec
    from depthscope.theory import critical_sigma_w

    sw = float(critical_sigma_w("tanh", 0.05**0.5))
    spec = MLPSpec(depth=6, width=32, in_features=64, out_features=10, activation="tanh",
                   init="gaussian", sigma_w=sw, sigma_b=0.05**0.5, readout="standard")
    prop = propagate(spec.theory(), q0=1.0)
    assert len(prop.gain) == 6 + 1  # input Dense, 5 hidden blocks, the read-out block
    lw = layerwise("tanh", sw, 0.05**0.5, 6, q0=1.0)
    np.testing.assert_allclose(prop.q[:6], lw.q, rtol=1e-12)
    np.testing.assert_allclose(prop.gain[1:6], lw.chi[:-1], rtol=1e-12)
    assert prop.q[-1] == pytest.approx(lw.act_sq[-1] / 3, rel=1e-9)  # standard read-out
    he = MLPSpec(depth=3, width=16, in_features=4, out_features=2, activation="relu",
                 init="he")
    assert propagate(he.theory()).gain[1:3] == pytest.approx([1.0, 1.0], rel=1e-12)
    with pytest.raises(DepthscopeError, match="depends on data"):
        MLPSpec(depth=2, width=8, in_features=4, out_features=2, init="lsuv").theory()


def test_a_residual_spec_gives_the_residual_theory_and_builds_its_net() -> None:
    """MLPSpec(residual=True, alpha, layernorm).theory() is res_mlp's net plus the read-out;
    nets.build makes depth - 1 ResidualBlocks that draw the plain net's weights; alpha or
    layernorm without residual is refused."""
    from depthscope.nets import MLPSpec, build
    from depthscope.nets.build import ResidualBlock

    spec = MLPSpec(depth=6, width=32, in_features=8, out_features=3, activation="tanh",
                   init="gaussian", sigma_w=1.2, sigma_b=0.2, residual=True, alpha=0.4,
                   layernorm=True)
    got = propagate(spec.theory(), q0=1.0)
    want = propagate(res_mlp("tanh", 1.2, 0.2, 5, alpha=0.4, layernorm=True), q0=1.0)
    np.testing.assert_allclose(got.q[:6], want.q, rtol=1e-14)
    np.testing.assert_allclose(got.cumulative[:6], want.cumulative, rtol=1e-14)
    net = build(spec, seed=3)
    blocks = [m for m in net if isinstance(m, ResidualBlock)]
    assert len(blocks) == 5
    assert blocks[0].alpha == 0.4
    plain = build(spec.model_copy(update=dict(residual=False, alpha=1.0, layernorm=False)),
                  seed=3)
    weights = [m.weight for m in net.modules() if isinstance(m, torch.nn.Linear)]
    plain_weights = [m.weight for m in plain.modules() if isinstance(m, torch.nn.Linear)]
    assert all(torch.equal(a, b) for a, b in zip(weights, plain_weights, strict=True))
    with pytest.raises(ValueError, match="set residual=True"):
        MLPSpec(depth=2, width=8, in_features=4, out_features=2, alpha=0.5)


def test_edge_of_chaos_of_other_blocks() -> None:
    """critical_scale on families that are not the plain block: a DKS-weighted residual block
    (chi_1 = w² + (1 − w²) chi_1,branch is 1 exactly where the branch's is: the plain edge)
    and a pre-LayerNorm block LN → tanh → Dense(s, sigma_b), whose q* = s² K(1) + sigma_b² and
    chi_1 = s² Kd(1)/q* give the closed form s = sigma_b / sqrt(Kd(1) − K(1))."""
    from depthscope.theory import critical_sigma_w
    from depthscope.theory.blocks import critical_scale

    sb = np.array([0.1, 0.3, 0.6])
    w = 0.6
    residual, ok = critical_scale(
        lambda s: Residual(mlp_block("tanh", s, sb), alpha=math.sqrt(1 - w * w), shortcut=w),
        sb.size, (1e-3, 1e3))
    assert np.all(ok)
    np.testing.assert_allclose(residual, critical_sigma_w("tanh", sb), rtol=1e-10)
    k, kd, _ = moments(get("tanh"), np.array([1.0]))
    normed, ok = critical_scale(lambda s: serial(LayerNorm(), Phi("tanh"), Dense(s, sb)),
                                sb.size, (1e-3, 1e3))
    assert np.all(ok)
    np.testing.assert_allclose(normed, sb / math.sqrt(kd[0] - k[0]), rtol=1e-10)
