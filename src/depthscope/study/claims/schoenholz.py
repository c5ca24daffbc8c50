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
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import stats as scipy_stats

from depthscope.report.figures import plot
from depthscope.study import protocol
from depthscope.study.claims import PAPERS, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import converged, correct_counts, run, tune
from depthscope.study.result import ClaimResult, Table
from depthscope.study.stats import Interval, distribution, interval, side
from depthscope.train.config import RunConfig

SIGMA_B2 = 0.05
EDGE_SIGMA_W2 = 1.76  # tanh's edge of chaos at sigma_b² = 0.05 (chi_1 = 1)
TARGET = 0.8  # the reproduction's targets: Spearman rho and boundary accuracy
RULE = (
    "Scores, each with a 95 % bootstrap interval over the evaluation seeds (resampled within "
    "every sigma_w² independently, all scores from the same resamples): rho = Spearman "
    "correlation over sigma_w² of the measured trainable depth and 6·xi_c, not capped (a "
    "measured depth at the grid's top is censored: censored values tie with each other and "
    "rank above every other); boundary accuracy = share of (sigma_w², depth > 1) cells whose "
    "measured trainability (at least half of the seeds trainable) matches depth < 6·xi_c, "
    "counted only by its margin over the best sigma_w²-blind rule 'trainable iff depth ≤ D' "
    "(D chosen on the same cells, in every resample); the log-log slope of measured depth on "
    "6·xi_c is shown, not decided on. holds: rho's interval above "
    f"{TARGET:g} and the margin's above 0; does not hold: rho's interval at or below 0; holds "
    "with caveats: rho's interval above 0 otherwise (the ranking agrees, but not to the "
    f"target or the boundary adds nothing to depth alone); inconclusive otherwise. (Rule of "
    "2026-12-05, written before its first run; the earlier rule scored the raw accuracy "
    "against 0.8, which a sigma_w²-blind rule also reached.)"
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
    trains=True,
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


def blind_accuracy(trainable: np.ndarray, depths: Sequence[int]) -> float:
    """Boundary accuracy of the best sigma_w²-blind rule "trainable iff depth ≤ D" (D over
    the grid's depths; the depth-1 column left out as in :func:`boundary_accuracy`)."""
    d = np.asarray(depths)
    keep = d > 1
    cells = np.asarray(trainable)[:, keep]
    return max(float(np.mean(cells == (d[keep] <= top)[None, :])) for top in d)


def loglog_slope(measured: Sequence[int], predicted: Sequence[float]) -> float:
    """Least-squares slope of log(measured depth) on log(6·xi_c) over the sigma_w² whose
    measured depth is > 0 (1 when depth tracks theory proportionally); ``nan`` with fewer
    than two such points or no spread in either."""
    m, pr = np.asarray(measured, float), np.asarray(predicted, float)
    keep = m > 0
    x, y = np.log(pr[keep]), np.log(m[keep])
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(np.polyfit(x, y, 1)[0])


@dataclass(frozen=True)
class Scores:
    """Everything scored from one (seeds × depths) correct-count matrix per sigma_w²."""

    measured: list[int]  # trainable depth per sigma_w²
    cells: np.ndarray  # (sigma_w², depths) trainability
    rho: float
    accuracy: float
    blind: float  # the best sigma_w²-blind rule's accuracy
    slope: float

    @property
    def margin(self) -> float:
        return self.accuracy - self.blind


def scores(correct: Sequence[np.ndarray], depths: Sequence[int], chance: int,
           predicted: Sequence[float]) -> Scores:
    """Measured trainable depths, cell trainability and the scores of :data:`RULE`."""
    measured = [protocol.trainable_depth(c, depths, chance) for c in correct]
    cells = np.stack([protocol.trainable_by_depth(c, chance) for c in correct])
    return Scores(measured, cells, censored_spearman(measured, predicted, max(depths)),
                  boundary_accuracy(cells, depths, predicted), blind_accuracy(cells, depths),
                  loglog_slope(measured, predicted))


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


def decide(rho: Interval, margin: Interval) -> tuple[str, str]:
    """The verdict of :data:`RULE`."""
    text = (f"rho = {rho.text(2)} (target {TARGET:g}); boundary accuracy's margin over the "
            f"best sigma_w²-blind depth rule = {margin.text(2)}")
    if side(rho, 0.0) == "below":
        return "does not hold", text + "."
    if side(rho, TARGET) == "above" and side(margin, 0.0) == "above":
        return "holds", text + "."
    if side(rho, 0.0) == "above":
        why = [reason for reason, short in (
            ("rho's interval reaches below the target", side(rho, TARGET) != "above"),
            ("the boundary does no better than depth alone", side(margin, 0.0) != "above"))
            if short]
        return "holds with caveats", text + f" ({'; '.join(why)})."
    return "inconclusive", text + " (rho's interval straddles 0)."


def _bootstrap(correct: list[np.ndarray], depths: Sequence[int], chance: int,
               predicted: Sequence[float]) -> np.ndarray:
    """Bootstrap values (4, resamples) of rho, boundary accuracy, its margin over the blind
    rule and the slope, from the same resamples (seeds resampled within every sigma_w²); a
    resample whose depths do not vary ranks nothing and counts as rho 0 (its slope is nan)."""
    def statistic(*idx: np.ndarray) -> tuple[float, float, float, float]:
        sc = scores([c[i] for c, i in zip(correct, idx, strict=True)], depths, chance,
                    predicted)
        return (0.0 if math.isnan(sc.rho) else sc.rho), sc.accuracy, sc.margin, sc.slope
    return distribution([c.shape[0] for c in correct], statistic)


def finite_interval(estimate: float, draws: np.ndarray) -> Interval:
    """:func:`interval` over the finite draws (``nan`` bounds if none is finite)."""
    finite = draws[np.isfinite(draws)]
    return interval(estimate, finite) if finite.size else Interval(estimate, math.nan,
                                                                   math.nan)


def _edges(values: Sequence[float]) -> np.ndarray:
    """Cell edges for ``values`` on a log axis: geometric midpoints, mirrored at the ends."""
    v = np.log(np.asarray(values, float))
    mid = (v[1:] + v[:-1]) / 2
    return np.exp(np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]]))


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
    runs, series = run(ctx, [make(c, lr[c], s) for c in cells for s in p.schoenholz_seeds],
                       metrics=("train_loss",))
    runs = runs.assign(correct=correct_counts(runs), sw2=np.round(runs["sigma_w"] ** 2, 6),
                       converged=converged(runs, series))
    chance = int(runs["test_chance_hits"].iloc[0])
    correct, accuracy, reach, still = [], [], [], 0
    for s2 in sw2:
        sel = runs[np.isclose(runs["sw2"], s2)]
        table = sel.pivot_table(index="seed", columns="depth", values="correct",
                                aggfunc="first")[list(depths)]
        correct.append(table.to_numpy(np.int64))
        done = sel.pivot_table(index="seed", columns="depth", values="converged",
                               aggfunc="first")[list(depths)].to_numpy(bool)
        trains, censored = protocol.run_states(correct[-1], done, chance)
        reach.append(protocol.depth_bounds(trains, censored, depths)[1])
        still += int(censored.sum())
        acc = sel.pivot_table(index="seed", columns="depth", values="test_accuracy",
                              aggfunc="first")[list(depths)]
        accuracy.append(acc.median().to_numpy())
    sc = scores(correct, depths, chance, predicted)
    measured = sc.measured
    rho_draws, acc_draws, margin_draws, slope_draws = _bootstrap(correct, depths, chance,
                                                                 predicted)
    rho_iv = interval(0.0 if math.isnan(sc.rho) else sc.rho, rho_draws)
    acc_iv = interval(sc.accuracy, acc_draws)
    margin_iv = interval(sc.margin, margin_draws)
    slope_iv = finite_interval(sc.slope, slope_draws)
    depth_ivs = [interval(m, protocol.depth_distribution(c, depths, chance))
                 for m, c in zip(measured, correct, strict=True)]
    verdict, why = decide(rho_iv, margin_iv)
    top = max(depths)
    heat = np.stack(accuracy, axis=1)  # (depths, sw2)
    ratios = phase_ratios(sw2, measured, predicted, top)
    why += (f" Boundary accuracy {acc_iv.text(2)}, the best sigma_w²-blind depth rule's "
            f"{sc.blind:.2f}. Log-log slope of measured depth on 6·xi_c: {slope_iv.text(2)} "
            "(1: proportional). Measured / 6·xi_c (geometric mean, uncensored): ordered phase "
            f"{ratios['ordered']:.2g}, chaotic phase {ratios['chaotic']:.2g} (above 1 the nets "
            f"train deeper than theory's boundary, below 1 less deep) after "
            f"{p.schoenholz_steps} steps. Read at the budget, not at convergence: {still} of "
            f"{len(runs)} runs failed while their training loss still fell (protocol rule 6); "
            "the table's 'reach' counts them as trainable (the scores do not).")
    fine = np.exp(np.linspace(np.log(min(sw2)), np.log(max(sw2)), 400))
    fine = fine[np.abs(np.log(fine / EDGE_SIGMA_W2)) > 0.03]  # it diverges at the edge
    curve = 6.0 * np.asarray(depth_scales("tanh", np.sqrt(fine), math.sqrt(SIGMA_B2)).xi_c)

    def draw(axes: np.ndarray) -> None:
        from matplotlib import patheffects

        ax = axes[0, 0]
        image = ax.pcolormesh(_edges(sw2), _edges(depths), heat, vmin=0, vmax=1,
                              cmap="viridis")
        ax.figure.colorbar(image, ax=ax, label="median test accuracy", shrink=0.8)
        outline = [patheffects.Stroke(linewidth=3.5, foreground="k"), patheffects.Normal()]
        for side_of_edge in (fine < EDGE_SIGMA_W2, fine > EDGE_SIGMA_W2):
            ax.plot(fine[side_of_edge], curve[side_of_edge], "--", color="C1", lw=2,
                    path_effects=outline,
                    label="6·xi_c (theory)" if side_of_edge[0] else None)
        ax.axvline(EDGE_SIGMA_W2, color="k", lw=1, ls=":", label="edge of chaos")
        found = [i for i, m in enumerate(measured) if m > 0]  # 0: not even depth 1 trains
        ax.plot([sw2[i] for i in found], [measured[i] for i in found], "r^", ms=7, mec="k",
                label="measured trainable depth (trains there, not at the next depth)")
        ax.set(xscale="log", yscale="log", xlabel="sigma_w² (log)",
               ylabel="depth (hidden layers, log)", title=f"tanh, sigma_b² = {SIGMA_B2:g}",
               ylim=(_edges(depths)[0], 4 * max(depths)))  # the curve diverges: clipped
        ax.set_xticks(sw2, [f"{v:g}" for v in sw2], fontsize=7, rotation=60)
        ax.set_yticks(depths, [str(d) for d in depths])
        ax.minorticks_off()
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)

    fig = plot("schoenholz_depth",
               "Median test accuracy over (sigma_w², depth) on "
               f"{p.datasets[0]} ({len(p.schoenholz_seeds)} seeds per cell, lr tuned per "
               "cell), both axes logarithmic, one cell per grid point; dashed: theory's "
               "6·xi_c as a function of sigma_w² (it diverges at the edge of chaos, dotted); "
               "triangles: the measured trainable depth. "
               "Cf. Schoenholz et al. 2017, Fig. 5 (MNIST, sigma_w² in [1, 4], depths to 300).",
               draw, width=7.0, height=6.5)
    following = dict(zip(depths, (*depths[1:], None), strict=True))
    rows = tuple((s2, pred, m, iv.low, iv.high, r,
                  "yes" if m == top else ("-" if m == 0 else str(following[m])),
                  ", ".join(f"{lr[(s2, d)]:.3g}" for d in depths),
                  sum(edge[(s2, d)] for d in depths))
                 for s2, pred, m, iv, r in zip(sw2, predicted, measured, depth_ivs, reach,
                                               strict=True))
    table = Table(f"Trainable depth over sigma_w² (sigma_b² = {SIGMA_B2:g}; depths "
                  f"{', '.join(map(str, depths))}; {p.schoenholz_steps} steps; a measured "
                  "depth d means trainable at d and not at the next grid depth)",
                  ("sigma_w²", "theory 6·xi_c", "measured", "95 % low", "95 % high",
                   "reach (still learning counted)",
                   f"next depth (fails; 'yes': censored ≥ {top})", "chosen lr per depth",
                   "cells on lr-grid edge"), rows)
    key = f"rho {rho_iv.text(2)}, boundary-accuracy margin {margin_iv.text(2)}"
    return INFO.result(verdict, why, figures=[fig], tables=[table], key=key, rule=RULE,
                       intervals={"rho": rho_iv.to_json(), "boundary_accuracy":
                                  acc_iv.to_json(), "margin_over_blind": margin_iv.to_json(),
                                  "loglog_slope": slope_iv.to_json()},
                       numbers={"rho": rho_iv.estimate, "boundary_accuracy": sc.accuracy,
                                "blind_accuracy": sc.blind, "margin": sc.margin,
                                "slope": sc.slope})
