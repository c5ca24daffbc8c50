"""Layer-by-layer mean-field prediction for a finite-depth net from its input's second moment.

For ``h^1 = W^1 x + b^1``, ``h^l = W^l phi(h^{l-1}) + b^l`` (l = 2..L), ``E[x_i^2] = q0``
(Poole et al. 2016, eq. 3; Schoenholz et al. 2017, eq. 12)::

    q^1 = sigma_w^2 q0 + sigma_b^2,    q^l = sigma_w^2 E[phi(sqrt(q^{l-1}) z)^2] + sigma_b^2
    chi^l = sigma_w^2 E[phi'(sqrt(q^l) z)^2]
    ||delta^l||^2 / ||delta^{l+1}||^2 = chi^l,   delta^l = dLoss/dh^l

so ``grad_sq_ratio[l] = ||delta^l||^2/||delta^L||^2 = prod_{k=l}^{L-1} chi^k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.theory.maps import ActLike, as_activation, moments
from depthscope.theory.meanfield import variances
from depthscope.theory.network import Dense, Phi, propagate, repeat, residual_block, serial


@dataclass(frozen=True)
class Layerwise:
    """Per hidden layer ``l = 1..L`` (index ``l - 1``): ``q``, ``chi`` and gradient ratios."""

    q: np.ndarray  # (L,) E[(h^l_i)^2]
    act_sq: np.ndarray  # (L,) E[phi(h^l_i)^2]
    chi: np.ndarray  # (L,) sigma_w^2 E[phi'(h^l)^2] (residual: the next block's gain)
    grad_sq_ratio: np.ndarray  # (L,) ||delta^l||^2 / ||delta^L||^2

    @property
    def grad_norm_ratio(self) -> np.ndarray:
        """``||delta^l|| / ||delta^L||``."""
        return np.sqrt(self.grad_sq_ratio)


def layerwise(act: ActLike, sigma_w: float, sigma_b: float, depth: int, q0: float = 1.0, *,
              residual: bool = False, alpha: float = 1.0, layernorm: bool = False
              ) -> Layerwise:
    """Expected pre-activation second moment and gradient-norm ratio of every layer.

    ``residual``: hidden layers 2..L are blocks ``h + alpha (W phi(h) + b)`` (``layernorm``:
    ``phi(LN(h))``); ``chi^l`` is then the block's gain ``1 + alpha^2 (...)`` and ``act_sq``
    is ``E[phi(u)^2]`` of the branch's input ``u``. Computed by
    :mod:`depthscope.theory.network`: ``Dense`` then ``depth`` blocks, ``chi^l`` the gain of
    the block after layer ``l``.

    Example: ``layerwise("tanh", 1.5, 0.1, depth=10, q0=1.0).q``.
    """
    a = as_activation(act)
    sw2, sb2, shape = variances(sigma_w, sigma_b)
    if shape != ():
        raise DepthscopeError("layerwise takes one sigma_w and one sigma_b (scalars)")
    if int(depth) != depth or depth < 1:
        raise DepthscopeError(f"depth must be an integer >= 1, got {depth!r}")
    if not (np.isfinite(q0) and q0 >= 0):
        raise DepthscopeError(f"q0 is a second moment: it must be >= 0, got {q0!r}")
    if not residual and (alpha != 1.0 or layernorm):
        raise DepthscopeError("alpha and layernorm apply to residual blocks: turn them on "
                              "(--residual, residual=True)")
    sw, sb = float(np.sqrt(sw2[0])), float(np.sqrt(sb2[0]))
    block = (residual_block(a, sw, sb, alpha, layernorm) if residual
             else serial(Phi(a), Dense(sw, sb)))
    prop = propagate(serial(Dense(sw, sb), repeat(block, int(depth))), q0=q0)
    q, chi = prop.q[: int(depth)], prop.gain[1:]
    act_sq = moments(a, np.ones_like(q) if layernorm else q)[0]
    ratio = np.append(np.cumprod(chi[-2::-1])[::-1], 1.0) if depth > 1 else np.ones(1)
    return Layerwise(q, act_sq, chi, ratio)
