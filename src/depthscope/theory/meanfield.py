"""Mean-field signal propagation: fixed point q*, chi_1, c*, depth scales and phases.

Poole et al. 2016 and Schoenholz et al. 2017, for ``h^l = W^l phi(h^{l-1}) + b^l`` with
``W_ij ~ N(0, sigma_w^2/N)``, ``b_i ~ N(0, sigma_b^2)`` (standard deviations):

* q* solves ``q = sigma_w^2 K(q) + sigma_b^2`` (the first stable root, found by a scan of the
  tabulated map and refined by Newton steps with exact quadrature); none exists when the
  map grows faster than ``q`` (e.g. relu with ``sigma_w^2 > 2``);
* ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]``; ordered if ``< 1``, chaotic if ``> 1``;
* ``xi_q^-1 = -ln(sigma_w^2 G(q*))`` with ``G = dK/dq`` (Schoenholz eq. 6),
  ``xi_c^-1 = -ln(chi_c)``, ``chi_c = sigma_w^2 E[phi'(u1) phi'(u2)]`` at ``(q*, c*)``
  (eq. 9; ``c* = 1`` and ``chi_c = chi_1`` in the ordered phase), ``xi_grad^-1 = -ln chi_1``
  (signed: negative in the chaotic phase, where gradients grow), trainable depth ``6 xi_c``.

Every function takes scalars or arrays of ``sigma_w``/``sigma_b`` (broadcast together).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.interpolate import BarycentricInterpolator

from depthscope.activations import Activation
from depthscope.errors import DepthscopeError
from depthscope.theory.maps import LN_Q, ActLike, as_activation, kernels2, moments, table

Phase = Literal["ordered", "critical", "chaotic"]
CRITICAL_TOL = 1e-8  # |chi_1 - 1| below this is "critical"
TRAINABLE_FACTOR = 6.0  # Schoenholz et al. 2017: trainable iff depth <~ 6 xi_c
Q_MAX = float(np.exp(LN_Q[-1]))
EXACT_C_POINTS = 8  # up to this many chaotic points: exact Newton for c*, else a kernel table
MARGINAL_SLOPE = 1e-9  # a root whose map slope is this close to 1 must be confirmed exactly


def variances(sigma_w: object, sigma_b: object) -> tuple[np.ndarray, np.ndarray, tuple]:
    """``(sigma_w^2, sigma_b^2, shape)``: the broadcast grid flattened, checked (finite,
    ``sigma_w > 0``, ``sigma_b >= 0``: standard deviations), for the vectorised solvers."""
    sw, sb = np.broadcast_arrays(np.asarray(sigma_w, float), np.asarray(sigma_b, float))
    if not (np.all(np.isfinite(sw)) and np.all(np.isfinite(sb))):
        raise DepthscopeError("sigma_w and sigma_b must be finite numbers")
    if np.any(sw <= 0) or np.any(sb < 0):
        raise DepthscopeError(
            "sigma_w must be > 0 and sigma_b >= 0 (they are standard deviations, not variances)"
        )
    return (sw * sw).ravel(), (sb * sb).ravel(), sw.shape


def _out(x: np.ndarray, shape: tuple) -> float | np.ndarray:
    x = np.asarray(x).reshape(shape)
    return x.item() if x.ndim == 0 else x


@dataclass(frozen=True)
class FixedPoint:
    """``q*`` of the length map, whether it exists, and the map's slope there.

    ``slope = dq^{l+1}/dq^l`` at ``q*`` (``< 1``: attracting). ``q_star`` is ``inf`` where
    no fixed point exists (the variance grows without bound with depth).
    """

    q_star: float | np.ndarray
    exists: bool | np.ndarray
    slope: float | np.ndarray


#: solve_q's scan: every SCAN_STRIDE-th node of the length-map table's ln q grid brackets the
#: first root, in chunks of SCAN_CHUNK points (a (chunk, nodes) array stays small)
SCAN_STRIDE = 8
SCAN_CHUNK = 2048
#: ``h(q) <= ROOT_TOLERANCE q`` counts as ``h(q) <= 0``: the table's own relative accuracy
ROOT_TOLERANCE = 1e-12
#: halvings of the bracket in ln q: from the scan's width (8 table steps) to below 1e-12
BISECTIONS = 45
#: a q* below this is 0 (float64 underflow of q; the fixed point is the origin)
Q_ZERO = 1e-38
#: exact Newton steps are taken only when shorter than this share of q (else the bisection's
#: q stays: Newton would jump across a kink of K, e.g. relu's slope-1 line)
NEWTON_TRUST = 0.1


def solve_q(act: Activation, sw2: np.ndarray, sb2: np.ndarray, polish: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """First stable root of ``h(q) = sw2 K(q) + sb2 - q`` (q* = 0 when h(0) = 0, stable):
    a scan of the tabulated ``K`` for the first sign change, bisection in ``ln q`` on the
    table, then ``polish`` Newton steps ``q -= h(q) / (sw2 K'(q) - 1)`` with exact
    quadrature."""
    tab = table(act)
    coarse = LN_Q[::SCAN_STRIDE]  # (G,)
    kc = tab.k(coarse)
    q_hi = np.full(sw2.shape, np.nan)
    lo = np.full(sw2.shape, -np.inf)
    for start in range(0, sw2.size, SCAN_CHUNK):
        part = slice(start, start + SCAN_CHUNK)
        h = sw2[part, None] * kc + sb2[part, None] - np.exp(coarse)  # (p, G)
        down = h <= ROOT_TOLERANCE * np.exp(coarse)
        first = np.argmax(down, axis=1)
        found = down[np.arange(first.size), first]
        q_hi[part] = np.where(found, coarse[first], np.nan)
        lo[part] = np.where(found & (first > 0), coarse[np.maximum(first - 1, 0)], -np.inf)
    exists = np.isfinite(q_hi)
    a = np.where(np.isfinite(lo), lo, LN_Q[0] - 10.0)
    b = np.where(exists, q_hi, LN_Q[-1])
    for _ in range(BISECTIONS):  # bisection in ln q on the spline (cheap, vectorised)
        mid = 0.5 * (a + b)
        qm = np.exp(mid)
        pos = sw2 * tab(qm)[0] + sb2 - qm > ROOT_TOLERANCE * qm
        a, b = np.where(pos, mid, a), np.where(pos, b, mid)
    q = np.where(exists, np.exp(0.5 * (a + b)), np.inf)
    q = np.where(q < Q_ZERO, 0.0, q)
    refine = exists & (q > 0)
    for _ in range(polish):  # Newton with exact quadrature
        if not np.any(refine):
            break
        k, _, g = moments(act, q[refine])
        with np.errstate(divide="ignore", invalid="ignore"):  # slope 1: relu at sqrt 2
            step = (sw2[refine] * k + sb2[refine] - q[refine]) / (sw2[refine] * g - 1.0)
        q[refine] = np.where(np.isfinite(step) & (np.abs(step) < NEWTON_TRUST * q[refine]),
                             q[refine] - step, q[refine])
    spurious = _spurious(act, q, sw2, sb2, refine)
    return np.where(spurious, np.inf, q), exists & ~spurious


def _spurious(act: Activation, q: np.ndarray, sw2: np.ndarray, sb2: np.ndarray,
              candidates: np.ndarray) -> np.ndarray:
    """Roots found on the spline that exact quadrature does not confirm.

    Where the map's slope ``sw2 G(q)`` at a root is within :data:`MARGINAL_SLOPE` of 1 the
    map runs parallel to the diagonal (softplus at sigma_w = sqrt 2: ``q^{l+1} = q^l + 0.019``
    for large q, so q grows linearly without bound) and the spline's ~1e-7 relative error can
    fake a crossing. Such a root is kept only if the exact map really goes below the diagonal
    beyond it: ``sw2 K(2q) + sb2 < 2q``.
    """
    out = np.zeros(q.shape, bool)
    if not np.any(candidates):
        return out
    idx = np.flatnonzero(candidates)
    _, _, g = moments(act, q[idx])
    marginal = sw2[idx] * g > 1.0 - MARGINAL_SLOPE
    if np.any(marginal):
        at = idx[marginal]
        k2, _, _ = moments(act, 2.0 * q[at])
        out[at] = sw2[at] * k2 + sb2[at] - 2.0 * q[at] >= 0.0
    return out


def moments_at(act: Activation, q: np.ndarray, exact: bool) -> tuple[np.ndarray, ...]:
    """``(K, Kd, G)`` at ``q`` (``inf`` -> the table's top, the large-q limit)."""
    qq = np.where(np.isfinite(q), q, Q_MAX)
    return moments(act, qq) if exact else table(act)(qq)


def fixed_point(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> FixedPoint:
    """The length map's fixed point ``q*`` (Poole et al. 2016, eq. 4), by root finding.

    Example: ``fixed_point("tanh", 1.5, 0.3).q_star``. Where none exists ``exists`` is
    False and ``q_star`` is ``inf``.
    """
    a = as_activation(act)
    sw2, sb2, shape = variances(sigma_w, sigma_b)
    q, exists = solve_q(a, sw2, sb2, polish=3)
    _, _, g = moments_at(a, q, exact=True)
    slope = np.where(exists, sw2 * g, np.nan)
    return FixedPoint(_out(q, shape), _out(exists, shape), _out(slope, shape))


def chi1(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> float | np.ndarray:
    """``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]`` (Poole 2016; Schoenholz 2017, eq. 7).

    Without a fixed point, the large-``q`` limit (the rate at which gradients grow).
    ReLU: ``sigma_w^2 / 2`` exactly, for every ``sigma_b``.
    """
    a = as_activation(act)
    sw2, sb2, shape = variances(sigma_w, sigma_b)
    q, _ = solve_q(a, sw2, sb2, polish=3)
    return _out(sw2 * moments_at(a, q, exact=True)[1], shape)


def phase_of(chi: np.ndarray) -> np.ndarray:
    """``"ordered"`` where ``chi < 1``, ``"chaotic"`` where ``> 1``, else ``"critical"``
    (within :data:`CRITICAL_TOL`)."""
    return np.where(chi < 1 - CRITICAL_TOL, "ordered",
                    np.where(chi > 1 + CRITICAL_TOL, "chaotic", "critical"))


def phase(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> str | np.ndarray:
    """``"ordered"`` (chi_1 < 1), ``"chaotic"`` (> 1) or ``"critical"`` (within 1e-8).

    Without a fixed point (unbounded phi, large sigma_w) the large-``q`` chi_1 decides.
    """
    chi = np.asarray(chi1(act, sigma_w, sigma_b))
    labels = phase_of(chi)
    return str(labels) if labels.ndim == 0 else labels


#: _c_star_exact: Newton steps at most, the step below which a point has converged, points
#: per quadrature call (the 2-D rule's arrays grow as points x nodes^2: small chunks stay in
#: cache instead of allocating hundreds of MB) and Gauss-Legendre nodes per panel
NEWTON_STEPS = 60
NEWTON_TOLERANCE = 1e-14
EXACT_CHUNK = 8
EXACT_PANELS = 10


def _c_star_exact(act: Activation, q: np.ndarray, sw2: np.ndarray, sb2: np.ndarray,
                  start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Newton on the convex ``C(c) - c`` from ``start`` (default ``c = 0``: monotone,
    quadratic convergence; from a tabulated estimate, a few steps), each point until its
    step is below :data:`NEWTON_TOLERANCE`, :data:`EXACT_CHUNK` points at a time."""
    c = np.zeros_like(q) if start is None else np.asarray(start, float).copy()
    chi_c = np.empty_like(q)
    for lo in range(0, q.size, EXACT_CHUNK):
        part = slice(lo, lo + EXACT_CHUNK)
        c[part], chi_c[part] = _newton_c(act, q[part], sw2[part], sb2[part], c[part])
    return c, chi_c


def _newton_c(act: Activation, q: np.ndarray, sw2: np.ndarray, sb2: np.ndarray,
              c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_c_star_exact` on one chunk: ``(c*, sigma_w^2 Kd2(q*, c*))``."""
    for _ in range(NEWTON_STEPS):
        k2, kd2 = kernels2(act, q, c, n=EXACT_PANELS)
        h = (sw2 * k2 + sb2) / q - c
        slope = sw2 * kd2 - 1.0
        step = np.where(slope < 0, -h / np.where(slope < 0, slope, -1.0), 0.0)
        c = np.clip(c + step, 0.0, 1.0)
        if np.all(np.abs(step) < NEWTON_TOLERANCE):
            break
    return c, sw2 * kernels2(act, q, c, n=EXACT_PANELS)[1]


def _lobatto(n: int, lo: float, hi: float) -> np.ndarray:
    return lo + 0.5 * (hi - lo) * (1.0 - np.cos(np.pi * np.arange(n) / (n - 1)))


#: _c_star_table's interpolant: Chebyshev-Lobatto nodes in ln q (over the points' range, or
#: 1 wide around a single q; q floored at C_TABLE_Q_FLOOR) and in theta = acos c over
#: [0, pi/2], with 2-D quadrature of C_TABLE_PANELS Gauss-Legendre nodes per panel at each
#: node; the root is bracketed on C_TABLE_SCAN points in theta and refined by C_TABLE_FALSI
#: Illinois steps.
#: Measured error of c* up to ~1e-3 (see the docstring): the table's budget, not the solver's.
C_TABLE_LN_Q_NODES = 24
C_TABLE_THETA_NODES = 17
C_TABLE_Q_FLOOR = 1e-6
C_TABLE_SINGLE_Q = 1e-9  # a range of ln q narrower than this is a single q
C_TABLE_PANELS = 5
C_TABLE_SCAN = 401
C_TABLE_FALSI = 5


def _c_star_table(act: Activation, q: np.ndarray, sw2: np.ndarray, sb2: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """c* for many points: kernels tabulated on Chebyshev nodes in (ln q, theta = acos c).

    With ``sigma_b^2 = q - sigma_w^2 K(q)`` the map is ``C(c) - c = (1 - c)(1 - sigma_w^2 Dt)``,
    ``Dt = (K(q) - K2(q, c)) / (q (1 - c))`` (``= Kd(q)`` at ``c = 1``; a power series in ``c``
    with non-negative coefficients, so increasing), which removes the trivial root ``c = 1``:
    ``c*`` solves ``sigma_w^2 Dt(q*, c) = 1``. ``Dt`` and ``Kd2`` are smooth in ``ln q`` and
    ``theta``; the root is refined on the interpolant (measured error up to ~1e-3 in ``c*``,
    e.g. tanh at sigma_w = 1, sigma_b = 0.3: 9e-4; :func:`analyse` polishes it with exact
    Newton steps unless asked for speed).
    """
    lq = np.log(np.clip(q, C_TABLE_Q_FLOOR, None))
    lo, hi = float(lq.min()), float(lq.max())
    if hi - lo < C_TABLE_SINGLE_Q:  # one q: a span of 1 around it
        lo, hi = lo - 0.5, hi + 0.5
    ln_nodes = _lobatto(C_TABLE_LN_Q_NODES, lo, hi)  # (A,)
    th_nodes = _lobatto(C_TABLE_THETA_NODES, 0.0, np.pi / 2)  # (T,)
    qn = np.exp(ln_nodes)[:, None]  # (A, 1)
    cn = np.cos(th_nodes)[None, :]  # (1, T)
    k2, kd2 = kernels2(act, qn, cn, n=C_TABLE_PANELS)  # (A, T)
    k, kd, _ = moments(act, qn[:, 0])  # (A,)
    with np.errstate(divide="ignore", invalid="ignore"):
        dt = np.where(cn < 1.0, (k[:, None] - k2) / (qn * (1.0 - cn)), kd[:, None])  # (A, T)
    dt_pt = BarycentricInterpolator(ln_nodes, dt)(lq)  # (P, T)
    kd_pt = BarycentricInterpolator(ln_nodes, kd2)(lq)  # (P, T)
    fine = np.linspace(0.0, np.pi / 2, C_TABLE_SCAN)  # (F,)
    interp = BarycentricInterpolator(th_nodes, np.eye(th_nodes.size))
    g = 1.0 - sw2[:, None] * (dt_pt @ interp(fine).T)  # (P, F); g(0) = 1 - chi_1 < 0
    up = g >= 0
    idx = np.where(np.any(up, axis=1), np.argmax(up, axis=1), fine.size - 1)
    rows = np.arange(q.size)
    t0, t1 = fine[np.maximum(idx - 1, 0)], fine[idx]
    g0, g1 = g[rows, np.maximum(idx - 1, 0)], g[rows, idx]
    theta = t1
    for _ in range(C_TABLE_FALSI):  # regula falsi (Illinois) on the interpolant
        theta = np.where(g1 > g0, t1 - g1 * (t1 - t0) / np.where(g1 > g0, g1 - g0, 1.0), t1)
        gm = 1.0 - sw2 * np.sum(dt_pt * interp(theta), axis=1)  # (P,)
        left = gm < 0
        t0, g0, g1 = (np.where(left, theta, t0), np.where(left, gm, 0.5 * g0),
                      np.where(left, 0.5 * g1, gm))
        t1 = np.where(left, t1, theta)
    bt = interp(theta)  # (P, T)
    return np.cos(theta), sw2 * np.sum(kd_pt * bt, axis=1)


@dataclass(frozen=True)
class DepthScales:
    """Schoenholz et al. 2017's depth scales at one or many ``(sigma_w, sigma_b)``.

    ``nan`` where no fixed point exists; ``inf`` at criticality (``xi_c``, ``xi_grad``).
    """

    q_star: float | np.ndarray
    c_star: float | np.ndarray
    chi1: float | np.ndarray
    chi_c: float | np.ndarray
    xi_q: float | np.ndarray
    xi_c: float | np.ndarray
    xi_grad: float | np.ndarray
    trainable_depth: float | np.ndarray
    phase: str | np.ndarray
    exists: bool | np.ndarray


def depth_scale(x: np.ndarray) -> np.ndarray:
    """``xi = -1/ln x`` for a per-layer ratio ``x`` (``inf`` within :data:`CRITICAL_TOL` of 1;
    Schoenholz et al. 2017, eqs. 6 and 9)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -1.0 / np.log(x)
    return np.where(np.abs(x - 1.0) <= CRITICAL_TOL, np.inf, out)


def analyse(act: Activation, sw2: np.ndarray, sb2: np.ndarray, exact: bool) -> dict:
    """The vectorised core behind :func:`depth_scales` and :func:`phase_diagram` (flat arrays).

    ``exact=False`` skips the quadrature polish (q* to ~1e-7, c* to ~1e-3; for big grids).
    """
    q, exists = solve_q(act, sw2, sb2, polish=3 if exact else 0)
    _, kd, g = moments_at(act, q, exact)
    chi = sw2 * kd
    labels = phase_of(chi)
    c = np.ones_like(q)
    chi_c = chi.copy()
    chaos = exists & (labels == "chaotic")
    if np.any(chaos):
        args = (act, q[chaos], sw2[chaos], sb2[chaos])
        if np.sum(chaos) <= EXACT_C_POINTS:
            c[chaos], chi_c[chaos] = _c_star_exact(*args)
        else:  # tabulated (~1e-3), then, when exact, polished by exact Newton steps
            c[chaos], chi_c[chaos] = _c_star_table(*args)
            if exact:
                c[chaos], chi_c[chaos] = _c_star_exact(*args, start=c[chaos])
        chi_c[chaos] = np.minimum(chi_c[chaos], 1.0)  # c* is stable: chi_c <= 1 up to rounding
    nan = np.where(exists, 1.0, np.nan)
    xi_c = depth_scale(chi_c) * nan
    return {
        "q_star": q, "c_star": c * nan, "chi1": chi, "chi_c": chi_c * nan,
        "xi_q": depth_scale(sw2 * g) * nan, "xi_c": xi_c,
        "xi_grad": depth_scale(chi), "trainable_depth": TRAINABLE_FACTOR * xi_c,
        "phase": labels, "exists": exists,
    }


def depth_scales(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> DepthScales:
    """Mean-field depth scales of a plain deep net at ``(sigma_w, sigma_b)``.

    Formula: ``q*`` fixed point of the length map, ``c*`` of the correlation map, ``chi_1 =
    sigma_w^2 E[phi'^2]`` at ``q*``, ``chi_c`` the correlation map's slope at ``c*``;
    ``xi_q = -1/ln(dq/dq at q*)``, ``xi_c = -1/ln chi_c``, ``xi_grad = -1/ln chi_1``, and the
    trainable depth ``6 xi_c``.

    Args:
        act: an activation name or :class:`~depthscope.activations.Activation`.
        sigma_w: weight standard deviation (numbers or arrays; broadcast with ``sigma_b``).
        sigma_b: bias standard deviation.

    Returns:
        A :class:`DepthScales` (floats for scalar inputs, arrays otherwise; ``nan`` where no
        fixed point exists, ``inf`` at criticality). A scalar input without a fixed point
        raises :class:`DepthscopeError`.

    Example:
        >>> d = depth_scales("tanh", 1.3, 0.3)
        >>> d.phase, round(d.chi1, 4), round(d.xi_c, 2), round(d.trainable_depth, 1)
        ('ordered', 0.9398, 16.11, 96.6)

    References:
        Poole et al. 2016; Schoenholz et al. 2017 (eqs. 6, 9 and the 6 xi_c bound).
    """
    a = as_activation(act)
    sw2, sb2, shape = variances(sigma_w, sigma_b)
    res = analyse(a, sw2, sb2, exact=True)
    if shape == () and not res["exists"][0]:
        raise DepthscopeError(
            f"{a.label} at sigma_w={np.sqrt(sw2[0]):g}, sigma_b={np.sqrt(sb2[0]):g}: the length "
            "map has no fixed point (variance grows without bound); lower sigma_w"
        )
    return DepthScales(**{k: _out(v, shape) for k, v in res.items()})
