"""How often gradients vanish at finite width: a log-normal model of ``||J t||`` at init.

The Q&A asks for "a probabilistic model that tells how often vanishing happens". For a net
of width ``n`` with Gaussian weights ``W_ij ~ N(0, sigma_w^2/n)``, inputs ``h^0 ~ N(0, q0)``
and ``h^l = W^l phi(h^{l-1}) + b^l``, a unit vector ``t`` at the input is carried by
``J = dh^L/dh^0`` as ``t^l = W^l (phi'(h^{l-1}) * t^{l-1})``. One layer multiplies
``||t||^2`` by two independent factors (given the layer's input):

* ``||phi'(h) * u||^2`` for the unit vector ``u = t/||t||``, whose coordinates are close to
  Gaussian, so ``sum_i u_i^4 ≈ 3/n``: mean ``D(q) = E[phi'(sqrt(q) z)^2]`` and relative
  variance ``3 kappa(q) / n`` with ``kappa = E[phi'^4] / E[phi'^2]^2 - 1``;
* ``||W v||^2 / (sigma_w^2 ||v||^2) ~ chi^2_n / n``: ``E log = psi(n/2) - log(n/2)``,
  ``Var log = psi'(n/2)`` (digamma, trigamma; ≈ -1/n and 2/n).

With ``q^0 = q0``, ``q^l = sigma_w^2 E[phi(sqrt(q^{l-1}) z)^2] + sigma_b^2`` (mean field,
Poole et al. 2016) and the layers' factors independent, ``log ||J t||^2`` is a sum of ``L``
independent terms, so by the central limit theorem approximately normal with

    mean = sum_l [log(sigma_w^2 D(q^{l-1})) - 3 kappa(q^{l-1}) / (2n) + psi(n/2) - log(n/2)]
    var  = sum_l [3 kappa(q^{l-1}) / n + psi'(n/2)]

(the first term's mean by the delta method). For ReLU ``kappa = 1``, so the variance is
``≈ 5 L / n``: Hanin & Nica 2019's result that ``log ||J||^2`` of a ReLU net is log-normal
with variance ``∝ sum_l 1/n_l`` (their constant 5). The model neglects the fluctuation of
``q^l`` itself at finite width and the dependence between ``h`` and ``t`` across layers; the
study checks it against sampled nets (calibration).

``P(||J t|| < 10^-k) = Phi((-k - m) / s)`` with ``m, s`` the mean and standard deviation of
``log10 ||J t|| = log ||J t||^2 / (2 ln 10)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from depthscope.errors import DepthscopeError
from depthscope.theory.gauss import expect
from depthscope.theory.maps import ActLike, as_activation, moments
from depthscope.theory.network import Dense, Phi, propagate, repeat, serial


@dataclass(frozen=True)
class GradientDistribution:
    """``log10 ||J t||`` at init ~ Normal(``mean``, ``sd``²), per depth ``1..L``."""

    mean: np.ndarray  # (L,)
    sd: np.ndarray  # (L,)

    def p_vanish(self, k: float) -> np.ndarray:
        """``P(||J t|| < 10^-k)`` per depth."""
        return stats.norm.cdf((-k - self.mean) / self.sd)

    def p_explode(self, k: float) -> np.ndarray:
        """``P(||J t|| > 10^k)`` per depth."""
        return stats.norm.sf((k - self.mean) / self.sd)


def gradient_distribution(act: ActLike, sigma_w: float, sigma_b: float, depth: int,
                          width: int, q0: float = 1.0) -> GradientDistribution:
    """The module's log-normal model of ``||J t||`` for every depth up to ``depth``.

    Example: ``gradient_distribution("relu", 2**0.5, 0.0, 50, 64).p_vanish(2)[-1]``.
    """
    a = as_activation(act)
    if int(depth) != depth or depth < 1 or int(width) != width or width < 1:
        raise DepthscopeError(f"depth and width must be integers >= 1, got {depth!r}, "
                              f"{width!r}")
    if not (sigma_w > 0 and sigma_b >= 0 and q0 > 0):
        raise DepthscopeError(f"need sigma_w > 0, sigma_b >= 0, q0 > 0; got {sigma_w!r}, "
                              f"{sigma_b!r}, {q0!r}")
    n, sw2 = float(width), float(sigma_w) ** 2
    chi_mean = special.digamma(n / 2) - math.log(n / 2)
    chi_var = special.polygamma(1, n / 2)
    block = serial(Phi(a), Dense(float(sigma_w), float(sigma_b)))
    q = np.array([float(q0)] + ([] if depth == 1 else
                                list(propagate(repeat(block, int(depth) - 1), q0).q)))
    _, d2, _ = moments(a, q)  # E[phi'^2] at each layer's input
    d4 = expect(a, lambda u: a.dphi(u) ** 4, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(d2 > 0, d4 / d2**2 - 1.0, 0.0)
        step_mean = np.log(sw2 * d2) - 1.5 * kappa / n + chi_mean
    step_var = 3.0 * kappa / n + chi_var
    scale = 2.0 * math.log(10.0)
    return GradientDistribution(np.cumsum(step_mean) / scale,
                                np.sqrt(np.cumsum(step_var)) / scale)
