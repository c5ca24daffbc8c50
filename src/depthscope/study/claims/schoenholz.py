"""Schoenholz et al. 2017: trainable depth of tanh nets over sigma_w^2, against 6·xi_c.

Mean-field theory (Schoenholz et al. 2017, eq. 9) gives the correlation depth scale
``xi_c = -1 / log(sigma_w² E[phi'(u1) phi'(u2)])`` at the fixed point (q*, c*); their
experiments found random nets trainable roughly when ``L <= 6 xi_c``. ``xi_c`` diverges at the
edge of chaos (sigma_w² ≈ 1.76 for tanh at sigma_b² = 0.05) and is small deep in either phase,
so a grid of sigma_w² on both sides puts the boundary ``L = 6 xi_c`` inside a depth range this
machine can train.

Trainability follows the study's protocol (:mod:`depthscope.study.protocol`): lr tuned per
(sigma_w², depth) cell on tuning seeds, evaluation seeds at the chosen lr, and the absolute
rule against the depth-1 net of the same sigma_w². Scores (:func:`censored_spearman`,
:func:`boundary_accuracy`) carry 95 % intervals from resampling the evaluation seeds of every
sigma_w² independently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np
from scipy import stats as scipy_stats

from depthscope.report.figures import plot
from depthscope.study import protocol
from depthscope.study.claims import PAPERS, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import correct_counts, run, tune
from depthscope.study.result import ClaimResult, Table
from depthscope.study.stats import Interval, distribution, interval, side
from depthscope.train.config import RunConfig

SIGMA_B2 = 0.05
EDGE_SIGMA_W2 = 1.76  # tanh's edge of chaos at sigma_b² = 0.05 (chi_1 = 1)
TARGET = 0.8  # the reproduction's targets: Spearman rho and boundary accuracy
RULE = (
    "Scores, each with a 95 % bootstrap interval over the evaluation seeds (resampled within "
    "every sigma_w² independently): rho = Spearman correlation over sigma_w² of the measured "
    "trainable depth and 6·xi_c, not capped (a measured depth at the grid's top is censored: "
    "censored values tie with each other and rank above every other); boundary accuracy = "
    "share of (sigma_w², depth > 1) cells whose measured trainability (at least half of the "
    "seeds trainable) matches depth < 6·xi_c. holds: both intervals above "
    f"{TARGET:g}; does not hold: rho's interval at or below 0 or the accuracy's at or below "
    "0.5 (no better than a coin); holds with caveats: both intervals above those floors but "
    f"not both above {TARGET:g}; inconclusive otherwise."
)
INFO = ClaimInfo(
    "schoenholz", PAPERS + ": Schoenholz et al. 2017 (deep information propagation)",
    "Random tanh nets are trainable roughly when their depth is below 6·xi_c, the "
    "correlation depth scale, which diverges at the edge of chaos (sigma_w² ≈ 1.76 for "
    "sigma_b² = 0.05) and shrinks on both sides of it.",
    "Their design, scaled to this machine: tanh MLPs, Gaussian init with sigma_b² = 0.05 on "
    "every hidden layer (standard read-out), sigma_w² on both sides of the edge of chaos "
    "(where 6·xi_c falls inside the depths tried), a depth grid from 1, digits standing in "
    "for MNIST, short training; the study's protocol (lr tuned per cell on tuning seeds, "
    "absolute trainability against the depth-1 net of the same sigma_w²). Their paper: "
    "MNIST and CIFAR-10, sigma_w² in [1, 4], depths up to 300, long training; the trainable "
    "region's edge followed 6·xi_c (their Fig. 5).",
)

Cell = tuple[float, int]  # (sigma_w², depth)


def _config(ctx: Context, cell: Cell, lr: float, seed: int) -> RunConfig:
    p = ctx.profile
    sw2, depth = cell
    return RunConfig(dataset=p.datasets[0], activation="tanh", init="gaussian",
                     sigma_w=math.sqrt(sw2), sigma_b=math.sqrt(SIGMA_B2), readout="standard",
                     depth=depth, width=p.width, steps=p.schoenholz_steps,
                     batch_size=p.batch_size, record_every=p.schoenholz_steps,
                     optimizer="momentum", lr=lr, seed=seed)


def censored_spearman(measured: Sequence[int], predicted: Sequence[float], top: int) -> float:
    """Spearman's rho of ``measured`` and uncapped ``predicted`` with right-censoring.

    A measured value equal to ``top`` (the grid's deepest depth) only says "at least top":
    censored values tie with each other (average rank) and rank above every uncensored one,
    whose ranks are their own. Predictions are ranked as they are, never capped. ``nan`` when
    either side does not vary (nothing to rank).
    """
    m = np.asarray(measured, float)
    if np.any(m > top):
        raise ValueError(f"measured depths {measured} exceed the grid's top {top}")
    # No uncensored value can reach ``top``, so average ranks of the raw values do exactly
    # that: the censored tie at the highest rank, uncensored ties are real ties.
    ranks = scipy_stats.rankdata(m)
    pred = np.asarray(predicted, float)
    if np.all(ranks == ranks[0]) or np.all(pred == pred[0]):
        return math.nan
    return float(scipy_stats.spearmanr(ranks, pred).statistic)


def boundary_accuracy(trainable: np.ndarray, depths: Sequence[int],
                      predicted: Sequence[float]) -> float:
    """Share of cells (sigma_w² rows, depth > 1 columns) where ``trainable`` matches
    ``depth < predicted`` (the depth-1 reference column is left out: it trains by
    construction)."""
    d = np.asarray(depths)
    expected = d[None, :] < np.asarray(predicted, float)[:, None]
    keep = d > 1
    return float(np.mean(np.asarray(trainable)[:, keep] == expected[:, keep]))


def scores(correct: Sequence[np.ndarray], depths: Sequence[int], chance: int,
           predicted: Sequence[float]) -> tuple[list[int], np.ndarray, float, float]:
    """Measured trainable depths, cell trainability, rho and boundary accuracy from one
    (seeds × depths) correct-count matrix per sigma_w²."""
    measured = [protocol.trainable_depth(c, depths, chance) for c in correct]
    cells = np.stack([protocol.trainable_by_depth(c, chance) for c in correct])
    rho = censored_spearman(measured, predicted, max(depths))
    return measured, cells, rho, boundary_accuracy(cells, depths, predicted)


def phase_ratios(sw2: Sequence[float], measured: Sequence[int], predicted: Sequence[float],
                 top: int) -> dict[str, float]:
    """Geometric mean of measured / 6·xi_c on each side of the edge of chaos (uncensored
    values only, measured 0 left out; ``nan`` where none is left): above 1 the nets train
    deeper than 6·xi_c, below 1 less deep."""
    out = {}
    for phase, inside in (("ordered", lambda s: s < EDGE_SIGMA_W2),
                          ("chaotic", lambda s: s > EDGE_SIGMA_W2)):
        ratios = [m / pr for s, m, pr in zip(sw2, measured, predicted, strict=True)
                  if inside(s) and 0 < m < top]
        out[phase] = float(np.exp(np.mean(np.log(ratios)))) if ratios else math.nan
    return out


def decide(rho: Interval, accuracy: Interval) -> tuple[str, str]:
    """The verdict of :data:`RULE`."""
    text = (f"rho = {rho.text(2)}, boundary accuracy = {accuracy.text(2)}; targets "
            f"{TARGET:g} and {TARGET:g} " + (
                "reached" if rho.estimate >= TARGET and accuracy.estimate >= TARGET else
                "not both reached") + " by the point estimates")
    if side(rho, 0.0) == "below" or side(accuracy, 0.5) == "below":
        return "does not hold", text + "."
    if side(rho, TARGET) == "above" and side(accuracy, TARGET) == "above":
        return "holds", text + "."
    if side(rho, 0.0) == "above" and side(accuracy, 0.5) == "above":
        return "holds with caveats", text + (" (an interval reaches below the target: at "
                                             "this scale the agreement is partial)") + "."
    return "inconclusive", text + " (an interval straddles its floor)."


def _bootstrap(correct: list[np.ndarray], depths: Sequence[int], chance: int,
               predicted: Sequence[float]) -> np.ndarray:
    """Bootstrap values (2, resamples) of rho and boundary accuracy, from the same resamples
    (seeds resampled within every sigma_w²); a resample whose depths do not vary ranks
    nothing and counts as rho 0."""
    def statistic(*idx: np.ndarray) -> tuple[float, float]:
        _, _, rho, accuracy = scores([c[i] for c, i in zip(correct, idx, strict=True)],
                                     depths, chance, predicted)
        return (0.0 if math.isnan(rho) else rho), accuracy
    return distribution([c.shape[0] for c in correct], statistic)


def _position(depths: Sequence[int], values: np.ndarray) -> np.ndarray:
    """Row coordinate of depth ``values`` on the heat map (rows evenly spaced in log depth
    between grid points, extrapolated beyond the grid with the last spacing)."""
    logs = np.log(np.asarray(depths, float))
    v = np.log(np.asarray(values, float))
    inside = np.interp(v, logs, np.arange(logs.size))
    above = logs.size - 1 + (v - logs[-1]) / (logs[-1] - logs[-2])
    return np.where(v > logs[-1], above, inside)


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory import depth_scales

    p = ctx.profile
    sw2 = tuple(float(v) for v in p.schoenholz_sigma_w2)
    depths = tuple(p.schoenholz_depths)
    scales = depth_scales("tanh", np.sqrt(np.array(sw2)), math.sqrt(SIGMA_B2))
    predicted = [float(v) for v in np.broadcast_to(6.0 * np.asarray(scales.xi_c),
                                                   (len(sw2),))]
    cells = [(s2, d) for s2 in sw2 for d in depths]
    make = partial(_config, ctx)
    lr, _, edge = tune(ctx, cells, make)
    runs, _ = run(ctx, [make(c, lr[c], s) for c in cells for s in p.schoenholz_seeds])
    runs = runs.assign(correct=correct_counts(runs), sw2=np.round(runs["sigma_w"] ** 2, 6))
    chance = int(runs["test_chance_hits"].iloc[0])
    correct, accuracy = [], []
    for s2 in sw2:
        sel = runs[np.isclose(runs["sw2"], s2)]
        table = sel.pivot_table(index="seed", columns="depth", values="correct",
                                aggfunc="first")[list(depths)]
        correct.append(table.to_numpy(np.int64))
        acc = sel.pivot_table(index="seed", columns="depth", values="test_accuracy",
                              aggfunc="first")[list(depths)]
        accuracy.append(acc.median().to_numpy())
    measured, _, rho, acc_score = scores(correct, depths, chance, predicted)
    rho_draws, acc_draws = _bootstrap(correct, depths, chance, predicted)
    rho_iv = interval(0.0 if math.isnan(rho) else rho, rho_draws)
    acc_iv = interval(acc_score, acc_draws)
    depth_ivs = [interval(m, protocol.depth_distribution(c, depths, chance))
                 for m, c in zip(measured, correct, strict=True)]
    verdict, why = decide(rho_iv, acc_iv)
    top = max(depths)
    heat = np.stack(accuracy, axis=1)  # (depths, sw2)
    ordered = [i for i, s2 in enumerate(sw2) if s2 < EDGE_SIGMA_W2]
    chaotic = [i for i, s2 in enumerate(sw2) if s2 > EDGE_SIGMA_W2]
    ratios = phase_ratios(sw2, measured, predicted, top)
    why += (" Measured / 6·xi_c (geometric mean, uncensored): ordered phase "
            f"{ratios['ordered']:.2g}, chaotic phase {ratios['chaotic']:.2g} — above 1 the "
            "nets train deeper than theory's boundary, below 1 less deep (the paper trained far "
            "longer; --profile full tests whether a longer budget closes the gap).")

    def draw(axes: np.ndarray) -> None:
        from matplotlib import patheffects

        ax = axes[0, 0]
        image = ax.imshow(heat, origin="lower", aspect="equal", vmin=0, vmax=1,
                          cmap="viridis", extent=(-0.5, len(sw2) - 0.5, -0.5, len(depths) - 0.5))
        ax.figure.colorbar(image, ax=ax, label="median test accuracy", shrink=0.8)
        rows = _position(depths, np.array(predicted))
        outline = [patheffects.Stroke(linewidth=3.5, foreground="k"), patheffects.Normal()]
        for part, label in ((ordered, "6·xi_c (theory)"), (chaotic, None)):
            if part:
                ax.plot(part, rows[part], "w--o", lw=2, ms=4, mec="k", label=label,
                        path_effects=outline)
        found = [i for i, m in enumerate(measured) if m > 0]  # 0: not even depth 1 trains
        ax.plot(found, _position(depths, np.array([measured[i] for i in found])), "r^", ms=7,
                label="measured trainable depth (▲ at the top: ≥ it)")
        ax.set_xticks(range(len(sw2)), [f"{v:g}" for v in sw2])
        ax.set_yticks(range(len(depths)), [str(d) for d in depths])
        ax.set_ylim(-0.5, max(len(depths) - 0.5, float(np.max(rows)) + 0.5))
        ax.set(xlabel=f"sigma_w² (edge of chaos at {EDGE_SIGMA_W2:g})",
               ylabel="depth (hidden layers)", title=f"tanh, sigma_b² = {SIGMA_B2:g}")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)

    fig = plot("schoenholz_depth",
               "Median test accuracy over (sigma_w², depth) on "
               f"{p.datasets[0]} ({len(p.schoenholz_seeds)} seeds per cell, lr tuned per "
               "cell), one square per cell; dashed: theory's 6·xi_c, drawn in full (above the "
               "grid where it exceeds the deepest depth; it diverges at the edge of chaos "
               "between the two groups of sigma_w²); triangles: the measured trainable depth. "
               "Cf. Schoenholz et al. 2017, Fig. 5 (MNIST, sigma_w² in [1, 4], depths to 300).",
               draw, width=7.0, height=6.5)
    rows = tuple((s2, pred, m, iv.low, iv.high, "yes" if m == top else "no",
                  ", ".join(f"{lr[(s2, d)]:.3g}" for d in depths),
                  sum(edge[(s2, d)] for d in depths))
                 for s2, pred, m, iv in zip(sw2, predicted, measured, depth_ivs, strict=True))
    table = Table(f"Trainable depth over sigma_w² (sigma_b² = {SIGMA_B2:g}; depths "
                  f"{', '.join(map(str, depths))}; {p.schoenholz_steps} steps)",
                  ("sigma_w²", "theory 6·xi_c", "measured", "95 % low", "95 % high",
                   f"censored (≥ {top})", "chosen lr per depth", "cells on lr-grid edge"),
                  rows)
    key = f"rho {rho_iv.text(2)}, boundary accuracy {acc_iv.text(2)}"
    return INFO.result(verdict, why, figures=[fig], tables=[table], key=key, rule=RULE,
                       intervals={"rho": rho_iv.to_json(), "boundary_accuracy":
                                  acc_iv.to_json()},
                       numbers={"rho": rho_iv.estimate, "boundary_accuracy": acc_score})
