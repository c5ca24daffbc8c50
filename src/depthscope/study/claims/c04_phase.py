"""Claim 4: the "deterministic map" — which initial (sigma_w, sigma_b) vanish or explode."""

from __future__ import annotations

import numpy as np

from depthscope.report.figures import plot
from depthscope.simulate.products import network_products
from depthscope.study import stats
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table, graded

INFO = ClaimInfo(
    "4", QA,
    "A deterministic model (map) can tell which initial weights lead to vanishing (or "
    "exploding) gradients.",
    "Mean-field theory's map (Poole et al. 2016; Schoenholz et al. 2017): the gradient norm "
    "through L layers scales as chi_1^(L/2), so chi_1 < 1 predicts vanishing and chi_1 > 1 "
    "exploding. Checked against sampled tanh nets at init over a (sigma_w, sigma_b) grid: "
    "median log10 ||J t|| (J = dh^L/dh^0, t a random unit vector) of several nets per point, "
    "one vectorised Monte Carlo. Agreement is scored where theory predicts at least a "
    "factor 10 either way.",
)
ACT = "tanh"


def agreement(predicted: np.ndarray, measured: np.ndarray) -> tuple[float, int]:
    """Fraction of clear predictions (|predicted log10| ≥ 1) whose sign the nets match."""
    clear = np.abs(predicted) >= 1.0
    if not np.any(clear):
        return float("nan"), 0
    return float(np.mean(np.sign(predicted[clear]) == np.sign(measured[clear]))), int(clear.sum())


RULE = ("Scored at the grid points where theory predicts at least a factor 10 either way: "
        "holds if the sampled nets' sign matches at ≥ 90 % of them, holds with caveats from "
        "70 %, does not hold below.")


def decide(score: float, points: int) -> tuple[str, str]:
    """Holds if the map's sign is right at ≥ 90 % of clear points; caveats from 70 %."""
    if points == 0 or not np.isfinite(score):
        return "not evaluated", "no grid point where theory predicts a clear effect."
    text = (f"theory's map predicts vanishing vs exploding correctly at {score:.0%} of the "
            f"{points} grid points where it predicts at least a factor 10")
    return graded(score, 0.9, 0.7, text)


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory import chi1

    p = ctx.profile
    sw = np.linspace(0.5, 4.0, p.phase_grid)
    sb = np.linspace(0.0, 2.0, p.phase_grid)
    SW, SB = np.meshgrid(sw, sb, indexing="xy")  # (B, W)
    per = max(4, p.mc_nets // 32)
    nets = network_products(ACT, (p.phase_depth,), SW.size * per, p.mc_width,
                            np.repeat(SW.ravel(), per), np.repeat(SB.ravel(), per),
                            device=ctx.device, seed=1)
    measured = np.median(nets.jacobian.log10_g[:, 0].reshape(SW.size, per), axis=1)
    measured = measured.reshape(SW.shape)  # (B, W)
    predicted = 0.5 * p.phase_depth * np.log10(np.asarray(chi1(ACT, SW, SB)))  # (B, W)
    score, points = agreement(predicted, measured)
    verdict, why = decide(score, points)
    right = np.sign(predicted) == np.sign(measured)
    clear = np.abs(predicted) >= 1.0
    parts = {"clear points": stats.proportion(int(right[clear].sum()), int(clear.sum())),
             "near the boundary": stats.proportion(int(right[~clear].sum()),
                                                   int((~clear).sum())),
             "the whole grid": stats.proportion(int(right.sum()), right.size)}
    why += (" With 95 % Clopper-Pearson intervals: " + "; ".join(
        f"{name} {iv.text()} (of {n})" for (name, iv), n in zip(
            parts.items(), (int(clear.sum()), int((~clear).sum()), right.size), strict=True))
        + " — near the boundary (theory within a factor 10 either way) the sampled nets' "
        "median can fall on either side, which the rule does not score.")

    def draw(axes: np.ndarray) -> None:
        lim = max(np.nanmax(np.abs(predicted)), 1.0)
        for ax, data, title in ((axes[0, 0], predicted, "theory: (L/2) log10 chi_1"),
                                (axes[0, 1], measured, "sampled nets: median log10 ||J t||")):
            mesh = ax.pcolormesh(sw, sb, np.clip(data, -lim, lim), cmap="RdBu_r",
                                 vmin=-lim, vmax=lim, shading="nearest")
            ax.contour(sw, sb, predicted, levels=[0.0], colors="k", linewidths=1.5)
            ax.figure.colorbar(mesh, ax=ax)
            ax.set(xlabel="sigma_w", ylabel="sigma_b", title=title)

    fig = plot("claim04_phase", f"{ACT}, depth {p.phase_depth}: predicted and measured "
               "log10 gradient ratio (blue: vanishing, red: exploding); the black line is "
               "theory's edge of chaos chi_1 = 1.", draw, ncols=2)
    rows = tuple((float(SW.flat[i]), float(SB.flat[i]), float(predicted.flat[i]),
                  float(measured.flat[i]), bool(clear.flat[i]), bool(right.flat[i]))
                 for i in range(SW.size))
    table = Table("Every grid point: predicted vs measured log10 gradient ratio",
                  ("sigma_w", "sigma_b", "theory", "sampled nets (median)", "clear",
                   "same sign"), rows)
    return INFO.result(verdict, why, figures=[fig], tables=[table], rule=RULE,
                       numbers={"agreement": score, "clear grid points": points},
                       key=f"theory right at {parts['clear points'].text()} of {points} clear "
                           f"grid points, {parts['near the boundary'].text()} near the "
                           "boundary",
                       intervals={name: iv.to_json() for name, iv in parts.items()})
