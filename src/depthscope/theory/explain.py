"""Everything the theory says about one activation, gathered for ``depthscope explain``."""

from __future__ import annotations

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
    thresholds: Thresholds
    sigma_w: float
    sigma_b: float
    sigma_w_source: str  # "given", "critical" or "default (no edge of chaos)"
    critical_sigma_w: float | None
    depth_scales: DepthScales
    layerwise: Layerwise
    spectrum_gaussian: JacobianSpectrum
    spectrum_orthogonal: JacobianSpectrum
    transform: dict | None  # critical_transform(act) at q* = 1: label and parameters


def explain(act: ActLike, *, scale: float = 2.0, sigma_w: float | None = None,
            sigma_b: float = 0.0, depth: int = 50, q0: float = 1.0) -> Explanation:
    """The full analysis; ``sigma_w=None`` uses the critical value at ``sigma_b``.

    Raises :class:`DepthscopeError` for bad input or when the setting has no fixed point.
    """
    a = as_activation(act)
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
        transform: dict | None = {"activation": ct.activation.label, "scale": ct.scale,
                                  "shift": ct.shift, "gain": ct.gain, "offset": ct.offset}
    except DepthscopeError:
        transform = None
    return Explanation(
        a.label, thresholds(a, scale=scale, depth=depth), sw, float(sigma_b), source, crit,
        scales, layerwise(a, sw, sigma_b, depth, q0),
        jacobian_spectrum(a, sw, sigma_b, depth, "gaussian"),
        jacobian_spectrum(a, sw, sigma_b, depth, "orthogonal"), transform,
    )
