"""Schoenholz et al. 2017: trainable depth of tanh nets over sigma_w^2, against 6·xi_c."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from depthscope.report.figures import plot
from depthscope.study.claims import PAPERS, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import run, trainable
from depthscope.study.result import ClaimResult, Table, graded
from depthscope.train.config import RunConfig

INFO = ClaimInfo(
    "schoenholz", PAPERS + ": Schoenholz et al. 2017 (deep information propagation)",
    "Random tanh nets are trainable roughly when their depth is below 6·xi_c, the "
    "correlation depth scale, which diverges at the edge of chaos (sigma_w² ≈ 1.76 for "
    "sigma_b² = 0.05).",
    "Train tanh MLPs (Gaussian init, sigma_b² = 0.05) over a grid of sigma_w² in [1, 4] and "
    "depths on digits (their MNIST, scaled down: narrow, few steps, one seed per cell); "
    "measured trainable depth = deepest depth that trains (half way from chance to the best "
    "accuracy reached in this experiment); compare with theory's 6·xi_c "
    "(Spearman rank correlation of the two over sigma_w², with 6·xi_c capped at the deepest "
    "depth tried).",
)
SIGMA_B2 = 0.05


def configs(ctx: Context) -> list[RunConfig]:
    p = ctx.profile
    return [RunConfig(dataset=p.datasets[0], activation="tanh", init="gaussian",
                      sigma_w=math.sqrt(s2), sigma_b=math.sqrt(SIGMA_B2), depth=d,
                      width=p.width, steps=p.schoenholz_steps, batch_size=p.batch_size,
                      record_every=p.schoenholz_steps, optimizer="momentum", lr=p.lr, seed=0)
            for s2 in p.schoenholz_sigma_w2 for d in p.schoenholz_depths]


def decide(measured: list[int], predicted: list[float], deepest: int) -> tuple[str, str]:
    """Spearman correlation of measured and (capped) predicted depth: ≥ 0.7 holds."""
    capped = [min(p, deepest) for p in predicted]
    if len(set(measured)) < 2 or len(set(capped)) < 2:
        return "holds with caveats", (
            f"measured trainable depths {measured} or predicted {capped} do not vary over "
            "sigma_w², so their agreement cannot be ranked.")
    rho = float(stats.spearmanr(measured, capped).statistic)
    text = f"Spearman correlation of measured and predicted trainable depth: {rho:.2f}"
    return graded(rho, 0.7, 0.3, text, " (weak agreement at this scale)")


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory import depth_scales

    p = ctx.profile
    sw2 = np.array(p.schoenholz_sigma_w2)
    scales = depth_scales("tanh", np.sqrt(sw2), math.sqrt(SIGMA_B2))
    predicted = [float(v) for v in np.broadcast_to(6.0 * np.asarray(scales.xi_c), sw2.shape)]
    runs, _ = run(ctx, configs(ctx))
    runs = runs.assign(trainable=trainable(runs), sw2=np.round(runs["sigma_w"] ** 2, 6))
    measured, rows = [], []
    for s2, pred in zip(sw2, predicted, strict=True):
        sel = runs[np.isclose(runs["sw2"], s2)]
        ok = sel[sel["trainable"]]["depth"]
        depth = int(ok.max()) if len(ok) else 0
        measured.append(depth)
        rows.append((float(s2), depth, pred))
    verdict, why = decide(measured, predicted, max(p.schoenholz_depths))
    grid = runs.pivot_table(index="depth", columns="sw2", values="best_val_accuracy")

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        mesh = ax.pcolormesh(grid.columns, grid.index, grid.to_numpy(), shading="nearest",
                             vmin=0, vmax=1)
        ax.figure.colorbar(mesh, ax=ax, label="best val. accuracy")
        ax.plot(sw2, np.minimum(predicted, 1.25 * max(p.schoenholz_depths)), "w--", lw=2,
                label="6·xi_c (theory)")
        ax.plot(sw2, measured, "r^", label="measured trainable depth")
        ax.set(xlabel="sigma_w²", ylabel="depth (hidden layers)", yscale="log",
               ylim=(min(p.schoenholz_depths) / 1.3, max(p.schoenholz_depths) * 1.3),
               title="tanh, sigma_b² = 0.05")
        ax.legend(fontsize=7, loc="lower right")

    fig = plot("schoenholz_depth", "Best validation accuracy over depth and sigma_w² with "
               "theory's 6·xi_c (dashed) and the measured trainable depth (triangles).", draw,
               width=6.0, height=4.2)
    table = Table("Trainable depth over sigma_w² (sigma_b² = 0.05)",
                  ("sigma_w²", "measured", "theory 6·xi_c"), tuple(rows))
    key = (f"measured trainable depth {measured} against 6·xi_c "
           f"{[round(v, 1) for v in predicted]} over sigma_w² (one seed per cell)")
    return INFO.result(verdict, why, figures=[fig], tables=[table], key=key)
