"""Pennington, Schoenholz & Ganguli 2017: dynamical isometry at initialisation (no training).

The input-output Jacobian ``J = D^L W^L ... D^1 W^1`` of a random net at the edge of chaos has
``E[lambda] = 1`` for the eigenvalues ``lambda`` of ``J J^T``; their variance is (free
probability, the paper's eqs. 13-17, :func:`depthscope.theory.jacobian_spectrum`)::

    var(lambda) = L (mu2 / mu1^2 - 1 - s1),   mu_k = E[phi'(h)^{2k}],
    s1 = -1 (Gaussian W), 0 (orthogonal W)

ReLU has ``mu2/mu1^2 = 2`` whatever q: ``var = 2L`` (Gaussian) or ``L`` (orthogonal). tanh with
orthogonal weights and a small fixed point q* has ``mu2/mu1^2 - 1 -> 0``: the variance stays
O(1) at depths where every other case has grown like L. This answers the Q&A's "will the
product of derivatives stay near 1?" for whole Jacobians, not single paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from depthscope.report.figures import plot
from depthscope.study.claims import PAPERS, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table
from depthscope.study.stats import Interval, bootstrap, side

TANH_SIGMA_B2 = 1e-6  # small q*: the paper's isometric regime (q* = 0.0093 at the edge)
Q_STAR_SWEEP = (1e-6, 1e-4, 1e-2)  # sigma_b^2 for the theory-only q* dependence
SMALLEST_SV = 1e-16  # singular values below (float64 round-off of a rank-deficient J) drawn here
ISOMETRIC_BELOW = 1.0  # var(lambda) <= 1: eigenvalues spread no more than their mean (1)
RULE = (
    "At the deepest depth L, with a 95 % bootstrap interval over sampled networks: orthogonal "
    f"tanh at the edge of chaos with small q* (sigma_b² = {TANH_SIGMA_B2:g}) is isometric if "
    f"the interval of var(λ) of JJᵀ lies at or below {ISOMETRIC_BELOW:g}; Gaussian tanh (same "
    "sigma_w, sigma_b), Gaussian ReLU and orthogonal ReLU (sigma_w² = 2, sigma_b = 0) are not "
    f"isometric if theirs lies above {ISOMETRIC_BELOW:g}. holds: all four as predicted; "
    "inconclusive: an interval straddles the threshold and none is on the wrong side; does not "
    "hold: an interval on the wrong side."
)
INFO = ClaimInfo(
    "pennington", PAPERS + ": Pennington, Schoenholz & Ganguli 2017 (dynamical isometry)",
    "At the edge of chaos, tanh nets with orthogonal weights and small q* keep the whole "
    "input-output Jacobian's singular values near 1 at any depth (dynamical isometry); with "
    "Gaussian weights, and for ReLU with either, their spread grows linearly with depth.",
    "At initialisation, no training: the mean and variance of the eigenvalues λ of JJᵀ from "
    "free probability (theory.jacobian_spectrum) beside sampled finite networks "
    "(theory.empirical_jacobian_spectrum: float64, inputs at q*, the SVD of J), for depths up "
    "to the profile's deepest; interval = percentile bootstrap over the sampled networks.",
)


@dataclass(frozen=True)
class Case:
    """One (activation, weights) configuration at the edge of chaos."""

    label: str
    activation: str
    weights: str
    sigma_w: float
    sigma_b: float
    q0: float | None  # input second moment (None: the fixed point q*)
    isometric: bool  # what the paper predicts


def cases() -> list[Case]:
    from depthscope.theory import critical_sigma_w

    sb = math.sqrt(TANH_SIGMA_B2)
    sw = float(critical_sigma_w("tanh", sb))
    return [Case("tanh, orthogonal", "tanh", "orthogonal", sw, sb, None, True),
            Case("tanh, Gaussian", "tanh", "gaussian", sw, sb, None, False),
            Case("ReLU, orthogonal", "relu", "orthogonal", math.sqrt(2), 0.0, 1.0, False),
            Case("ReLU, Gaussian", "relu", "gaussian", math.sqrt(2), 0.0, 1.0, False)]


def pooled_variance(eigenvalues: np.ndarray) -> Interval:
    """var(λ) pooled over every network's eigenvalues (rows), with its bootstrap interval
    over networks (the eigenvalues of one network are not independent; networks are)."""
    return bootstrap([eigenvalues.shape[0]], lambda idx: float(eigenvalues[idx].var()))


def decide(variances: dict[str, Interval], isometric: dict[str, bool], deepest: int
           ) -> tuple[str, str]:
    """The verdict of :data:`RULE` from each case's interval of var(λ) at the deepest depth."""
    wrong, unsure = [], []
    for label, iv in variances.items():
        where = side(iv, ISOMETRIC_BELOW)
        if where == "straddles":
            unsure.append(label)
        elif (where == "below") != isometric[label]:
            wrong.append(label)
    text = "; ".join(f"{label}: var(λ) = {iv.text()}" for label, iv in variances.items())
    if wrong:
        return "does not hold", (
            f"on the wrong side of {ISOMETRIC_BELOW:g}: {', '.join(wrong)} ({text}).")
    if unsure:
        return "inconclusive", (
            f"the interval straddles {ISOMETRIC_BELOW:g} for {', '.join(unsure)} ({text}).")
    return "holds", (f"only orthogonal tanh stays isometric to the deepest depth tried, "
                     f"L = {deepest} ({text}).")


