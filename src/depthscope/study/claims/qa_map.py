"""The Q&A's second ask: "a deterministic map that tells which initial points lead to
vanishing, possibly accompanied by trajectories".

The map is mean field's chi_1(sigma_w, sigma_b) (Poole et al. 2016; Schoenholz et al. 2017):
through a layer, ``||dL/dh^l||^2 / ||dL/dh^{l+1}||^2 ≈ chi_1``, so per layer the gradient
changes by ``(1/2) log10 chi_1`` decades. Nets are started across the map and trained; at
every record their position on the map is read from their weights (each hidden layer's
``sigma_w = sqrt(fan_in · mean W^2)``, ``sigma_b = rms(b)``, averaged over the hidden
layers) and the map's prediction there is compared with the measured per-layer change of the
back-propagated gradient ``log10(||dL/dh^1|| / ||dL/dh^{L}||) / (L - 1)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from depthscope.report.figures import plot
from depthscope.study import stats
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import run
from depthscope.study.result import ClaimResult, Table
from depthscope.train.config import RunConfig

if TYPE_CHECKING:
    import pandas as pd

ACT = "tanh"
DEPTH = 10
START_SIGMA_W = (0.5, 0.8, 1.0, 1.3, 1.8, 2.5)
START_SIGMA_B = (0.0, 0.5)
LR = 0.01  # SGD with momentum 0.9, one rate for every start (the map, not the tuning)
RECORDS = 10  # records per run: trajectories of this many steps on the map
CLEAR = 0.05  # decades per layer: the map's prediction counts where |prediction| >= this
AGREE = 0.8  # holds: the agreement's interval lies above this
INFO = ClaimInfo(
    "map", QA + " — its second ask",
    "Wanted: \"a deterministic map that tells which initial points lead to vanishing, "
    "possibly accompanied by trajectories\". Offered: mean field's chi_1(sigma_w, sigma_b) "
    "(chi_1 < 1: the gradient shrinks by (1/2) log10 chi_1 decades per layer, vanishing; "
    "> 1: exploding), read at init and, along training, at the weights' current effective "
    "(sigma_w, sigma_b).",
    f"{ACT} nets of {DEPTH} hidden layers (the profile's width) started on a grid of "
    f"sigma_w ∈ {{{', '.join(map(str, START_SIGMA_W))}}} × sigma_b ∈ "
    f"{{{', '.join(map(str, START_SIGMA_B))}}} (Gaussian init, standard read-out), trained "
    f"on the first data set at one lr ({LR:g}, SGD with momentum 0.9) with the evaluation "
    "seeds; at every record the effective (sigma_w, sigma_b) of the hidden layers and the "
    "measured per-layer change of ||dL/dh||. A point counts where the map predicts at least "
    f"{CLEAR:g} decades per layer; the map is right there when the measured change has the "
    "predicted sign.",
    trains=True,
)
RULE = (f"Agreement (share of clear points where the measured per-layer gradient change has "
        f"chi_1's sign) at init, with its Clopper-Pearson 95 % interval over runs, and along "
        f"training (every later record), with a bootstrap interval over runs: holds if both "
        f"intervals lie above {AGREE:g}; holds with caveats if only the one at init does; "
        f"does not hold if the one at init lies below {AGREE:g}; otherwise inconclusive.")


def _config(ctx: Context, sigma_w: float, sigma_b: float, seed: int) -> RunConfig:
    p = ctx.profile
    return RunConfig(dataset=p.datasets[0], activation=ACT, depth=DEPTH, width=p.width,
                     init="gaussian", sigma_w=sigma_w, sigma_b=sigma_b, readout="standard",
                     optimizer="momentum", lr=LR, steps=p.steps, batch_size=p.batch_size,
                     record_every=max(1, p.steps // RECORDS), seed=seed)


def trajectories(series: pd.DataFrame, depth: int) -> pd.DataFrame:
    """Per (run, step): the hidden layers' mean effective sigma_w and sigma_b (weights of
    layers 1..depth-1: hidden to hidden) and the measured per-layer change of the gradient,
    ``log10(||dL/dh^0|| / ||dL/dh^{depth-1}||) / (depth - 1)`` (layers 0-based)."""
    wide = series.pivot_table(index=["run_id", "step"], columns=["metric", "layer"],
                              values="value", aggfunc="first")
    hidden = range(1, depth)
    out = wide.index.to_frame(index=False)
    out["sigma_w"] = wide["weight_scale"][list(hidden)].mean(axis=1).to_numpy()
    out["sigma_b"] = wide["bias_scale"][list(hidden)].mean(axis=1).to_numpy()
    grad = wide["grad_h_norm"]
    out["measured"] = (np.log10(grad[0] / grad[depth - 1]) / (depth - 1)).to_numpy()
    return out


def agreement(predicted: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """Per point: None-like nan where the prediction is not clear, else 1.0 when the signs
    agree and 0.0 when not."""
    clear = np.abs(predicted) >= CLEAR
    return np.where(clear, (np.sign(predicted) == np.sign(measured)).astype(float), np.nan)


def decide(at_init: stats.Interval, training: stats.Interval) -> tuple[str, str]:
    """:data:`RULE`."""
    text = (f"the map's sign is right at {at_init.text()} of the clear starting points and "
            f"at {training.text()} of the clear points along training")
    if math.isnan(training.estimate):
        return "inconclusive", text + " (fewer than 2 runs with clear points in training)."
    if stats.side(at_init, AGREE) == "above":
        if stats.side(training, AGREE) == "above":
            return "holds", text + "."
        return "holds with caveats", text + (" — it tells where a net starts, less well "
                                             "where training takes it.")
    if stats.side(at_init, AGREE) == "below":
        return "does not hold", text + "."
    return "inconclusive", text + "."


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory import chi1

    p = ctx.profile
    configs = [_config(ctx, sw, sb, s) for sw in START_SIGMA_W for sb in START_SIGMA_B
               for s in p.seeds]
    runs, series = run(ctx, configs, metrics=("weight_scale", "bias_scale", "grad_h_norm"))
    finished = set(runs.loc[runs["status"] == "finished", "run_id"])
    paths = trajectories(series[series["run_id"].isin(finished)], DEPTH)
    paths["predicted"] = 0.5 * np.log10(np.asarray(chi1(ACT, paths["sigma_w"].to_numpy(),
                                                        paths["sigma_b"].to_numpy())))
    paths["right"] = agreement(paths["predicted"].to_numpy(), paths["measured"].to_numpy())
    first = paths.groupby("run_id")["step"].transform("min") == paths["step"]
    start = paths[first].dropna(subset=["right"])
    later = paths[~first].dropna(subset=["right"])
    at_init = stats.proportion(int(start["right"].sum()), len(start))
    per_run = later.groupby("run_id")["right"].agg(["sum", "count"]).to_numpy()
    if len(per_run) > 1:
        training = stats.bootstrap([len(per_run)], lambda idx: float(
            per_run[idx, 0].sum() / per_run[idx, 1].sum()))
    else:  # one run or none: its points are not independent, so no interval to give
        training = stats.Interval(math.nan, math.nan, math.nan)
    verdict, why = decide(at_init, training)
    moved = paths.groupby("run_id").agg(sw0=("sigma_w", "first"), sw1=("sigma_w", "last"),
                                        sb0=("sigma_b", "first"), sb1=("sigma_b", "last"))
    why += (f" Training moves the nets on the map by a median |Δsigma_w| of "
            f"{float(np.median(np.abs(moved['sw1'] - moved['sw0']))):.3g} and |Δsigma_b| of "
            f"{float(np.median(np.abs(moved['sb1'] - moved['sb0']))):.3g} in {p.steps} steps "
            f"({len(runs) - len(finished)} of {len(runs)} runs diverged and are not drawn).")
    last = paths.groupby("run_id")["step"].transform("max") == paths["step"]
    end = paths[last].dropna(subset=["right"])
    if len(end):
        why += (f" Yet {int((end['right'] == 0).sum())} of {len(end)} runs end with the "
                "measured gradient change against the map's sign at their end point: "
                "training changes how the gradient flows through the weights (their "
                "alignment), which an i.i.d. map of their scale alone cannot see.")

    sw_grid = np.linspace(0.3, 3.0, 120)
    sb_grid = np.linspace(0.0, 1.2, 80)
    SW, SB = np.meshgrid(sw_grid, sb_grid)
    log_chi = np.log10(np.asarray(chi1(ACT, SW, SB)))

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        mesh = ax.pcolormesh(sw_grid, sb_grid, 0.5 * log_chi, cmap="RdBu_r", vmin=-0.3,
                             vmax=0.3, shading="nearest")
        ax.figure.colorbar(mesh, ax=ax, label="(1/2) log10 chi_1: decades per layer")
        ax.contour(sw_grid, sb_grid, log_chi, levels=[0.0], colors="k", linewidths=1.5)
        for _, path in paths.sort_values("step").groupby("run_id"):
            colour = "C0" if path["measured"].iloc[-1] < 0 else "C3"
            ax.plot(path["sigma_w"], path["sigma_b"], "-", color=colour, lw=1, alpha=0.8)
            ax.plot(path["sigma_w"].iloc[0], path["sigma_b"].iloc[0], "o", color=colour, ms=3)
            ax.plot(path["sigma_w"].iloc[-1], path["sigma_b"].iloc[-1], "s", color=colour,
                    ms=3)
        ax.set(xlabel="effective sigma_w (hidden layers)", ylabel="effective sigma_b",
               title=f"{ACT}: the map and the nets' trajectories")
        ax = axes[0, 1]
        lim = max(0.3, float(np.nanmax(np.abs(paths[["predicted", "measured"]].to_numpy()))))
        ax.plot(start["predicted"], start["measured"], "o", ms=4, label="at init")
        ax.plot(later["predicted"], later["measured"], "x", ms=3, alpha=0.5,
                label="along training")
        ax.plot([-lim, lim], [-lim, lim], "k--", lw=1)
        ax.axhline(0, color="grey", lw=0.6)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set(xlabel="map: (1/2) log10 chi_1", ylabel="measured: decades per layer",
               title="gradient change per layer")
        ax.legend(fontsize=7)

    fig = plot("qa_map_trajectories",
               f"Left: mean field's map for {ACT} (blue: the gradient shrinks through each "
               "layer, red: it grows; black: chi_1 = 1, the edge of chaos) with the "
               "trajectories of the trained nets' effective (sigma_w, sigma_b) from start "
               "(circle) to end (square), coloured by the measured sign at the end. Right: "
               "the map's predicted gradient change per layer against the measured one, at "
               "init and along training; dashed: equality.", draw, ncols=2, width=5.2)
    rows = tuple((float(r.sw0), float(r.sb0), float(r.sw1), float(r.sb1))
                 for r in moved.itertuples())
    table = Table(f"Start and end of each run on the map (effective sigma_w, sigma_b of the "
                  f"hidden layers; {p.steps} steps)", ("sigma_w start", "sigma_b start",
                                                       "sigma_w end", "sigma_b end"), rows)
    key = f"agreement at init {at_init.text()}, along training {training.text()}"
    return INFO.result(verdict, why, figures=[fig], tables=[table], key=key, rule=RULE,
                       intervals={"agreement at init": at_init.to_json(),
                                  "agreement along training": training.to_json()})
