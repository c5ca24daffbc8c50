"""Transform any activation so a deep net sits at the edge of chaos with a chosen q*.

The Q&A's idea (rescale tanh's input) done right, in the spirit of DKS/TAT (Martens et al.
2021; Zhang et al. 2022): find ``phi_hat(x) = gain (phi(scale x + shift) + offset)`` with

    sigma_w^2 E[phi_hat(sqrt(q*) z)^2] + sigma_b^2 = q*    (q* is a fixed point)
    sigma_w^2 E[phi_hat'(sqrt(q*) z)^2] = 1                (chi_1 = 1)

Two equations, four unknowns. Canonical choice: ``shift = 0`` and ``scale`` given (default
1: keep the input scale), then ``gain`` follows from chi_1 = 1 and ``offset`` from the
q-equation, a quadratic ``delta^2 + 2 m delta + E[phi^2] - T = 0`` (``m = E[phi]``); of its
roots we take the one of least ``|offset|``, and for odd ``phi`` (whose mirror pairs
``(shift, offset)``, ``(-shift, -offset)`` give identical statistics) ``offset >= 0``.
A real root needs ``T >= Var[phi]``; with ``sigma_b = 0`` this always holds (Gaussian
Poincaré inequality ``Var f(z) <= E f'(z)^2``), which also shows why an odd phi can never be
critical at ``sigma_b = 0`` without an offset: it would have to be linear.

The second moments are the network algebra's activation layer at ``q*``
(:class:`~depthscope.theory.network.Phi`: its ``K = E[phi^2]`` and gain ``E[phi'^2]``); the
result is the plain block's fixed point with ``chi_1 = 1`` for the block solver
(:mod:`depthscope.theory.blocks`), which the tests check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from depthscope.activations import Activation
from depthscope.errors import DepthscopeError
from depthscope.theory.gauss import expect
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.network import Phi, State, check_sigmas


@dataclass(frozen=True)
class CriticalTransform:
    """The transformed activation and its parameters (relative to the input ``act``)."""

    activation: Activation
    scale: float
    shift: float
    gain: float
    offset: float
    q_star: float
    sigma_w: float
    sigma_b: float


def critical_transform(act: ActLike, *, q_star: float = 1.0, sigma_w: float = 1.0,
                       sigma_b: float = 0.0, scale: float = 1.0) -> CriticalTransform:
    """``gain (act(scale x) + offset)`` with chi_1 = 1 and fixed point ``q_star``.

    ``gain = 1 / (sigma_w sqrt(E[phi'(u)^2]))``, ``u ~ N(0, q_star)``, makes ``chi_1 =
    sigma_w^2 gain^2 E[phi'^2] = 1``; the ``offset`` then solves ``sigma_w^2 gain^2 E[(phi +
    offset)^2] + sigma_b^2 = q_star`` (the smaller root), so the net sits at the edge of
    chaos with its fixed point where asked (Poole et al. 2016; Schoenholz et al. 2017).

    Args:
        act: an activation (name or :class:`~depthscope.activations.Activation`).
        q_star: the fixed point of the length map to land on (> ``sigma_b^2``).
        sigma_w, sigma_b: the weight and bias standard deviations the net will use.
        scale: an input scale applied first (``act(scale x)``).

    Returns:
        :class:`CriticalTransform`: the transformed ``activation`` and its ``gain``,
        ``offset``, ``scale``, ``shift``.

    Example:
        >>> from depthscope import critical_transform
        >>> from depthscope.theory import chi1
        >>> t = critical_transform("tanh")
        >>> round(t.gain, 4), round(t.offset, 4)
        (1.4674, 0.2648)
        >>> round(float(chi1(t.activation, 1.0, 0.0)), 9)
        1.0
    """
    base = as_activation(act)
    check_sigmas(sigma_w, sigma_b)
    for name, value in (("q_star", q_star), ("scale", scale)):
        if not (math.isfinite(value) and value > 0):
            raise DepthscopeError(f"{name} must be a finite number > 0, got {value!r}")
    if q_star <= sigma_b**2:
        raise DepthscopeError(f"q_star must exceed sigma_b^2 = {sigma_b**2:g} (q = sigma_w^2 "
                              "E[phi^2] + sigma_b^2 >= sigma_b^2)")
    inner = base.with_transform(scale=scale)
    at = Phi(inner).local(State.start(q_star))  # the layer's K = E[phi^2], gain E[phi'^2]
    m2, d2 = float(at.q), float(at.gain)
    m = float(expect(inner, inner.phi, np.array([q_star]))[0])  # E[phi]: a first moment
    if not d2 > 0:
        raise DepthscopeError(f"{inner.label} has zero slope under N(0, {q_star:g})")
    gain = 1.0 / (sigma_w * math.sqrt(d2))
    target = (q_star - sigma_b**2) / (sigma_w * gain) ** 2  # E[(phi + offset)^2]
    disc = target - (m2 - m * m)
    if disc < -1e-12 * max(target, 1.0):
        raise DepthscopeError(
            f"{inner.label}: no offset reaches q*={q_star:g} at chi_1 = 1 with sigma_b="
            f"{sigma_b:g}; lower sigma_b or change scale"
        )
    root = math.sqrt(max(disc, 0.0))
    offset = min((-m + root, -m - root), key=lambda d: (round(abs(d), 12), -d))
    offset = 0.0 if abs(offset) < 1e-12 * max(1.0, abs(m), math.sqrt(m2)) else offset
    out = inner.with_transform(gain=gain, offset=offset)
    return CriticalTransform(out, scale, 0.0, gain, offset, q_star, sigma_w, sigma_b)
