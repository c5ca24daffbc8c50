"""Mean-field signal propagation of the plain MLP: fixed point q*, chi_1, c*, depth scales
and phases.

Poole et al. 2016 and Schoenholz et al. 2017, for ``h^l = W^l phi(h^{l-1}) + b^l`` with
``W_ij ~ N(0, sigma_w^2/N)``, ``b_i ~ N(0, sigma_b^2)`` (standard deviations):

* q* solves ``q = sigma_w^2 K(q) + sigma_b^2`` (the first stable root); none exists when the
  map grows faster than ``q`` (e.g. relu with ``sigma_w^2 > 2``);
* ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]``; ordered if ``< 1``, chaotic if ``> 1``;
* ``xi_q^-1 = -ln(sigma_w^2 G(q*))`` with ``G = dK/dq`` (Schoenholz eq. 6),
  ``xi_c^-1 = -ln(chi_c)``, ``chi_c = sigma_w^2 E[phi'(u1) phi'(u2)]`` at ``(q*, c*)``
  (eq. 9; ``c* = 1`` and ``chi_c = chi_1`` in the ordered phase), ``xi_grad^-1 = -ln chi_1``
  (signed: negative in the chaotic phase, where gradients grow), trainable depth ``6 xi_c``.

Each function is the repeated-block solver of :mod:`depthscope.theory.blocks` on the plain
MLP's block :func:`~depthscope.theory.network.mlp_block` (``serial(Phi(act), Dense(sigma_w,
sigma_b))``). Every function takes scalars or arrays of ``sigma_w``/``sigma_b`` (broadcast
together).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.theory.blocks import DepthScales, block_scales, length_fixed_point, phase_of
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.network import Serial, check_sigmas, mlp_block


def variances(sigma_w: object, sigma_b: object) -> tuple[np.ndarray, np.ndarray, tuple]:
    """``(sigma_w^2, sigma_b^2, shape)``: the broadcast grid flattened, checked by
    :func:`~depthscope.theory.network.check_sigmas`."""
    sw, sb = np.broadcast_arrays(*check_sigmas(sigma_w, sigma_b))
    return (sw * sw).ravel(), (sb * sb).ravel(), sw.shape


def plain_block(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> Serial:
    """The plain MLP's block at ``(sigma_w, sigma_b)`` (numbers or arrays; ``Dense`` checks
    them)."""
    return mlp_block(as_activation(act), np.asarray(sigma_w, float),
                     np.asarray(sigma_b, float))


def _out(x: np.ndarray) -> float | bool | str | np.ndarray:
    x = np.asarray(x)
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


def fixed_point(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> FixedPoint:
    """The length map's fixed point ``q*`` (Poole et al. 2016, eq. 4), by root finding.

    Example: ``fixed_point("tanh", 1.5, 0.3).q_star``. Where none exists ``exists`` is
    False and ``q_star`` is ``inf``.
    """
    res = length_fixed_point(plain_block(act, sigma_w, sigma_b))
    slope = np.where(res.exists, res.slope, np.nan)
    return FixedPoint(_out(res.q_star), _out(res.exists), _out(slope))


def chi1(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> float | np.ndarray:
    """``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]`` (Poole 2016; Schoenholz 2017, eq. 7).

    Without a fixed point, the large-``q`` limit (the rate at which gradients grow).
    ReLU: ``sigma_w^2 / 2`` exactly, for every ``sigma_b``.
    """
    return _out(length_fixed_point(plain_block(act, sigma_w, sigma_b)).chi1)


def phase(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> str | np.ndarray:
    """``"ordered"`` (chi_1 < 1), ``"chaotic"`` (> 1) or ``"critical"`` (within 1e-8).

    Without a fixed point (unbounded phi, large sigma_w) the large-``q`` chi_1 decides.
    """
    return _out(phase_of(np.asarray(chi1(act, sigma_w, sigma_b))))


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
    res = block_scales(plain_block(a, sigma_w, sigma_b))
    if np.ndim(res.exists) == 0 and not res.exists:
        raise DepthscopeError(
            f"{a.label} at sigma_w={float(sigma_w):g}, sigma_b={float(sigma_b):g}: the length "
            "map has no fixed point (variance grows without bound); lower sigma_w"
        )
    return DepthScales(*(_out(getattr(res, name)) for name in DepthScales.__dataclass_fields__))
