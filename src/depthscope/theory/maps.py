"""The length and correlation maps of a deep random net and their Gaussian moments.

For ``h^l = W^l phi(h^{l-1}) + b^l``, ``W_ij ~ N(0, sigma_w^2/N)``, ``b_i ~ N(0, sigma_b^2)``
(Poole et al. 2016, eqs. 3 and 5)::

    q^l = sigma_w^2 K(q^{l-1}) + sigma_b^2,           K(q)    = E[phi(sqrt(q) z)^2]
    c^l = (sigma_w^2 K2(q, c^{l-1}) + sigma_b^2) / q,  K2(q,c) = E[phi(u1) phi(u2)]

and the slopes ``Kd(q) = E[phi'(sqrt(q) z)^2]`` (so ``chi_1 = sigma_w^2 Kd(q*)``), ``G(q) = dK/dq
= E[z phi phi'] / sqrt(q)`` (Gaussian integration by parts; equals Schoenholz et al. 2017's
``E[phi'^2 + phi phi'']`` without needing ``phi''``, which has delta functions at kinks) and
``Kd2(q, c) = E[phi'(u1) phi'(u2)] = dK2/dc / q`` (Price's theorem).

:func:`moments` evaluates ``K, Kd, G`` exactly by split quadrature; :class:`Table` holds them on a
log-spaced ``q`` grid as cubic splines, once per activation, for brackets and fast grids;
:func:`kernel_table` holds ``K2, Kd2`` on Chebyshev nodes in ``(ln q, acos c)`` for the fast
solvers of the correlation map's fixed point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.interpolate import BarycentricInterpolator, CubicSpline

from depthscope.activations import Activation, get
from depthscope.errors import DepthscopeError
from depthscope.theory.gauss import TINY_Q, Fn, bivariate_rule, normal_rule

ActLike = str | Activation
LN_Q = np.linspace(np.log(1e-40), np.log(1e12), 1201)  # table grid, spacing ~0.1 in ln q
Q_TABLE_MIN, Q_TABLE_MAX = float(np.exp(LN_Q[0])), float(np.exp(LN_Q[-1]))


def as_activation(act: ActLike) -> Activation:
    """A registered name or an :class:`Activation` (passed through)."""
    if isinstance(act, Activation):
        return act
    if not isinstance(act, str):
        raise DepthscopeError(f"activation must be a name or an Activation, got {act!r}")
    return get(act)


def moments(act: Activation, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact ``(K(q), Kd(q), G(q))`` for an array ``q`` (split Gauss–Legendre)."""
    q = np.asarray(q, float)
    u, w = normal_rule(act, q.ravel())  # (P, M)
    with np.errstate(over="ignore", invalid="ignore"):
        phi, dphi = act.phi(u), act.dphi(u)  # (P, M)
    root = np.sqrt(np.maximum(q.ravel(), TINY_Q))[:, None]  # (P, 1)
    k = np.sum(w * phi * phi, axis=-1)
    kd = np.sum(w * dphi * dphi, axis=-1)
    g = np.sum(w * (u / root) * phi * dphi, axis=-1) / root[:, 0]
    return k.reshape(q.shape), kd.reshape(q.shape), g.reshape(q.shape)


