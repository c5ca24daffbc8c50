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
log-spaced ``q`` grid as cubic splines, once per activation, for brackets and fast grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.interpolate import CubicSpline

from depthscope.activations import Activation, get
from depthscope.errors import DepthscopeError
from depthscope.theory.gauss import TINY_Q, Fn, bivariate_rule, normal_rule

ActLike = str | Activation
LN_Q = np.linspace(np.log(1e-40), np.log(1e12), 1201)  # table grid, spacing ~0.1 in ln q


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
    """``K, Kd, G`` as cubic splines in ``ln q`` on ``q`` in ``[1e-40, 1e12]``."""

    k: CubicSpline
    kd: CubicSpline
    g: CubicSpline
    k_at_0: float  # phi(0)^2
    g_at_0: float  # lim_{q->0} G(q) (relu: 1/2, tanh: 1)

    def __call__(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lq = np.log(np.clip(q, np.exp(LN_Q[0]), np.exp(LN_Q[-1])))
        return self.k(lq), self.kd(lq), self.g(lq)


@lru_cache(maxsize=64)
def table(act: Activation) -> Table:
    """The activation's :class:`Table` (computed once, ~0.1 s)."""
    k, kd, g = moments(act, np.exp(LN_Q))
    k0, _, g0 = moments(act, np.array([TINY_Q]))
    return Table(CubicSpline(LN_Q, k), CubicSpline(LN_Q, kd), CubicSpline(LN_Q, g),
                 float(k0[0]), float(g0[0]))


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
