"""A block of the network algebra repeated without end: its fixed points, depth scales and
phase — the one solver behind every mean-field number the project prints.

For a block ``B`` (:mod:`depthscope.theory.network`: the plain MLP's ``W phi(h) + b``, a
residual block, anything composed) with length map ``q -> B_q(q)``, correlation map ``c ->
B_c(c)`` at fixed ``q``, backward gain ``G_B(q)`` (Poole et al. 2016; Schoenholz et al. 2017;
for the plain block ``B_q(q) = sigma_w^2 K(q) + sigma_b^2`` and ``G_B = sigma_w^2 Kd(q)``):

* ``q*``: the first stable root of ``h(q) = B_q(q) - q`` (``q* = 0`` when ``h(0) = 0``);
  none when the map stays above the diagonal (e.g. relu at ``sigma_w^2 > 2``, a residual
  stack ``h + alpha branch(h)``), then ``q* = inf``;
* ``chi_1 = G_B(q*)`` (without a fixed point, at the large-``q`` limit ``Q_MAX``: the rate
  gradients grow at); the phase is ordered if ``chi_1 < 1``, chaotic if ``> 1``. At a fixed
  point the gain equals the C map's slope at ``c = 1`` (every layer's gain is its C-map slope
  times ``q_out/q_in``, which telescopes to 1 around the fixed point);
* ``c*``: in the chaotic phase, the root in ``[0, 1)`` of ``B_c(c) = c`` at ``q*`` (``c* = 1``
  otherwise); ``chi_c = B_c'(c*)``;
* ``xi_q = -1/ln B_q'(q*)``, ``xi_c = -1/ln chi_c``, ``xi_grad = -1/ln chi_1`` (Schoenholz et
  al. 2017, eqs. 6, 9), and the trainable depth ``6 xi_c``;
* the edge of chaos of a one-parameter family of blocks ``s -> B_s`` (:func:`critical_scale`:
  the plain block's ``sigma_w``): the ``s`` with ``chi_1 = 1`` at a finite fixed point.

**Method** (vectorised over a grid of parameters). ``q*``: a scan of every
:data:`SCAN_STRIDE`-th node of the tabulated map's ``ln q`` grid for the first sign change of
``h``, bisection in ``ln q`` on the tables, then ``polish`` Newton steps with exact quadrature
(inside a trust region, so a step never jumps across a kink of the map), and a root whose map
runs parallel to the diagonal confirmed exactly (:func:`_spurious`). ``c*``: Newton from ``c =
0``, monotone because ``B_c`` is convex and increasing on ``[0, 1]`` (each layer's C map is a
power series in ``c`` with non-negative coefficients, and compositions and the residual sum
keep that), on the tabulated kernels for many points, then on exact 2-D quadrature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.theory.maps import LN_Q
from depthscope.theory.network import Layer, State

Phase = Literal["ordered", "critical", "chaotic"]
CRITICAL_TOL = 1e-8  # |chi_1 - 1| below this is "critical"
TRAINABLE_FACTOR = 6.0  # Schoenholz et al. 2017: trainable iff depth <~ 6 xi_c
Q_MAX = float(np.exp(LN_Q[-1]))

#: the length map's scan: every SCAN_STRIDE-th node of the table's ln q grid, as many nodes
#: at a time as keep a (nodes, points) array within SCAN_ELEMENTS
SCAN_STRIDE = 8
SCAN_ELEMENTS = 1 << 16
#: ``h(q) <= ROOT_TOLERANCE q`` counts as ``h(q) <= 0``: the table's own relative accuracy
ROOT_TOLERANCE = 1e-12
#: halvings of the bracket in ln q: from the scan's width (8 table steps) to below 1e-12
BISECTIONS = 45
#: a q* below this is 0 (float64 underflow of q; the fixed point is the origin)
Q_ZERO = 1e-38
#: exact Newton steps are taken only when shorter than this share of q (else the bisection's
#: q stays: Newton would jump across a kink of the map, e.g. relu's slope-1 line)
NEWTON_TRUST = 0.1
#: a root whose map slope is this close to 1 must be confirmed exactly
MARGINAL_SLOPE = 1e-9
#: Newton for c*: steps at most, the step below which a point has converged (on exact
#: quadrature; on the tabulated kernels, whose error is ~1e-3, TABLE_TOLERANCE), points per
#: exact quadrature call (the 2-D rule's arrays grow as points x nodes^2: small chunks stay
#: in cache), and up to how many chaotic points go straight to exact quadrature
NEWTON_STEPS = 60
NEWTON_TOLERANCE = 1e-14
TABLE_TOLERANCE = 1e-10
EXACT_CHUNK = 8
EXACT_C_POINTS = 8


def phase_of(chi: np.ndarray) -> np.ndarray:
    """``"ordered"`` where ``chi < 1``, ``"chaotic"`` where ``> 1``, else ``"critical"``
    (within :data:`CRITICAL_TOL`)."""
    return np.where(chi < 1 - CRITICAL_TOL, "ordered",
                    np.where(chi > 1 + CRITICAL_TOL, "chaotic", "critical"))


def depth_scale(x: np.ndarray) -> np.ndarray:
    """``xi = -1/ln x`` for a per-layer ratio ``x`` (``inf`` within :data:`CRITICAL_TOL` of 1;
    Schoenholz et al. 2017, eqs. 6 and 9)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -1.0 / np.log(x)
    return np.where(np.abs(x - 1.0) <= CRITICAL_TOL, np.inf, out)


