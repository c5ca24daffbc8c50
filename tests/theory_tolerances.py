"""Tolerances of the theory checks that every registered activation gets, in one place (the
shared suite: ``tests/theory/test_theory_quadrature.py`` and
``tests/simulate/test_simulate_finite.py``; a newly registered activation gets both)."""

from __future__ import annotations

import numpy as np

from depthscope.activations import Activation
from depthscope.theory.gauss import expect

#: split Gauss-Legendre expectations vs scipy's adaptive quadrature (relative, absolute)
QUADRATURE = (1e-9, 1e-14)

#: sampled-net checks: standard deviations of the predicted finite-width spread allowed, and
#: the mean-field limit's own O(1/width) bias allowed on top
SAMPLED_SDS = 4.0
SAMPLED_BIAS = 0.01


def sampled_net_tolerance(act: Activation, sigma_w: float, q: np.ndarray, width: int,
                          nets: int) -> tuple[np.ndarray, np.ndarray]:
    """Relative tolerances per layer for the mean over ``nets`` sampled nets of ``q^l`` and of
    ``||delta^l||^2 / ||delta^L||^2``, from the finite-width spread the activation predicts.

    A layer multiplies ``q`` by a random factor of relative variance ``v_l = (a_l^2 (kappa_l -
    1) + 2) / n``: ``kappa_l = E phi^4 / (E phi^2)^2`` at ``q^{l-1}`` (the sum over ``n``
    units), ``a_l = sigma_w^2 E phi^2 / q^l`` (the bias, inside ``q``, does not fluctuate) and
    ``2/n`` from the Gaussian weights' chi-square; the first layer's is ``4/n`` (Gaussian input
    and weights). A perturbation of ``log q^{l-1}`` reaches ``log q^l`` times the length map's
    slope ``r_l = sigma_w^2 (d E phi^2 / dq) q^{l-1} / q^l``, so ``var_l = r_l^2 var_{l-1} +
    v_l``. A backward layer multiplies ``||delta||^2`` by a factor of relative variance ``(3
    kappa'_l - 1) / n``, ``kappa'_l = E phi'^4 / (E phi'^2)^2`` (Hanin & Nica 2019: ``L (2 + 3
    kappa) / n`` in all); the ratio to the last layer sums the layers in between. Inputs of one
    net share its weights, so each net counts once (conservative: the gradients' spread measures
    2-10 times below these tolerances). Returns ``SAMPLED_SDS`` standard deviations (over
    ``nets``) plus ``SAMPLED_BIAS``.
    """
    q_in = np.concatenate([[np.nan], q[:-1]])  # variance of h^{l-1}; layer 1 reads the input

    def moment(f, at):
        return expect(act, f, np.asarray(at, float))

    phi2, phi4 = moment(lambda u: act.phi(u) ** 2, q_in[1:]), moment(lambda u: act.phi(u) ** 4,
                                                                        q_in[1:])
    step = 1e-4  # d E[phi^2] / dq by central differences (phi'' has Dirac masses at kinks)
    slope = (moment(lambda u: act.phi(u) ** 2, q_in[1:] * (1 + step))
             - moment(lambda u: act.phi(u) ** 2, q_in[1:] * (1 - step))) / (2 * step * q_in[1:])
    share = sigma_w**2 * phi2 / q[1:]
    v_q = np.concatenate([[4.0], share**2 * (phi4 / phi2**2 - 1.0) + 2.0]) / width
    r = np.concatenate([[0.0], sigma_w**2 * slope * q_in[1:] / q[1:]])
    var_q = np.zeros_like(q)
    for layer in range(len(q)):
        var_q[layer] = (r[layer] ** 2 * var_q[layer - 1] if layer else 0.0) + v_q[layer]
    d2, d4 = moment(lambda u: act.dphi(u) ** 2, q), moment(lambda u: act.dphi(u) ** 4, q)
    v_g = (3.0 * d4 / d2**2 - 1.0) / width  # backward through layer l's phi' and W^{l+1}
    var_g = np.concatenate([np.cumsum(v_g[-2::-1])[::-1], [0.0]])  # layers l .. L - 1

    def tolerance(var):
        return SAMPLED_SDS * np.sqrt(var / nets) + SAMPLED_BIAS

    return tolerance(var_q), tolerance(var_g)
