"""Finite-width random networks at initialisation, sampled in torch.

``h^1 = W^1 x + b^1``, ``h^l = W^l phi(h^{l-1}) + b^l``, ``W^l`` of shape ``[out, in]``
with ``W_ij ~ N(0, sigma_w^2/fan_in)`` (or ``sigma_w`` times a Haar-orthogonal matrix), ``b_i
~ N(0, sigma_b^2)`` (Poole et al. 2016). Measured here, to compare with
:mod:`depthscope.theory`: per-layer second moments ``q^l``, back-propagated gradient norms
``||delta^l||^2`` (``delta^l = phi'(h^l) * (W^{l+1})^T delta^{l+1}``), and the input-output
Jacobian ``J = D^L W^L ... D^1 W^1`` of ``x^L = phi(h^L)`` w.r.t. ``x^0`` (Pennington et al.
2017).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from depthscope.activations import Activation
from depthscope.errors import DepthscopeError

Weights = Literal["gaussian", "orthogonal"]


def sample_layers(
    depth: int, width: int, sigma_w: float, sigma_b: float, *, weights: Weights = "gaussian",
    samples: int = 1, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``depth`` square layers ``(W (S, N, N), b (S, N))`` for ``S = samples`` networks."""
    if weights not in ("gaussian", "orthogonal"):
        raise DepthscopeError(f"weights must be 'gaussian' or 'orthogonal', got {weights!r}")
    layers = []
    for _ in range(depth):
        g = torch.randn(samples, width, width, generator=generator, dtype=torch.float64)
        if weights == "orthogonal":
            qm, r = torch.linalg.qr(g)  # Haar: fix the signs of R's diagonal (Mezzadri 2007)
            w = sigma_w * qm * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
        else:
            w = g * (sigma_w / width**0.5)  # (S, N, N)
        b = sigma_b * torch.randn(samples, width, generator=generator, dtype=torch.float64)
        layers.append((w.to(device, dtype), b.to(device, dtype)))
    return layers


@dataclass(frozen=True)
class FiniteStats:
    """Measured per layer (index ``l - 1``), averaged over networks and inputs."""

    q: np.ndarray  # (L,) mean (h^l_i)^2
    grad_sq_ratio: np.ndarray  # (L,) mean ||delta^l||^2 / mean ||delta^L||^2


def propagate(
    act: Activation, sigma_w: float, sigma_b: float, depth: int, q0: float = 1.0, *,
    width: int = 1000, samples: int = 2, batch: int = 16, weights: Weights = "gaussian",
    seed: int = 0, device: str | torch.device = "cpu",
) -> FiniteStats:
    """Forward ``batch`` inputs ``x ~ N(0, q0 I)`` and back-propagate ``delta^L ~ N(0, I)``.

    Matches :func:`depthscope.theory.layerwise` in the large-width limit.
    """
    gen = torch.Generator().manual_seed(seed)
    layers = sample_layers(depth, width, sigma_w, sigma_b, weights=weights, samples=samples,
                           generator=gen, device=device)
    x = (q0**0.5 * torch.randn(samples, batch, width, generator=gen, dtype=torch.float64)
         ).to(device)  # (S, B, N)
    hs = []
    for w, b in layers:
        h = x @ w.transpose(-1, -2) + b[:, None, :]  # (S, B, N)
        hs.append(h)
        x = act.phi(h)
    delta = torch.randn(samples, batch, width, generator=gen, dtype=torch.float64).to(device)
    sq = [None] * depth
    for layer in range(depth - 1, -1, -1):
        if layer < depth - 1:
            w = layers[layer + 1][0]
            delta = act.dphi(hs[layer]) * (delta @ w)  # (S, B, N)
        sq[layer] = delta.pow(2).sum(-1).mean()
    q = torch.stack([h.pow(2).mean() for h in hs])
    ratio = torch.stack(sq) / sq[-1]
    return FiniteStats(q.cpu().numpy(), ratio.cpu().numpy())


def input_output_jacobian(
    act: Activation, sigma_w: float, sigma_b: float, depth: int, q_in: float, *,
    width: int = 500, weights: Weights = "gaussian", samples: int = 1, seed: int = 0,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """``J = dx^L/dx^0`` (S, N, N) at ``x^0 = phi(h^0)``, ``h^0 ~ N(0, q_in I)``.

    With ``q_in = q*`` every layer sits at the fixed point, as in Pennington et al. 2017.
    """
    gen = torch.Generator().manual_seed(seed)
    layers = sample_layers(depth, width, sigma_w, sigma_b, weights=weights, samples=samples,
                           generator=gen, device=device)
    h0 = q_in**0.5 * torch.randn(samples, width, generator=gen, dtype=torch.float64)
    x = act.phi(h0.to(device))  # (S, N)
    jac = torch.eye(width, dtype=torch.float64, device=device).expand(samples, -1, -1)
    for w, b in layers:
        h = (w @ x.unsqueeze(-1)).squeeze(-1) + b  # (S, N)
        jac = act.dphi(h).unsqueeze(-1) * (w @ jac)  # (S, N, N)  D^l W^l J
        x = act.phi(h)
    return jac
