"""Mean field of residual MLPs ``h^{l+1} = h^l + alpha (W phi(u^l) + b)``, ``u = h`` or, with a
pre-LayerNorm, ``LN(h)`` (Yang & Schoenholz 2017; Hayou et al. 2021, "Stable ResNet"), by
:mod:`depthscope.theory.network`:

* the q map ``q^{l+1} = q^l + alpha^2 (sigma_w^2 E[phi(u)^2] + sigma_b^2)`` (``E u^2 = q^l``
  or 1): no fixed point, the variance grows every block;
* the gradient ratio per block ``||delta^l||^2 / ||delta^{l+1}||^2 = 1 + alpha^2 sigma_w^2
  E[phi'(u)^2]`` (times ``1/q^l`` through the LayerNorm), and the total gain over ``L``
  blocks, their product;
* :func:`branch_scale`: the ``alpha`` that holds the total gain at a target. For ReLU without
  normalisation every block has the same gain ``1 + alpha^2 sigma_w^2 / 2``, so ``alpha =
  sqrt(2 (target^(1/L) - 1)) / sigma_w ≈ sqrt(2 ln(target) / L) / sigma_w``: ``alpha ∝
  1/sqrt(L)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from depthscope.errors import DepthscopeError
from depthscope.theory.maps import ActLike
from depthscope.theory.network import Propagation, propagate, repeat, residual_block

ALPHA_RANGE = (1e-8, 1e3)


def residual_propagation(act: ActLike, sigma_w: float, sigma_b: float, blocks: int,
                         alpha: float = 1.0, layernorm: bool = False, q0: float = 1.0
                         ) -> Propagation:
    """Per block: ``q``, the block's gradient gain and the cumulative gain from the first
    block's input (``propagate`` of ``blocks`` :func:`residual_block` s from ``q0``)."""
    if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1:
        raise DepthscopeError(f"blocks must be an integer >= 1, got {blocks!r}")
    block = residual_block(act, sigma_w, sigma_b, alpha, layernorm)
    return propagate(repeat(block, blocks), q0=q0)


def total_gain(act: ActLike, sigma_w: float, sigma_b: float, blocks: int,
               alpha: float = 1.0, layernorm: bool = False, q0: float = 1.0) -> float:
    """``||dL/d h^0||^2 / ||dL/d h^L||^2`` over ``blocks`` residual blocks."""
    return float(residual_propagation(act, sigma_w, sigma_b, blocks, alpha, layernorm,
                                      q0).cumulative[-1])


def branch_scale(act: ActLike, sigma_w: float, sigma_b: float, blocks: int, *,
                 target: float = 2.0, layernorm: bool = False, q0: float = 1.0) -> float:
    """The branch scale ``alpha`` whose stack of ``blocks`` has total gradient gain
    ``target`` (> 1), by root finding on ``ln total_gain(alpha) - ln target``.

    Example: ``branch_scale("relu", 2**0.5, 0.0, 100)`` is ``sqrt(2^(1/100) - 1)`` ≈ 0.0833.
    """
    if not (math.isfinite(target) and target > 1.0):
        raise DepthscopeError(f"target must be a total gain > 1, got {target!r} (alpha -> 0 "
                              "gives 1: the identity)")
    def excess(log_alpha: float) -> float:
        with np.errstate(all="ignore"):  # a huge alpha overflows: that is a huge gain
            gain = total_gain(act, sigma_w, sigma_b, blocks, math.exp(log_alpha), layernorm,
                              q0)
        return math.log(gain) - math.log(target) if 0 < gain < math.inf else math.inf

    lo, hi = (math.log(a) for a in ALPHA_RANGE)
    if excess(hi) < 0:
        raise DepthscopeError(f"no alpha up to {ALPHA_RANGE[1]:g} reaches a total gain of "
                              f"{target:g} (the branch barely passes gradients); lower the "
                              "target")
    return float(np.exp(optimize.brentq(excess, lo, hi, xtol=1e-14, rtol=1e-13)))
