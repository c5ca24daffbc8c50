"""Spectrum of ``J J^T`` for the input-output Jacobian (Pennington, Schoenholz & Ganguli 2017).

``J = D^L W^L ... D^1 W^1``, ``D^l = diag(phi'(h^l))``. By free probability the
S-transforms of the factors multiply, so the mean ``m1`` and the normalised variance add up
layer by layer (Pennington et al. 2017, eqs. 13-17)::

    m1 = prod_l sigma_w^2 mu1(q^l),       var / m1^2 = sum_l (mu2(q^l)/mu1(q^l)^2 - 1 - s1)
    mu_k(q) = E[phi'(sqrt(q) z)^{2k}],   s1 = -1 (Gaussian W), 0 (orthogonal W)

At criticality on the fixed point, ``m1 = 1`` and ``var = L (mu2/mu1^2 - 1 - s1)``: ReLU
gives ``2L`` (Gaussian) and ``L`` (orthogonal), never isometric; tanh with orthogonal
weights and small q* gets ``mu2/mu1^2 -> 1``: dynamical isometry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.theory.gauss import expect
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.meanfield import fixed_point, variances

Weights = Literal["gaussian", "orthogonal"]
S1 = {"gaussian": -1.0, "orthogonal": 0.0}


@dataclass(frozen=True)
class JacobianSpectrum:
    """Mean and variance of the eigenvalues of ``J J^T`` (and the per-layer ``mu1, mu2``)."""

    mean: float
    variance: float
    mu1: np.ndarray  # (L,)
    mu2: np.ndarray  # (L,)
    q: np.ndarray  # (L,) pre-activation second moment of each layer
    weights: str


def _check(weights: str, depth: int) -> None:
    if weights not in S1:
        raise DepthscopeError(f"weights must be 'gaussian' or 'orthogonal', got {weights!r}")
    if int(depth) != depth or depth < 1:
        raise DepthscopeError(f"depth must be an integer >= 1, got {depth!r}")


def _layer_q(act, sigma_w: float, sigma_b: float, depth: int, q0: float | None) -> np.ndarray:
    if q0 is None:
        fp = fixed_point(act, sigma_w, sigma_b)
        if not fp.exists:
            raise DepthscopeError(
                f"{act.label} at sigma_w={sigma_w:g}, sigma_b={sigma_b:g} has no fixed point; "
                "pass q0 (the input's second moment) instead"
            )
        return np.full(int(depth), float(fp.q_star))
    from depthscope.theory.layerwise import layerwise

    return layerwise(act, sigma_w, sigma_b, depth, q0).q


def jacobian_spectrum(act: ActLike, sigma_w: float, sigma_b: float, depth: int,
                      weights: Weights = "gaussian", q0: float | None = None) -> JacobianSpectrum:
    """Mean and variance of ``J J^T``'s eigenvalues, ``J = dx^L/dx^0`` (Pennington 2017).

    ``q0=None``: every layer at the fixed point ``q*`` (the paper's setting); otherwise
    the layers' ``q^l`` follow from the input second moment ``q0`` (:func:`layerwise`).
    """
    a = as_activation(act)
    _check(weights, depth)
    sw2 = variances(sigma_w, sigma_b)[0][0]
    q = _layer_q(a, sigma_w, sigma_b, depth, q0)
    mu1 = expect(a, lambda u: a.dphi(u) ** 2, q)
    mu2 = expect(a, lambda u: a.dphi(u) ** 4, q)
    mean = float(np.prod(sw2 * mu1))
    variance = mean**2 * float(np.sum(mu2 / mu1**2 - 1.0 - S1[weights]))
    return JacobianSpectrum(mean, variance, mu1, mu2, q, weights)


@dataclass(frozen=True)
class EmpiricalSpectrum:
    """Eigenvalues of ``J J^T`` of sampled finite networks, pooled."""

    mean: float
    variance: float
    eigenvalues: np.ndarray  # (samples, width)


def empirical_jacobian_spectrum(
    act: ActLike, sigma_w: float, sigma_b: float, depth: int, weights: Weights = "gaussian",
    *, width: int = 400, samples: int = 2, seed: int = 0, device: str = "cpu",
    q0: float | None = None,
) -> EmpiricalSpectrum:
    """The same moments from ``samples`` sampled width-``width`` networks, inputs at the fixed
    point q* (``q0=None``) or with second moment ``q0`` (ReLU at sigma_b = 0 has q* = 0, where
    every slope is 0: pass any ``q0 > 0``, its spectrum does not depend on q).
    ``eigenvalues`` is ``(samples, width)``: one row per sampled network."""
    from depthscope.simulate.finite import input_output_jacobian

    a = as_activation(act)
    _check(weights, depth)
    q_in = float(_layer_q(a, sigma_w, sigma_b, 1, None)[0]) if q0 is None else float(q0)
    jac = input_output_jacobian(a, sigma_w, sigma_b, int(depth), q_in, width=width,
                                weights=weights, samples=samples, seed=seed, device=device)
    import torch

    eig = (torch.linalg.svdvals(jac) ** 2).cpu().numpy()  # (samples, width)
    return EmpiricalSpectrum(float(eig.mean()), float(eig.var()), eig)
