"""Gaussian expectations of activations, accurate at kinks and cusps, vectorised over q.

``expect(f, q)`` is ``E_z[f(sqrt(q) z)]``, ``z ~ N(0, 1)``, and ``expect2(f, g, q, c)`` is
``E[f(u1) g(u2)]`` with ``(u1, u2)`` centred Gaussian, variances ``q`` and correlation ``c``
(written ``u1 = sqrt(q) z1``, ``u2 = sqrt(q)(c z1 + sqrt(1 - c^2) z2)``).

Method: composite Gauss–Legendre on ``[-Z, Z]`` (``Z = 10``; the Gaussian mass beyond is
``1.5e-23``) with panel edges at the activation's breakpoints (``act.breakpoints``: kinks and
cusps), at its centre ``-shift/scale`` and at ``centre ± 1/scale, ± 4/scale`` mapped to
``z``-space per ``q``, so every panel holds a smooth integrand and Gauss–Legendre converges
spectrally (a plain Gauss–Hermite rule errs by per cents at a kink, see DESIGN.md "Traps").
The inner integral of ``expect2`` is split the same way along ``z2`` for every outer node.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from depthscope.activations import Activation

#: integrals over z ~ N(0, 1) stop at ±Z_MAX: the Gaussian mass beyond is 1.5e-23
Z_MAX = 10.0
Z_EDGES = np.array([-6.0, -3.5, -2.0, -1.0, 1.0, 2.0, 3.5, 6.0])  # fixed panel edges in z
#: extra panel edges around each breakpoint of the inner integral, in units of its width s
#: (phi seen through the inner Gaussian mean changes fastest within a few s of the point)
_NEAR = np.array([-4.0, -1.0, 1.0, 4.0])
TINY_Q = 1e-200  # q = 0 is evaluated as this, so that E[phi'^2] -> its limit (relu: 1/2)
#: s = sqrt(1 - c^2) is floored here (c -> 1: the inner integral's width is 1e-150, not 0)
TINY_S2 = 1e-300
Fn = Callable[[np.ndarray], np.ndarray]


@lru_cache(maxsize=16)
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    t, w = np.polynomial.legendre.leggauss(n)
    return t, w


def x_points(act: Activation, lean: bool = False) -> np.ndarray:
    """Points (in x) where the integrand changes character: breakpoints, centre, ±4^k widths.

    ``lean``: only ``centre ± 1, ± 4`` widths (for the 2-D rule, where nodes are costly).
    """
    centre = -act.shift / act.scale
    width = 1.0 / abs(act.scale)
    steps = np.array([1.0, 4.0]) if lean else 4.0 ** np.arange(-1, 4)
    extra = centre + width * np.concatenate([-steps, [0.0], steps])
    return np.unique(np.concatenate([np.asarray(act.breakpoints, float), extra]))


def _rule(edges: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on consecutive panels ``edges`` (..., E) -> (..., M)."""
    t, w = _legendre(n)
    a, b = edges[..., :-1, None], edges[..., 1:, None]  # (..., E-1, 1)
    half = 0.5 * (b - a)
    shape = (*edges.shape[:-1], (edges.shape[-1] - 1) * t.size)
    nodes = (a + half * (1.0 + t)).reshape(shape)  # (..., M)
    weights = (half * w).reshape(shape)  # (..., M)
    return nodes, weights


def _panels(points_z: np.ndarray) -> np.ndarray:
    """Sorted panel edges: ``±Z``, the fixed ``Z_EDGES`` and ``points`` clipped to ``[-Z, Z]``."""
    fixed = np.broadcast_to(np.concatenate([[-Z_MAX], Z_EDGES, [Z_MAX]]),
                            (*points_z.shape[:-1], Z_EDGES.size + 2))
    inner = np.clip(points_z, -Z_MAX, Z_MAX)
    return np.sort(np.concatenate([fixed, inner], axis=-1), axis=-1)