def finite_width_note(rows: list[tuple], label: str, width: int, deepest: int,
                      theory_deepest: float) -> str:
    """How the sampled var(λ) of ``label`` compares with theory at each depth (``rows`` as
    in the section's table), and the depth where theory's var(λ), growing ∝ L, reaches the
    isometry threshold."""
    mine = [r for r in rows if r[0] == label]
    above = [r[1] for r in mine if r[6] > r[4]]  # interval wholly above theory
    below = [r[1] for r in mine if r[7] < r[4]]
    text = (f" Finite width: for {label} the sampled var(λ) lies above theory's with its "
            f"interval excluding it at L = {', '.join(map(str, above))} (width {width})"
            if above else f" For {label} the sampled var(λ) agrees with theory's")
    if below:
        text += f", below it at L = {', '.join(map(str, below))}"
    reach = deepest * ISOMETRIC_BELOW / theory_deepest if theory_deepest > 0 else math.inf
    return text + (f". Theory's var(λ) grows about ∝ L ({theory_deepest:.3g} at L = {deepest}) "
                   f"and would reach {ISOMETRIC_BELOW:g} near L ≈ {reach:.0f}: isometric at "
                   "the depths tried, not at any depth.")


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory import (
        critical_sigma_w,
        empirical_jacobian_spectrum,
        fixed_point,
        jacobian_spectrum,
    )

    p = ctx.profile
    depths, deepest = p.pennington_depths, max(p.pennington_depths)
    theory_depths = np.unique(np.geomspace(1, deepest, 24).round().astype(int))
    all_cases = cases()
    rows, theory, sampled, deep, spectra = [], {}, {}, {}, {}
    for case in ctx.track(all_cases, "Pennington: Jacobian spectra at init"):
        spectrum = {int(d): jacobian_spectrum(case.activation, case.sigma_w, case.sigma_b,
                                              int(d), case.weights, q0=case.q0)
                    for d in sorted({*theory_depths.tolist(), *depths})}
        theory[case.label] = [spectrum[int(d)].variance for d in theory_depths]
        sampled[case.label] = []
        for d in depths:
            eigenvalues = empirical_jacobian_spectrum(
                case.activation, case.sigma_w, case.sigma_b, d, case.weights,
                width=p.pennington_width, samples=p.pennington_samples, seed=d,
                device=ctx.device, q0=case.q0).eigenvalues  # (nets, width)
            iv = pooled_variance(eigenvalues)
            sampled[case.label].append(iv)
            rows.append((case.label, d, spectrum[d].mean, float(eigenvalues.mean()),
                         spectrum[d].variance, iv.estimate, iv.low, iv.high))
            if d == deepest:
                deep[case.label], spectra[case.label] = iv, eigenvalues
    verdict, why = decide(deep, {c.label: c.isometric for c in all_cases}, deepest)
    why += finite_width_note(rows, "tanh, orthogonal", p.pennington_width, deepest,
                             theory["tanh, orthogonal"][-1])
    sweep = []
    for sb2 in Q_STAR_SWEEP:
        sb = math.sqrt(sb2)
        sw = float(critical_sigma_w("tanh", sb))
        sweep.append((sb2, sw**2, float(fixed_point("tanh", sw, sb).q_star),
                      jacobian_spectrum("tanh", sw, sb, deepest, "orthogonal").variance))

    def draw(axes: np.ndarray) -> None:
        for (label, ivs), colour in zip(sampled.items(), ("C0", "C1", "C2", "C3"), strict=True):
            axes[0, 0].plot(theory_depths, theory[label], "-", color=colour, label=label)
            est = np.array([iv.estimate for iv in ivs])
            err = np.array([[iv.estimate - iv.low for iv in ivs],
                            [iv.high - iv.estimate for iv in ivs]])
            axes[0, 0].errorbar(depths, est, yerr=err, fmt="o", color=colour, capsize=3)
            singular = np.sort(np.sqrt(np.clip(spectra[label].ravel(), 0.0, None)))
            share = np.arange(1, singular.size + 1) / singular.size
            axes[0, 1].step(np.maximum(singular, SMALLEST_SV), share, where="post",
                            color=colour, label=label)
        axes[0, 0].axhline(ISOMETRIC_BELOW, color="grey", ls=":", lw=1)
        axes[0, 0].set(xscale="log", yscale="log", xlabel="depth L",
                       ylabel="var(λ), λ eigenvalue of JJᵀ",
                       title="spread of the Jacobian's spectrum")
        axes[0, 1].axvline(1.0, color="grey", ls=":", lw=1)
        axes[0, 1].set(xscale="log", xlabel="singular value σ of J",
                       ylabel="fraction of singular values ≤ σ",
                       title=f"distribution of J's singular values at L = {deepest}")
        axes[0, 0].legend(fontsize=7)
        axes[0, 1].legend(fontsize=7)

    fig = plot("pennington_isometry",
               "Left: variance of the eigenvalues λ of JJᵀ (J the input-output Jacobian at "
               "init, at the edge of chaos, mean of λ = 1) against depth; lines: free-"
               "probability theory, points: sampled networks of width "
               f"{p.pennington_width} with 95 % bootstrap intervals over "
               f"{p.pennington_samples} networks; dotted: the isometry threshold var = 1. "
               f"Right: the cumulative distribution of J's singular values at depth {deepest}, "
               f"values below {SMALLEST_SV:g} drawn at {SMALLEST_SV:g} (the paper's Fig. 1 "
               "shows their densities: orthogonal tanh concentrated at 1, the others spread "
               "over orders of magnitude).", draw, ncols=2)
    tables = [
        Table(f"Eigenvalues λ of JJᵀ at init (width {p.pennington_width}, "
              f"{p.pennington_samples} sampled networks per depth)",
              ("case", "L", "mean λ (theory)", "mean λ (sampled)", "var λ (theory)",
               "var λ (sampled)", "95 % low", "95 % high"), tuple(rows)),
        Table("Isometry needs small q*: orthogonal tanh at the edge of chaos, theory at "
              f"L = {deepest}", ("sigma_b²", "sigma_w²", "q*", f"var λ at L = {deepest}"),
              tuple(sweep)),
    ]
    iso = deep["tanh, orthogonal"]
    key = f"var(λ) at L = {deepest}, orthogonal tanh: {iso.text()}"
    return INFO.result(verdict, why, figures=[fig], tables=tables, key=key, rule=RULE,
                       intervals={label: iv.to_json() for label, iv in deep.items()})
