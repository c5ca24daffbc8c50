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
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.meanfield import _variances
from depthscope.theory.network import Dense, Phi, propagate, serial


@dataclass(frozen=True)
class Layerwise:
    """Per hidden layer ``l = 1..L`` (index ``l - 1``): ``q``, ``chi`` and gradient ratios."""

    q: np.ndarray  # (L,) E[(h^l_i)^2]
    act_sq: np.ndarray  # (L,) E[phi(h^l_i)^2]
    chi: np.ndarray  # (L,) sigma_w^2 E[phi'(h^l)^2]
    grad_sq_ratio: np.ndarray  # (L,) ||delta^l||^2 / ||delta^L||^2

    @property
    def grad_norm_ratio(self) -> np.ndarray:
        """``||delta^l|| / ||delta^L||``."""
        return np.sqrt(self.grad_sq_ratio)


def layerwise(act: ActLike, sigma_w: float, sigma_b: float, depth: int, q0: float = 1.0
              ) -> Layerwise:
    """Expected pre-activation second moment and gradient-norm ratio of every layer.

    Example: ``layerwise("tanh", 1.5, 0.1, depth=10, q0=1.0).q``.
    """
    a = as_activation(act)
    sw2, sb2, shape = _variances(sigma_w, sigma_b)
    if shape != ():
        raise DepthscopeError("layerwise takes one sigma_w and one sigma_b (scalars)")
    if int(depth) != depth or depth < 1:
        raise DepthscopeError(f"depth must be an integer >= 1, got {depth!r}")
    if not (np.isfinite(q0) and q0 >= 0):
        raise DepthscopeError(f"q0 is a second moment: it must be >= 0, got {q0!r}")
    # the net flattened to Dense, Phi, Dense, Phi, ..., Dense, Phi: the Dense outputs are the
    # pre-activations h^l, the Phi outputs phi(h^l), and each Phi's gain is E[phi'(h^l)^2]
    dense, phi = Dense(float(np.sqrt(sw2[0])), float(np.sqrt(sb2[0]))), Phi(a)
    prop = propagate(serial(*((dense, phi) * int(depth))), q0=q0)
    chi = sw2[0] * prop.gain[1::2]
    ratio = np.append(np.cumprod(chi[-2::-1])[::-1], 1.0) if depth > 1 else np.ones(1)
    return Layerwise(prop.q[0::2], prop.q[1::2], chi, ratio)
