"""The edge of chaos: critical sigma_w, the curve sigma_w(sigma_b), and the phase diagram.

Criticality is ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2] = 1`` (Poole et al. 2016; Schoenholz
et al. 2017). For smooth activations it is a curve in ``(sigma_b, sigma_w)``; for ReLU-like
ones a single point ``(0, sqrt 2)`` (Hayou et al. 2019): there ``chi_1 = sigma_w^2/2`` for
every ``sigma_b``, but with ``sigma_b > 0`` the length map has no fixed point at chi_1 = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.theory.blocks import block_scales, critical_scale, length_fixed_point
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.meanfield import plain_block, variances

SW_RANGE = (1e-3, 1e3)


def critical_sigma_w(act: ActLike, sigma_b: object = 0.0, orthogonal: bool = False
                     ) -> float | np.ndarray:
    """``sigma_w`` with ``chi_1 = 1`` at ``sigma_b``: the edge of chaos.

    Formula: ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2] = 1``, ``z ~ N(0, 1)``, with ``q*`` the
    fixed point of ``q -> sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2``.

    Args:
        act: an activation name or :class:`~depthscope.activations.Activation`.
        sigma_b: the bias standard deviation (a number or an array).
        orthogonal: the same value, since mean-field q and chi_1 depend on weights only
            through ``E[W_ij^2] = sigma_w^2/N`` (orthogonal and Gaussian weights share the
            Jacobian spectrum's mean ``chi_1^L``; only its variance differs).

    Returns:
        The critical ``sigma_w`` (a float for a scalar ``sigma_b``, else an array with
        ``nan`` where no edge exists; a scalar without one raises
        :class:`DepthscopeError`).

    Example:
        >>> round(critical_sigma_w("relu"), 6)  # He et al. 2015's sqrt 2
        1.414214
        >>> round(critical_sigma_w("tanh", 0.05**0.5) ** 2, 5)  # Schoenholz et al. 2017
        1.76095

    References:
        Poole et al. 2016; Schoenholz et al. 2017; Hayou et al. 2019 (ReLU: sigma_b = 0
        only); Pennington et al. 2017 (orthogonal weights).
    """
    del orthogonal  # documented: criticality is the same for orthogonal weights
    a = as_activation(act)
    _, _, shape = variances(1.0, sigma_b)
    sb = np.asarray(sigma_b, float).ravel()
    sw, ok = critical_scale(lambda s: plain_block(a, s, sb), sb.size, SW_RANGE)
    if shape == () and not ok[0]:
        raise DepthscopeError(
            f"{a.label} has no edge of chaos at sigma_b={sb[0]:g}: no sigma_w in "
            f"[{SW_RANGE[0]:g}, {SW_RANGE[1]:g}] gives chi_1 = 1 with a finite fixed point"
            + (" (ReLU-like: only sigma_b = 0, Hayou et al. 2019)" if sb[0] > 0 else "")
        )
    return sw.item() if shape == () else sw.reshape(shape)


@dataclass(frozen=True)
class EdgeOfChaos:
    """``sigma_w`` at chi_1 = 1 for each ``sigma_b`` (``nan`` where none) and q* there."""

    sigma_b: np.ndarray
    sigma_w: np.ndarray
    q_star: np.ndarray


def edge_of_chaos(act: ActLike, sigma_b_values: object) -> EdgeOfChaos:
    """The edge-of-chaos curve ``sigma_w(sigma_b)`` (vectorised over ``sigma_b_values``).

    For each ``sigma_b``, the ``sigma_w`` where ``chi_1 = sigma_w^2 E[phi'(u)^2] = 1`` at the
    length map's fixed point ``q*`` (``u ~ N(0, q*)``): ordered below it, chaotic above
    (Poole et al. 2016; Schoenholz et al. 2017, Fig. 1).

    Args:
        act: an activation (name or :class:`~depthscope.activations.Activation`).
        sigma_b_values: one or more bias standard deviations (>= 0).

    Returns:
        :class:`EdgeOfChaos`: arrays ``sigma_b``, ``sigma_w`` and ``q_star`` (``nan`` where
        no ``sigma_w`` reaches ``chi_1 = 1``, e.g. ReLU with ``sigma_b > 0``).

    Example:
        >>> from depthscope import edge_of_chaos
        >>> edge = edge_of_chaos("tanh", [0.0, 0.05])
        >>> edge.sigma_w.round(4).tolist(), edge.q_star.round(4).tolist()
        ([1.0, 1.1225], [0.0, 0.1537])
    """
    a = as_activation(act)
    sb = np.atleast_1d(np.asarray(sigma_b_values, float))
    sw = np.atleast_1d(critical_sigma_w(a, sb))
    ok = np.isfinite(sw)
    q = np.full(sb.shape, np.nan)
    if np.any(ok):
        q[ok] = length_fixed_point(plain_block(a, sw[ok], sb[ok])).q_star
    return EdgeOfChaos(sb, sw, q)


@dataclass(frozen=True)
class PhaseDiagram:
    """Arrays of shape ``(len(sigma_b), len(sigma_w))`` over the grid."""

    sigma_w: np.ndarray
    sigma_b: np.ndarray
    chi1: np.ndarray
    q_star: np.ndarray
    c_star: np.ndarray
    xi_c: np.ndarray
    trainable_depth: np.ndarray
    phase: np.ndarray  # "ordered" / "critical" / "chaotic"
    exists: np.ndarray


def phase_diagram(act: ActLike, sigma_w_values: object, sigma_b_values: object,
                  exact: bool = True) -> PhaseDiagram:
    """Chi_1, q*, c*, xi_c and trainable depth ``6 xi_c`` on a ``(sigma_b, sigma_w)`` grid.

    The block solver (:func:`depthscope.theory.blocks.block_scales`) on the plain block at
    every grid point at once: the length map's fixed point from its table, then Newton steps on
    the exact quadrature; c* in the chaotic phase from a Chebyshev table of the correlation
    kernels, then Newton steps on the exact kernel quadrature — the same numbers as
    :func:`depth_scales` point by point, for any grid size (~4 ms per chaotic point; 100x100
    tanh, 55 % chaotic: 21 s on a 2-core Xeon, AVX-512).
    ``exact=False`` skips both polishes, for maps: q* to ~1e-7 and c* to ~3e-3 (measured on
    every third point of a 100x100 grid, sigma_w <= 4, sigma_b <= 2: 2.4e-3 tanh, 2.3e-3 erf,
    3.1e-3 softsign); xi_c within 1 % at 98-99 % of the points, further off only next to the
    edge of chaos, where xi_c diverges; a 100x100 grid in ~0.3 s (the ``phase`` command's
    figure; ``depthscope phase --exact`` for exact numbers).
    """
    a = as_activation(act)
    sw = np.atleast_1d(np.asarray(sigma_w_values, float))
    sb = np.atleast_1d(np.asarray(sigma_b_values, float))
    gw, gb = np.meshgrid(sw, sb)  # (B, W)
    res = block_scales(plain_block(a, gw, gb), exact=exact)
    return PhaseDiagram(sw, sb, *(np.asarray(getattr(res, k)) for k in
                        ("chi1", "q_star", "c_star", "xi_c", "trainable_depth", "phase",
                         "exists")))