@dataclass(frozen=True)
class Table:
    """``K, Kd, G`` as cubic splines in ``ln q`` on ``q`` in ``[1e-40, 1e12]`` (one spline of
    three columns: one evaluation gives all three)."""

    spline: CubicSpline

    def __call__(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lq = np.log(np.minimum(np.maximum(q, Q_TABLE_MIN), Q_TABLE_MAX))  # as np.clip, faster
        out = self.spline(lq)
        return out[..., 0], out[..., 1], out[..., 2]


@lru_cache(maxsize=64)
def table(act: Activation) -> Table:
    """The activation's :class:`Table` (computed once, ~0.1 s)."""
    return Table(CubicSpline(LN_Q, np.stack(moments(act, np.exp(LN_Q)), axis=-1)))


def kernel_products(act: Activation, q: np.ndarray, c: np.ndarray,
                    fns: tuple[Fn, ...], n: int = 6) -> list[np.ndarray]:
    """``E[f(u1) f(u2)]`` for each ``f`` of ``fns`` (``Var u_i = q``, ``corr(u1, u2) = c``;
    arrays broadcast) on one shared split 2-D rule (``c >= 1``: ``E[f(u)^2]`` on
    :func:`moments`' rule)."""
    q, c = np.broadcast_arrays(np.asarray(q, float), np.asarray(c, float))
    shape = q.shape
    q, c = q.ravel(), c.ravel()
    one = c >= 1.0
    outs = [np.empty(q.shape) for _ in fns]
    with np.errstate(over="ignore", invalid="ignore"):
        if np.any(one):
            u, w = normal_rule(act, q[one])
            for out, f in zip(outs, fns, strict=True):
                values = f(u)
                out[one] = np.sum(w * values * values, axis=-1)
        if not np.all(one):
            u1, w1, u2, w2 = bivariate_rule(act, q[~one], c[~one], n)
            for out, f in zip(outs, fns, strict=True):
                out[~one] = np.sum(w1 * f(u1) * np.sum(w2 * f(u2), axis=-1), axis=-1)
    return [out.reshape(shape) for out in outs]


def kernels2(act: Activation, q: np.ndarray, c: np.ndarray, n: int = 6
             ) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(K2(q, c), Kd2(q, c))`` by split 2-D quadrature (arrays broadcast)."""
    k2, kd2 = kernel_products(act, q, c, (act.phi, act.dphi), n)
    return k2, kd2


def _lobatto(n: int, lo: float, hi: float) -> np.ndarray:
    """``n`` Chebyshev–Lobatto nodes on ``[lo, hi]``."""
    return lo + 0.5 * (hi - lo) * (1.0 - np.cos(np.pi * np.arange(n) / (n - 1)))


#: kernel_table's interpolant: Chebyshev–Lobatto nodes in ln q (over the queried range, or 1
#: wide around a single q; q floored at KERNEL_TABLE_Q_FLOOR) and in theta = acos c over
#: [0, pi/2], with KERNEL_TABLE_PANELS Gauss–Legendre nodes per panel of the 2-D rule at each
#: node. Measured error of c* solved on it: up to ~3e-3 (every third point of a 100x100
#: grid, sigma_w <= 4, sigma_b <= 2: tanh 2.4e-3, erf 2.3e-3, softsign 3.1e-3).
KERNEL_TABLE_LN_Q_NODES = 24
KERNEL_TABLE_THETA_NODES = 17
KERNEL_TABLE_Q_FLOOR = 1e-6
KERNEL_TABLE_SINGLE_Q = 1e-9  # a range of ln q narrower than this is a single q
KERNEL_TABLE_PANELS = 5


@dataclass
class KernelTable:
    """``K2(q, c)`` and ``Kd2(q, c)`` for ``c`` in ``[0, 1]`` and ``q`` in one range, as
    polynomials in ``ln q`` and ``theta = acos c`` on Chebyshev–Lobatto nodes.

    ``K2`` is held as ``Dt = (K(q) - K2(q, c)) / (q (1 - c))`` (``= Kd(q)`` at ``c = 1``), which
    is smooth in ``theta`` and keeps the relative accuracy of ``1 - C(c)`` near ``c = 1``;
    :meth:`__call__` returns ``K2 = K - q (1 - c) Dt`` with the caller's ``K`` (so ``K2 = K``
    exactly at ``c = 1``)."""

    ln_q: np.ndarray  # (A,)
    theta: np.ndarray  # (T,)
    dt: np.ndarray  # (A, T)
    kd2: np.ndarray  # (A, T)
    #: the last points' ``(ln q bytes, Dt, Kd2 at the theta nodes)``: a solver asks at the
    #: same q at every step, and only c moves
    _last: tuple[bytes, np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def _at_q(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lq = np.clip(np.log(np.clip(q, KERNEL_TABLE_Q_FLOOR, None)), self.ln_q[0],
                     self.ln_q[-1])
        last = self._last
        if last is not None and last[0] == lq.tobytes():
            return last[1], last[2]
        both = BarycentricInterpolator(self.ln_q, np.concatenate([self.dt, self.kd2], 1))(lq)
        dt, kd2 = both[:, :self.theta.size], both[:, self.theta.size:]
        self._last = (lq.tobytes(), dt, kd2)
        return dt, kd2

    def __call__(self, q: np.ndarray, c: np.ndarray, k: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """``(K2, Kd2)`` at points ``(q, c)`` (1-D, of one length) given ``K(q)``."""
        dt_q, kd2_q = self._at_q(q)  # (P, T)
        weights = BarycentricInterpolator(self.theta, np.eye(self.theta.size))(
            np.arccos(np.clip(c, 0.0, 1.0)))  # (P, T)
        dt = np.sum(dt_q * weights, axis=-1)
        kd2 = np.sum(kd2_q * weights, axis=-1)
        return k - q * (1.0 - c) * dt, kd2


def ln_q_range(q: np.ndarray) -> tuple[float, float]:
    """The span of ``ln q`` a :func:`kernel_table` for the points ``q`` covers."""
    lq = np.log(np.clip(q, KERNEL_TABLE_Q_FLOOR, None))
    lo, hi = float(lq.min()), float(lq.max())
    if hi - lo < KERNEL_TABLE_SINGLE_Q:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


@lru_cache(maxsize=16)
def kernel_table(act: Activation, lo: float, hi: float) -> KernelTable:
    """The activation's :class:`KernelTable` over ``ln q`` in ``[lo, hi]`` (cached: a solver
    asks for the same range at every step)."""
    ln_q = _lobatto(KERNEL_TABLE_LN_Q_NODES, lo, hi)
    theta = _lobatto(KERNEL_TABLE_THETA_NODES, 0.0, np.pi / 2)
    qn, cn = np.exp(ln_q)[:, None], np.cos(theta)[None, :]
    k2, kd2 = kernels2(act, qn, cn, n=KERNEL_TABLE_PANELS)  # (A, T)
    k, kd, _ = moments(act, qn[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        dt = np.where(cn < 1.0, (k[:, None] - k2) / (qn * (1.0 - cn)), kd[:, None])
    return KernelTable(ln_q, theta, dt, kd2)
