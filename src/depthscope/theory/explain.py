"""Everything the theory says about one activation, gathered for ``depthscope explain``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from depthscope.errors import DepthscopeError
from depthscope.theory.edge import critical_sigma_w
from depthscope.theory.layerwise import Layerwise, layerwise
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.meanfield import DepthScales, depth_scales
from depthscope.theory.spectrum import JacobianSpectrum, jacobian_spectrum
from depthscope.theory.thresholds import Thresholds, thresholds
from depthscope.theory.transform import critical_transform


@dataclass(frozen=True)
class Explanation:
    """Thresholds, critical point, depth scales, layer profile and Jacobian spectra."""

    activation: str
    network: str  # "plain MLP" or "residual MLP (alpha = ..., pre-LayerNorm)"
    summary: str  # what the numbers mean, in one sentence
    thresholds: Thresholds | None  # the Q&A's thresholds of phi(scale x), when a scale is given
    sigma_w: float
    sigma_b: float
    sigma_w_source: str  # "given", "critical" or "default (no edge of chaos)"
    critical_sigma_w: float | None
    depth_scales: DepthScales  # of the plain MLP at (sigma_w, sigma_b): a residual net's branch
    layerwise: Layerwise
    spectrum_gaussian: JacobianSpectrum
    spectrum_orthogonal: JacobianSpectrum
    transform: dict | None  # critical_transform(act) at q* = 1: label and parameters
    shaped: dict | None = None  # DKS/TAT for this depth (``transform="dks"|"tat"``)


#: the default bias std: sigma_b² = 0.05, the study's point (q* > 0 for odd activations, so
#: the mean field is not the degenerate q* = 0 of sigma_b = 0)
DEFAULT_SIGMA_B = math.sqrt(0.05)


def summary(act: str, sigma_w: float, sigma_b: float, phase: str, lw: Layerwise,
            trainable_depth: float, network: str = "plain MLP") -> str:
    """One sentence: the phase and what the layer-by-layer profile does to the gradient."""
    ratio = float(lw.grad_norm_ratio[0])  # ||delta^1|| / ||delta^L||
    depth = len(lw.q)
    change = (f"shrinks {1 / ratio:.3g}×" if ratio < 1 else f"grows {ratio:.3g}×")
    if network != "plain MLP":
        return (f"A {network} of {act} with branches at sigma_w = {sigma_w:.4g}, sigma_b = "
                f"{sigma_b:.4g} (a plain MLP there is {phase}): from the last of {depth} "
                f"layers back to the first the gradient {change} (from inputs with E x² = 1); "
                "the residual stream has no fixed point (each block adds alpha² times its "
                "branch's q), so depth scales do not apply and this gain is the number to "
                "watch (alpha ∝ 1/√depth keeps it bounded).")
    limit = ("the mean field sets no depth limit (xi_c diverges), so finite width and "
             "training set it" if math.isinf(trainable_depth) else
             f"theory's trainable depth 6·xi_c is {trainable_depth:.3g} layers"
             if math.isfinite(trainable_depth) else "no fixed point")
    return (f"{act} at sigma_w = {sigma_w:.4g}, sigma_b = {sigma_b:.4g} is {phase}: from the "
            f"last of {depth} layers back to the first the gradient {change} (from inputs "
            f"with E x² = 1), and {limit}.")


def explain(act: ActLike, *, scale: float | None = None, sigma_w: float | None = None,
            sigma_b: float = DEFAULT_SIGMA_B, depth: int = 50, q0: float = 1.0,
            residual: bool = False, alpha: float = 1.0, layernorm: bool = False,
            transform: str | None = None) -> Explanation:
    """The full analysis; ``sigma_w=None`` uses the critical value at ``sigma_b``; the Q&A's
    thresholds of ``phi(scale x)`` only when ``scale`` is given (they concern the scaled
    function, the mean field the activation itself). ``residual`` (with ``alpha``,
    ``layernorm``): the layer profile is the residual MLP's (:func:`layerwise`); the depth
    scales and spectra stay the plain MLP's at the same sigmas (the branch's).
    ``transform`` ("dks" or "tat"): the depth-aware transform of ``act`` for an MLP of
    ``depth`` layers (:func:`shaped_summary`).

    Raises :class:`DepthscopeError` for bad input or when the setting has no fixed point.
    """
    a = as_activation(act)
    if transform not in (None, "dks", "tat"):
        raise DepthscopeError(f"transform must be 'dks' or 'tat', got {transform!r}")
    try:
        crit: float | None = float(critical_sigma_w(a, sigma_b))
    except DepthscopeError:
        crit = None
    if sigma_w is None:
        sw, source = (crit, "critical") if crit is not None else (1.0, "default (no edge)")
    else:
        sw, source = float(sigma_w), "given"
    scales = depth_scales(a, sw, sigma_b)
    try:
        ct = critical_transform(a)
        critical: dict | None = {"activation": ct.activation.label, "scale": ct.scale,
                                  "shift": ct.shift, "gain": ct.gain, "offset": ct.offset}
    except DepthscopeError:
        critical = None
    profile = layerwise(a, sw, sigma_b, depth, q0, residual=residual, alpha=alpha,
                        layernorm=layernorm)
    network = (f"residual MLP (alpha = {alpha:.4g}{', pre-LayerNorm' if layernorm else ''})"
               if residual else "plain MLP")
    shaped = None if transform is None else shaped_summary(a, transform, depth)
    return Explanation(
        a.label, network, summary(a.label, sw, float(sigma_b), str(scales.phase), profile,
                                  float(scales.trainable_depth), network),
        None if scale is None else thresholds(a, scale=scale, depth=depth), sw,
        float(sigma_b), source, crit, scales, profile,
        jacobian_spectrum(a, sw, sigma_b, depth, "gaussian"),
        jacobian_spectrum(a, sw, sigma_b, depth, "orthogonal"), critical, shaped,
    )


def shaped_summary(act: ActLike, method: str, depth: int) -> dict:
    """DKS (``method="dks"``) or TAT (``"tat"``; rectifiers: TReLU) of ``act`` for an MLP of
    ``depth`` layers, as a table's rows: parameters, then the local and network invariants."""
    from depthscope.theory.shaping import depth_transform

    shaped = depth_transform(act, method, depth)
    return {"method": shaped.method, "activation": shaped.activation.label,
            "rows": dict(shaped.rows())}