def _flat(block: Layer) -> tuple[Layer, tuple[int, ...]]:
    """``block`` with its parameters flattened to one axis, and the grid's shape."""
    if not isinstance(block, Layer):
        raise DepthscopeError(f"expected a block built from depthscope.theory.network's "
                              f"layers, got {block!r}")
    one = np.ones(())
    shape = np.shape(block.local(State(one, one, tabulated=True, curvature=False)).q)
    return block.select(shape, np.arange(int(np.prod(shape)))), shape


def _at(block: Layer, q: np.ndarray, c: np.ndarray | float = 1.0, exact: bool = True) -> State:
    """The block's local map and slopes at inputs ``q``, ``c`` (no curvature)."""
    k = q if isinstance(c, float) and c == 1.0 else q * c
    return block.local(State(q, k, tabulated=not exact, curvature=False))


def _scan(block: Layer, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per point, the bracket ``[lo, hi]`` in ``ln q`` of ``h``'s first sign change on the
    coarse grid (``hi`` nan: none; ``lo`` -inf: at the grid's first node)."""
    coarse = LN_Q[::SCAN_STRIDE]
    first = np.full(size, -1)
    chunk = max(1, SCAN_ELEMENTS // size)
    for start in range(0, coarse.size, chunk):
        nodes = np.exp(coarse[start:start + chunk])[:, None]  # (g, 1)
        down = _at(block, nodes, exact=False).q - nodes <= ROOT_TOLERANCE * nodes  # (g, P)
        hit = (first < 0) & np.any(down, axis=0)
        first[hit] = start + np.argmax(down[:, hit], axis=0)
        if np.all(first >= 0):
            break
    found = first >= 0
    hi = np.where(found, coarse[np.maximum(first, 0)], np.nan)
    lo = np.where(found & (first > 0), coarse[np.maximum(first - 1, 0)], -np.inf)
    return lo, hi


def _spurious(block: Layer, q: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Roots found on the tables that exact quadrature does not confirm.

    Where the map's slope at a root is within :data:`MARGINAL_SLOPE` of 1 the map runs
    parallel to the diagonal (softplus at sigma_w = sqrt 2: ``q^{l+1} = q^l + 0.019`` for large
    q, so q grows linearly without bound) and the spline's ~1e-7 relative error can fake a
    crossing. Such a root is kept only if the exact map really goes below the diagonal beyond
    it: ``B_q(2q) < 2q``.
    """
    out = np.zeros(q.shape, bool)
    idx = np.flatnonzero(candidates)
    if idx.size == 0:
        return out
    marginal = _at(block.select(q.shape, idx), q[idx]).q_slope > 1.0 - MARGINAL_SLOPE
    if np.any(marginal):
        at = idx[marginal]
        out[at] = _at(block.select(q.shape, at), 2.0 * q[at]).q - 2.0 * q[at] >= 0.0
    return out


def _solve_q(block: Layer, size: int, polish: int) -> tuple[np.ndarray, np.ndarray]:
    """``(q*, exists)`` of a flattened block (module docstring: scan, bisection, Newton)."""
    lo, hi = _scan(block, size)
    exists = np.isfinite(hi)
    a = np.where(np.isfinite(lo), lo, LN_Q[0] - 10.0)
    b = np.where(exists, hi, LN_Q[-1])
    for _ in range(BISECTIONS):  # bisection in ln q on the tables (cheap, vectorised)
        mid = 0.5 * (a + b)
        qm = np.exp(mid)
        pos = _at(block, qm, exact=False).q - qm > ROOT_TOLERANCE * qm
        a, b = np.where(pos, mid, a), np.where(pos, b, mid)
    q = np.where(exists, np.exp(0.5 * (a + b)), np.inf)
    q = np.where(q < Q_ZERO, 0.0, q)
    refine = exists & (q > 0)
    if polish and np.any(refine):
        idx = np.flatnonzero(refine)
        sub, qr = block.select((size,), idx), q[idx]
        for _ in range(polish):  # Newton with exact quadrature
            out = _at(sub, qr)
            with np.errstate(divide="ignore", invalid="ignore"):  # slope 1: relu at sqrt 2
                step = (out.q - qr) / (out.q_slope - 1.0)
            qr = np.where(np.isfinite(step) & (np.abs(step) < NEWTON_TRUST * qr), qr - step, qr)
        q[idx] = qr
    spurious = _spurious(block, q, refine)
    return np.where(spurious, np.inf, q), exists & ~spurious


@dataclass(frozen=True)
class LengthFixedPoint:
    """The length map's fixed point ``q*`` (``inf`` where none exists), whether it exists,
    and the block's slope ``dq_out/dq`` and backward gain ``chi_1`` there (at ``Q_MAX``,
    the large-``q`` limit, where none exists). Arrays of the block's grid shape."""

    q_star: np.ndarray
    exists: np.ndarray
    slope: np.ndarray
    chi1: np.ndarray


def _length(flat: Layer, size: int, exact: bool) -> LengthFixedPoint:
    q, exists = _solve_q(flat, size, polish=3 if exact else 0)
    at = _at(flat, np.where(np.isfinite(q), q, Q_MAX), exact=exact)
    shape = (size,)
    return LengthFixedPoint(q, exists, np.broadcast_to(at.q_slope, shape),
                            np.broadcast_to(at.gain, shape))


def length_fixed_point(block: Layer, exact: bool = True) -> LengthFixedPoint:
    """``q*`` of ``block`` repeated without end, with its slope and gain there.

    ``exact=False`` skips the quadrature polish (``q*`` to ~1e-7 on the tables; for big
    grids and brackets).

    Example (relu: ``q* = sigma_b^2 / (1 - sigma_w^2/2)``, ``chi_1 = sigma_w^2/2``):
        >>> from depthscope.theory.network import mlp_block
        >>> fp = length_fixed_point(mlp_block("relu", 1.2, 0.1))
        >>> round(float(fp.q_star), 6), round(float(fp.chi1), 4)
        (0.035714, 0.72)
    """
    flat, shape = _flat(block)
    res = _length(flat, int(np.prod(shape)), exact)
    return LengthFixedPoint(*(np.reshape(x, shape) for x in (res.q_star, res.exists,
                                                               res.slope, res.chi1)))


def _newton_c(block: Layer, q: np.ndarray, c: np.ndarray, exact: bool
              ) -> tuple[np.ndarray, np.ndarray]:
    """Newton on ``h(c) = B_c(c) - c`` from ``c``, kept inside the bracket ``[lo, hi)`` with
    ``h(lo) >= 0 > h(hi)`` (at first ``[0, 1)``: ``h(0) >= 0`` and ``c = 1`` is the trivial
    root), halving it where a step would leave it — from ``c = 0`` on the convex exact map
    every step is Newton's (monotone, quadratic); the halvings catch a tabulated map's
    inexact slope and a start right of ``h``'s minimum. Each point runs until its step is
    below :data:`NEWTON_TOLERANCE` (:data:`TABLE_TOLERANCE` on the tables): ``(c*,
    B_c'(c*))``."""
    tolerance = NEWTON_TOLERANCE if exact else TABLE_TOLERANCE
    lo, hi = np.zeros_like(c), np.ones_like(c)
    for _ in range(NEWTON_STEPS):
        out = _at(block, q, c, exact)
        h, slope = out.c - c, out.c_slope - 1.0
        lo, hi = np.where(h >= 0, c, lo), np.where(h < 0, c, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = c - h / slope
        inside = (slope < 0) & (newton >= lo) & (newton < hi)
        new = np.where(h == 0, c, np.where(inside, newton, 0.5 * (lo + hi)))
        step, c = new - c, new
        if np.all(np.abs(step) < tolerance):
            break
    return c, _at(block, q, c, exact).c_slope


def _c_star(block: Layer, q: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(c*, chi_c)`` of a flattened block whose every point is chaotic at ``q = q*``: on the
    tabulated kernels (many points), then on exact quadrature :data:`EXACT_CHUNK` points at
    a time (up to :data:`EXACT_C_POINTS` points, or when ``exact``)."""
    c = np.zeros_like(q)
    chi_c = np.empty_like(q)
    if q.size > EXACT_C_POINTS:
        c, chi_c = _newton_c(block, q, c, exact=False)
        if not exact:
            return c, chi_c
    for lo in range(0, q.size, EXACT_CHUNK):
        idx = np.arange(lo, min(lo + EXACT_CHUNK, q.size))
        c[idx], chi_c[idx] = _newton_c(block.select(q.shape, idx), q[idx], c[idx], exact=True)
    return c, chi_c


@dataclass(frozen=True)
class DepthScales:
    """A repeated block's depth scales at one or many parameter points (Schoenholz et al.
    2017 for the plain block; module docstring): ``q*``, ``c*`` (1 where ``c = 1`` is
    stable), ``chi_1``, ``chi_c``, ``xi_q``, ``xi_c``, ``xi_grad``, the trainable depth ``6
    xi_c``, the phase and whether a fixed point exists.

    ``nan`` where no fixed point exists (but ``chi1``, ``xi_grad`` and ``phase``, which are
    then the large-``q`` limit's); ``inf`` at criticality (``xi_c``, ``xi_grad``).
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


def block_scales(block: Layer, exact: bool = True) -> DepthScales:
    """Fixed points, depth scales and phase of ``block`` repeated without end (arrays of the
    block's grid shape; 0-d for one point).

    ``exact=False`` skips both quadrature polishes, for maps: ``q*`` to ~1e-7 and ``c*`` to
    ~3e-3 (the tabulated kernels' error).

    Example (the plain block, as :func:`depthscope.theory.depth_scales`; around it a
    DKS-weighted residual block, whose ``chi_1`` is ``w^2 + (1 - w^2)`` times the branch's):
        >>> from depthscope.theory.network import Residual, mlp_block
        >>> plain = block_scales(mlp_block("tanh", 1.3, 0.3))
        >>> str(plain.phase), round(float(plain.chi1), 4), round(float(plain.xi_c), 2)
        ('ordered', 0.9398, 16.11)
        >>> res = block_scales(Residual(mlp_block("tanh", 1.3, 0.3), alpha=0.8, shortcut=0.6))
        >>> round(float(res.chi1), 4), round(float(res.q_star / plain.q_star), 9)
        (0.9615, 1.0)
    """
    flat, shape = _flat(block)
    size = int(np.prod(shape))
    length = _length(flat, size, exact)
    q, exists, chi = length.q_star, length.exists, length.chi1
    labels = phase_of(chi)
    c, chi_c = np.ones(size), chi.copy()
    chaos = np.flatnonzero(exists & (labels == "chaotic"))
    if chaos.size:
        c[chaos], chi_c[chaos] = _c_star(flat.select((size,), chaos), q[chaos], exact)
        chi_c[chaos] = np.minimum(chi_c[chaos], 1.0)  # c* is stable: chi_c <= 1 up to rounding
    nan = np.where(exists, 1.0, np.nan)
    xi_c = depth_scale(chi_c) * nan
    fields = (q, c * nan, chi, chi_c * nan, depth_scale(length.slope) * nan, xi_c,
              depth_scale(chi), TRAINABLE_FACTOR * xi_c, labels, exists)
    return DepthScales(*(np.reshape(x, shape) for x in fields))


#: critical_scale: bisection steps in ln s on the tables (to ~1e-13), then exact secant steps
CRITICAL_BISECTIONS = 45
CRITICAL_SECANTS = 4
CRITICAL_TOL_EXACT = 1e-9  # |chi_1 - 1| at an accepted edge
#: a q* this many times the map's value at q = 0 (plus 1), on a map of slope within
#: CRITICAL_MARGINAL of 1, escapes to infinity (relu, sigma_b > 0: q* = sigma_b^2/0)
CRITICAL_ESCAPE = 1e3
CRITICAL_MARGINAL = 1e-6


def critical_scale(family: Callable[[np.ndarray], Layer], size: int,
                   bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The edge of chaos of ``size`` one-parameter families of blocks: for each point, the
    ``s`` in ``bounds`` with ``chi_1(B_s) = 1`` at a finite fixed point, and whether one
    exists (``nan`` where none).

    ``family(s)`` builds the blocks for an array ``s`` of ``size`` values, one per point (the
    plain block: ``lambda s: mlp_block(act, s, sigma_b)``; Poole et al. 2016, Schoenholz et al.
    2017). Method: bisection in ``ln s`` on the tabulated maps (``chi_1 - 1`` must change sign
    from below to above between the bounds), then secant steps with exact quadrature; the
    upper end of the last bracket is kept where ``chi_1 - 1`` is flat on one side (tanh at
    ``sigma_b = 0``); a huge ``q*`` on a map of slope ~1 is no fixed point.

    Example (Schoenholz et al. 2017's edge for tanh at ``sigma_b^2 = 0.05``):
        >>> import numpy as np
        >>> from depthscope.theory.network import mlp_block
        >>> sigma_b = np.full(1, 0.05**0.5)
        >>> s, ok = critical_scale(lambda s: mlp_block("tanh", s, sigma_b), 1, (1e-3, 1e3))
        >>> round(float(s[0]) ** 2, 5), bool(ok[0])
        (1.76095, True)
    """

    lo, hi = bounds
    if not (0 < lo < hi < np.inf):
        raise DepthscopeError(f"critical_scale needs bounds 0 < lo < hi, got {bounds!r}")

    def length(s: np.ndarray, exact: bool) -> tuple[LengthFixedPoint, Layer]:
        """The blocks' length fixed point at ``s``, and the (flattened) blocks."""
        bad = ~np.isfinite(s) | (s == 0)  # a secant iterate's sign does not matter
        flat, shape = _flat(family(np.where(bad, 1.0, np.abs(s))))
        if shape != (size,):
            raise DepthscopeError(f"critical_scale: family(s) must give {size} blocks (one per "
                                  f"value of s), got a grid of shape {shape}")
        res = _length(flat, size, exact)
        return LengthFixedPoint(np.where(bad, np.nan, res.q_star), res.exists & ~bad,
                                np.where(bad, np.nan, res.slope),
                                np.where(bad, np.nan, res.chi1)), flat

    def gap(s: np.ndarray, exact: bool) -> np.ndarray:
        return length(s, exact)[0].chi1 - 1.0

    a, b = np.full(size, np.log(lo)), np.full(size, np.log(hi))
    bracketed = (gap(np.exp(a), False) < 0) & (gap(np.exp(b), False) > 0)
    for _ in range(CRITICAL_BISECTIONS):
        mid = 0.5 * (a + b)
        below = gap(np.exp(mid), False) < 0
        a, b = np.where(below, mid, a), np.where(below, b, mid)
    x0, x1 = np.exp(a), np.exp(a) * (1 + 1e-7)
    f0 = gap(x0, True)
    for _ in range(CRITICAL_SECANTS):
        f1 = gap(x1, True)
        denom = np.where(f1 != f0, f1 - f0, 1.0)
        x2 = np.where(np.abs(f1) > 1e-15, x1 - f1 * (x1 - x0) / denom, x1)
        x0, f0, x1 = x1, f1, x2
    (at_x, flat_x), (at_b, flat_b) = length(x1, True), length(np.exp(b), True)
    # where chi_1 - 1 is flat on one side (tanh, sigma_b = 0) the bracket's upper end is nearer
    keep = np.abs(at_b.chi1 - 1.0) < np.abs(at_x.chi1 - 1.0)

    def pick(at_x_value: np.ndarray, at_b_value: np.ndarray) -> np.ndarray:
        return np.where(keep, at_b_value, at_x_value)

    x1 = pick(x1, np.exp(b))
    q, slope, chi = (pick(getattr(at_x, n), getattr(at_b, n)) for n in ("q_star", "slope", "chi1"))
    at_zero = pick(*(np.broadcast_to(_at(f, np.zeros(size)).q, (size,)) for f in (flat_x, flat_b)))
    marginal = (q > CRITICAL_ESCAPE * (1.0 + at_zero)) & (slope > 1.0 - CRITICAL_MARGINAL)
    ok = bracketed & pick(at_x.exists, at_b.exists) & ~marginal & (
        np.abs(chi - 1.0) < CRITICAL_TOL_EXACT)
    return np.where(ok, x1, np.nan), ok
