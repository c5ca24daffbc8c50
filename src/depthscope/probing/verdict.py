"""The probe's verdict: the phase from the APJN's gain, where gradient and signal run away,
and fixes computed for this model (critical init per activation, a residual-branch scale)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn

from depthscope.probing.report import UnitReport, Verdict

CRITICAL_BAND = 10.0  # first/last APJN within [1/10, 10]: critical (the gradient moves < 10x)
EVENT = 1e3  # a 1000-fold change in gradient or signal norm is "vanished"/"exploded"
TOTAL_GAIN_TARGET = 2.0  # a residual stack's branch scale keeps its total gain within this
SIGMA_W_TOLERANCE = 0.05  # a layer more than 5 % off its critical sigma_w gets a fix line


def _gradient_event(units: Sequence[UnitReport]) -> str | None:
    for u in reversed(units):
        ratio = u.gradient_ratio
        if math.isfinite(ratio) and (ratio < 1 / EVENT or ratio > EVENT):
            word = "shrank" if ratio < 1 else "grew"
            return (f"the gradient {word} {EVENT:.0e}-fold (norm ratio {ratio:.3g}) by "
                    f"{u.name} (unit {u.index}), counting back from the output")
    return None


def _signal_event(units: Sequence[UnitReport], reference_rms: float) -> str | None:
    if not (math.isfinite(reference_rms) and reference_rms > 0):
        return None
    for u in units:
        rms = math.sqrt(u.forward.second_moment)
        if rms < reference_rms / EVENT or rms > reference_rms * EVENT:
            word = "collapsed" if rms < reference_rms else "blew up"
            return (f"the signal {word} (RMS {rms:.3g} vs the input's {reference_rms:.3g}) at "
                    f"{u.name} (unit {u.index})")
    return None


def _residual_fix(units: Sequence[UnitReport]) -> tuple[float, str] | None:
    """``alpha`` with ``(1 + alpha^2 (g - 1))^n <= 2``: a residual block's gain is ``1 +
    (branch gain)``, scaling the branch by ``alpha`` multiplies the branch part by
    ``alpha^2`` (Yang & Schoenholz 2017; Hayou et al. 2021)."""
    blocks = [u for u in units if math.isfinite(u.forward.change_variance)
              and math.isfinite(u.apjn) and u.apjn > 0]
    if len(blocks) < 2:
        return None
    gain = (blocks[0].apjn / blocks[-1].apjn) ** (1 / (len(blocks) - 1))
    if gain <= TOTAL_GAIN_TARGET ** (1 / len(blocks)):
        return None
    n = len(blocks)
    alpha = math.sqrt((TOTAL_GAIN_TARGET ** (1 / n) - 1) / (gain - 1))
    return alpha, (f"scale each of the {n} residual branches by alpha = {alpha:.3g} (their "
                   f"per-block gradient gain is {gain:.4g}; 1 + alpha² × {gain - 1:.3g} per "
                   f"block keeps the stack's total gain within {TOTAL_GAIN_TARGET:g}; Hayou et "
                   "al. 2021)")


def _batchnorm_fix(model: nn.Module) -> str | None:
    """BatchNorm fixes each layer's scale, so ``sigma_w`` cannot; with batch statistics its
    gradients grow with depth at init (Yang et al. 2019, "A mean field theory of batch
    normalization")."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return None
    return (f"the {len(norms)} BatchNorm layers set every layer's scale, so no sigma_w (and "
            "not critical_) changes this; with batch statistics BatchNorm's gradients grow "
            "with depth at init (Yang et al. 2019): use residual blocks with a scaled branch "
            "(probe them for alpha) or a per-example normalisation (LayerNorm, GroupNorm)")


def _init_fixes(model: nn.Module) -> list[str]:
    """For each known activation feeding weight layers: its critical sigma_w (at sigma_b = 0)
    against the layers' measured sigma_w, where they differ by more than 5 %."""
    from depthscope.errors import DepthscopeError
    from depthscope.fix.detect import layer_activations, sigma_of
    from depthscope.theory import critical_sigma_w

    found: dict[str, tuple[float, list[float]]] = {}
    for layer in layer_activations(model):
        step = layer.governing
        if step is None or step.activation is None:
            continue
        act = step.activation
        if act.label not in found:
            try:
                found[act.label] = (float(critical_sigma_w(act, 0.0)), [])
            except DepthscopeError:
                continue
        found[act.label][1].append(sigma_of(layer.module)[0])
    out = []
    for label, (critical, measured) in found.items():
        worst = max(measured, key=lambda s: abs(s / critical - 1))
        if abs(worst / critical - 1) > SIGMA_W_TOLERANCE:
            out.append(f"critical_(model): the {len(measured)} layers fed by {label} have "
                       f"sigma_w up to {worst:.3g}; the edge of chaos is {critical:.4g} "
                       "(sigma_b = 0)")
    return out


def verdict(model: nn.Module, units: Sequence[UnitReport], reference_rms: float) -> Verdict:
    """The :class:`Verdict` of a probe's units."""
    measured = [u for u in units if math.isfinite(u.apjn) and u.apjn > 0]
    if len(measured) < 2:
        return Verdict("unmeasured", math.nan, math.nan, None,
                       _signal_event(units, reference_rms),
                       ("fewer than two units reach the output through autograd",))
    total = measured[0].apjn / measured[-1].apjn
    per_unit = total ** (1 / (len(measured) - 1))
    phase = ("critical" if 1 / CRITICAL_BAND <= total <= CRITICAL_BAND
             else "ordered (gradients vanish towards the input)" if total < 1
             else "chaotic (gradients explode towards the input)")
    fixes: list[str] = []
    alpha = None
    if not phase.startswith("critical"):
        residual = _residual_fix(units)  # a residual stack: its branch scale, not sigma_w
        alpha = residual[0] if residual else None
        batchnorm = _batchnorm_fix(model)
        fixes += ([residual[1]] if residual else [batchnorm] if batchnorm
                  else _init_fixes(model))
        if not fixes:
            fixes.append("no known activation or residual stack to adjust: add a "
                         "normalisation layer per block, or transform the activations "
                         "(depthscope.theory.tat_transform)")
    else:
        fixes.append(f"none needed: the gradient changes less than {CRITICAL_BAND:g}-fold "
                     "over the depth")
    return Verdict(phase, per_unit, total, _gradient_event(units),
                   _signal_event(units, reference_rms), tuple(fixes), alpha)
