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

Z_MAX = 10.0
Z_EDGES = np.array([-6.0, -3.5, -2.0, -1.0, 1.0, 2.0, 3.5, 6.0])  # fixed panel edges in z
TINY_Q = 1e-200  # q = 0 is evaluated as this, so that E[phi'^2] -> its limit (relu: 1/2)
Fn = Callable[[np.ndarray], np.ndarray]


@lru_cache(maxsize=16)
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    t, w = np.polynomial.legendre.leggauss(n)
    return t, w


def x_points(act: Activation) -> np.ndarray:
    """Points (in x) where the integrand changes character: breakpoints, centre, ±4^k widths."""
    centre = -act.shift / act.scale
    width = 1.0 / abs(act.scale)
    steps = 4.0 ** np.arange(-1, 4)
    extra = centre + width * np.concatenate([-steps, [0.0], steps])
    return np.unique(np.concatenate([np.asarray(act.breakpoints, float), extra]))


def _rule(edges: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on consecutive panels ``edges`` (..., E) -> (..., M)."""
    t, w = _legendre(n)
    a, b = edges[..., :-1, None], edges[..., 1:, None]  # (..., E-1, 1)
    half = 0.5 * (b - a)
    nodes = (a + half * (1.0 + t)).reshape(*edges.shape[:-1], -1)  # (..., M)
    weights = (half * w).reshape(*edges.shape[:-1], -1)  # (..., M)
    return nodes, weights


def _panels(points_z: np.ndarray) -> np.ndarray:
    """Sorted panel edges: ``±Z``, the fixed ``Z_EDGES`` and ``points`` clipped to ``[-Z, Z]``."""
    fixed = np.broadcast_to(np.concatenate([[-Z_MAX], Z_EDGES, [Z_MAX]]),
                            (*points_z.shape[:-1], Z_EDGES.size + 2))
    inner = np.clip(points_z, -Z_MAX, Z_MAX)
    return np.sort(np.concatenate([fixed, inner], axis=-1), axis=-1)


def normal_rule(act: Activation, q: np.ndarray, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``u = sqrt(q) z`` and weights ``w`` with ``sum(w f(u)) = E f(sqrt(q) z)``.

    ``q`` (P,) -> nodes and weights (P, M), split at ``act``'s special points.
    """
    root = np.sqrt(np.maximum(np.asarray(q, float), TINY_Q))  # (P,)
    points = x_points(act)[None, :] / root[..., None]  # (P, k)
    z, w = _rule(_panels(points), n)  # (P, M)
    w = w * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return root[..., None] * z, w


def expect(act: Activation, f: Fn, q: np.ndarray, n: int = 16) -> np.ndarray:
    """``E_z[f(sqrt(q) z)]`` for each ``q`` (any shape); ``f`` maps arrays elementwise."""
    q = np.asarray(q, float)
    u, w = normal_rule(act, q.ravel(), n)  # (P, M)
    return np.sum(w * f(u), axis=-1).reshape(q.shape)


def expect2(
    act: Activation, f: Fn, g: Fn, q: np.ndarray, c: np.ndarray, n: int = 8
) -> np.ndarray:
    """``E[f(u1) g(u2)]``, ``Var u_i = q``, ``corr(u1, u2) = c`` (arrays broadcast).

    Outer integral over ``z1`` and inner over ``z2`` are both split at ``act``'s special
    points (for the inner one they sit at ``z2 = (p/sqrt(q) - c z1)/s``, ``s = sqrt(1-c^2)``).
    ``c = 1`` reduces to ``expect(f g)``.
    """
    q, c = np.broadcast_arrays(np.asarray(q, float), np.clip(np.asarray(c, float), -1, 1))
    shape = q.shape
    q, c = q.ravel(), c.ravel()
    u1, w1 = normal_rule(act, q, n)  # (P, M1)
    root = np.sqrt(np.maximum(q, TINY_Q))[:, None, None]  # (P, 1, 1)
    s = np.sqrt(np.maximum(1.0 - c * c, 0.0))[:, None, None]  # (P, 1, 1)
    mean = c[:, None, None] * u1[..., None] / root  # (P, M1, 1)  c z1
    safe = np.where(s > 0, s, 1.0)
    points = (x_points(act)[None, None, :] / root - mean) / safe  # (P, M1, k)
    z2, w2 = _rule(_panels(points), n)  # (P, M1, M2)
    w2 = w2 * np.exp(-0.5 * z2 * z2) / np.sqrt(2.0 * np.pi)
    u2 = root * (mean + s * z2)  # (P, M1, M2)
    inner = np.sum(w2 * g(u2), axis=-1)  # (P, M1)
    out = np.sum(w1 * f(u1) * inner, axis=-1)  # (P,)
    at_one = s[:, 0, 0] == 0
    if np.any(at_one):
        out[at_one] = expect(act, lambda u: f(u) * g(u), q[at_one])
    return out.reshape(shape)