def _gauss_nodes(points_z: np.ndarray, root: np.ndarray, n: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    z, w = _rule(_panels(points_z), n)  # (P, M)
    return root[..., None] * z, w * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def normal_rule(
    act: Activation, q: np.ndarray, n: int = 16, lean: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``u = sqrt(q) z`` and weights ``w`` with ``sum(w f(u)) = E f(sqrt(q) z)``.

    ``q`` (P,) -> nodes and weights (P, M), split at ``act``'s special points.
    """
    root = np.sqrt(np.maximum(np.asarray(q, float), TINY_Q))  # (P,)
    return _gauss_nodes(x_points(act, lean)[None, :] / root[..., None], root, n)


def expect(act: Activation, f: Fn, q: np.ndarray, n: int = 16) -> np.ndarray:
    """``E_z[f(sqrt(q) z)]`` for each ``q`` (any shape); ``f`` maps arrays elementwise."""
    q = np.asarray(q, float)
    u, w = normal_rule(act, q.ravel(), n)  # (P, M)
    return np.sum(w * f(u), axis=-1).reshape(q.shape)


def bivariate_rule(
    act: Activation, q: np.ndarray, c: np.ndarray, n: int = 6
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes and weights for ``E[f(u1) g(u2)] = sum_i w1_i f(u1_i) sum_j w2_ij g(u2_ij)``.

    ``u1 = sqrt(q) z1``, ``u2 = sqrt(q)(c z1 + s z2)``, ``s = sqrt(1 - c^2)``; flat ``q``, ``c``
    (P,) -> ``u1, w1`` (P, M1) and ``u2, w2`` (P, M1, M2). Both integrals are split at the
    breakpoints, the centre and ``centre ± 1/scale`` (for the inner one they sit at
    ``z2 = (p/sqrt(q) - c z1)/s``) and at the fixed ``Z_EDGES``. Requires ``c < 1``.
    """
    r = np.sqrt(np.maximum(q, TINY_Q))  # (P,)
    s = np.sqrt(np.maximum(1.0 - c * c, TINY_S2))[:, None, None]  # (P, 1, 1)
    special = np.array([*act.breakpoints, -act.shift / act.scale])  # (b,)
    # the inner mean smooths phi over a width s in z1 around each special point
    around = (special[None, :, None] / r[:, None, None] + s * _NEAR).reshape(r.size, -1)
    u1, w1 = _gauss_nodes(
        np.concatenate([x_points(act, lean=True)[None, :] / r[:, None], around], axis=1), r, n
    )  # (P, M1)
    root = r[:, None, None]  # (P, 1, 1)
    mean = c[:, None, None] * u1[..., None] / root  # (P, M1, 1)  c z1
    points = (x_points(act, lean=True)[None, None, :] / root - mean) / s  # (P, M1, k)
    z2, w2 = _rule(_panels(points), n)  # (P, M1, M2)
    w2 = w2 * np.exp(-0.5 * z2 * z2) / np.sqrt(2.0 * np.pi)
    return u1, w1, root * (mean + s * z2), w2


def expect2(
    act: Activation, f: Fn, g: Fn, q: np.ndarray, c: np.ndarray, n: int = 6
) -> np.ndarray:
    """``E[f(u1) g(u2)]``, ``Var u_i = q``, ``corr(u1, u2) = c`` (arrays broadcast).

    ``c = 1`` reduces to ``expect(f g)``.
    """
    q, c = np.broadcast_arrays(np.asarray(q, float), np.clip(np.asarray(c, float), -1, 1))
    shape = q.shape
    q, c = q.ravel(), c.ravel()
    out = np.empty(q.shape)
    at_one = c >= 1.0
    if np.any(~at_one):
        u1, w1, u2, w2 = bivariate_rule(act, q[~at_one], c[~at_one], n)
        inner = np.sum(w2 * g(u2), axis=-1)  # (P, M1)
        out[~at_one] = np.sum(w1 * f(u1) * inner, axis=-1)
    if np.any(at_one):
        out[at_one] = expect(act, lambda u: f(u) * g(u), q[at_one])
    return out.reshape(shape)
