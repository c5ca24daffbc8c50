"""Claim 5: the "one-way street" — once training reaches g ≈ 0 it does not come back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from depthscope.report.figures import plot
from depthscope.study import stats
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import depth_sweep, entry_runs
from depthscope.study.result import ClaimResult, Table

if TYPE_CHECKING:
    import pandas as pd

INFO = ClaimInfo(
    "5", QA,
    "Gradient vanishing is a one-way street: a two-state Markov chain [g ≫ 0] → [g ≈ 0] "
    "in which, once the system reaches g ≈ 0, there is not enough gradient to bring it back.",
    "From every recorded run of the depth sweep (≥ 2 hidden layers) and of entry arms built "
    "to reach g ≈ 0 in training (sigmoid, tanh and arctan at standard init, 4 and 8 hidden "
    "layers, learning rates 0.316, 1 and 3.16, the essay's route: 'if you make the learning "
    "rate sufficiently large'; added 2026-12-05 because the sweep's tuned runs almost never "
    "enter the state), classify each recorded "
    "step as vanished when the first layer's weight gradient ||dL/dW^1|| is below 1e-3 of a "
    "healthy reference: the median ||dL/dW^1|| at step 0 of the same net (data set, "
    "activation, depth) at critical init. A run vanished at step 0 is 'vanished from the "
    "start' and counted apart; the escape probability per record interval is estimated from "
    "the runs that enter the vanished state during training, from their first vanished record "
    "on.",
    trains=True,
)
VANISHED = 1e-3  # vanished: ||dL/dW^1|| < VANISHED x the critical-init reference
ESCAPE = 0.05  # "rare": below 5 % per record interval
MIN_RUNS = 5  # fewer runs entering g ≈ 0 during training cannot decide
FLOOR = 1e-12  # ratios below this are drawn at the floor (marked), so the axis shows the data
RULE = (f"P(escape | vanished) per record interval, estimated from the runs that enter the "
        f"vanished state during training (||dL/dW^1|| < {VANISHED:g} × the same net's at "
        f"critical init, step 0), with a 95 % interval (bootstrap over runs, widened to the "
        f"Clopper-Pearson interval of the pooled counts): holds if the whole interval is below "
        f"{ESCAPE:g}, does not hold if it is above {ESCAPE:g}, otherwise inconclusive; "
        f"inconclusive also when fewer than {MIN_RUNS} runs entered the vanished state during "
        "training. Runs vanished from the start are shown apart and do not count.")
START, ENTERED, HEALTHY = "vanished from the start", "entered during training", "never vanished"


def states(ratios: np.ndarray) -> np.ndarray:
    """True where the first layer's gradient is below :data:`VANISHED` of the reference."""
    return ratios < VANISHED


def kind(chain: np.ndarray) -> str:
    """How a run's chain of states (records in order) relates to the vanished state."""
    if chain[0]:
        return START
    return ENTERED if chain.any() else HEALTHY


def after_entry(chain: np.ndarray) -> np.ndarray:
    """The chain from its first vanished record on (empty if it never vanished)."""
    hits = np.flatnonzero(chain)
    return chain[hits[0]:] if hits.size else chain[:0]


def transitions(chains: list[np.ndarray]) -> dict[str, int]:
    """Counts of healthy→healthy, healthy→vanished, vanished→healthy, vanished→vanished."""
    counts = {"h→h": 0, "h→v": 0, "v→h": 0, "v→v": 0}
    for chain in chains:
        a, b = chain[:-1], chain[1:]
        counts["h→h"] += int(np.sum(~a & ~b))
        counts["h→v"] += int(np.sum(~a & b))
        counts["v→h"] += int(np.sum(a & ~b))
        counts["v→v"] += int(np.sum(a & b))
    return counts


def chain_counts(chains: list[np.ndarray]) -> np.ndarray:
    """Per chain: (v→h, v→v, h→v, h→h) transition counts (runs, 4)."""
    rows = []
    for chain in chains:
        c = transitions([chain])
        rows.append((c["v→h"], c["v→v"], c["h→v"], c["h→h"]))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 4)


def escape_interval(per_run: np.ndarray) -> stats.Interval:
    """P(escape | vanished) = sum v→h / sum (v→h + v→v) over runs: the percentile bootstrap
    over runs (escapes of one run are not independent), widened to the Clopper-Pearson
    interval of the pooled counts (a bootstrap of 0 escapes alone would say [0, 0])."""
    def p(idx: np.ndarray) -> float:
        sel = per_run[idx]
        stay = sel[:, 0].sum() + sel[:, 1].sum()
        return float(sel[:, 0].sum() / stay) if stay else 0.0

    exact = stats.proportion(int(per_run[:, 0].sum()), int(per_run[:, :2].sum()))
    if len(per_run) < 2:  # one run: nothing to resample
        return exact
    boot = stats.bootstrap([len(per_run)], p)
    return stats.Interval(boot.estimate, min(boot.low, exact.low), max(boot.high, exact.high),
                          boot.level)


def decide(entered: list[np.ndarray], escape: stats.Interval | None) -> tuple[str, str]:
    """:data:`RULE` on the escape probability of the runs that entered g ≈ 0 in training."""
    counts = transitions(entered)
    stay = counts["v→v"] + counts["v→h"]
    if not entered or escape is None or stay == 0:
        return "inconclusive", ("no run entered the vanished state during training (with "
                                "a vanished record after it), so the chain's exit cannot be "
                                "estimated")
    text = (f"P(escape per record interval | vanished) = {escape.text()} ({counts['v→h']} of "
            f"{stay}, {len(entered)} runs that entered g ≈ 0 during training)")
    if len(entered) < MIN_RUNS:
        return "inconclusive", text + f": fewer than {MIN_RUNS} such runs."
    where = stats.side(escape, ESCAPE)
    if where == "below":
        return "holds", text + "."
    if where == "above":
        return "does not hold", text + ": runs leave the vanished state often."
    return "inconclusive", text + f": the interval reaches across {ESCAPE:g}."


def first_layer_ratios(runs: pd.DataFrame, series: pd.DataFrame
                       ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per run of depth ≥ 2 that has a reference: (record steps, ||dL/dW^1|| / reference),
    the reference being the median step-0 ||dL/dW^1|| of the critical-init runs of the same
    data set, activation and depth."""
    first = series[(series["metric"] == "grad_w_norm") & (series["layer"] == 0)]
    first = first.merge(runs[["run_id", "dataset", "activation", "arm", "depth"]], on="run_id")
    first = first[first["depth"] >= 2]
    cell = ["dataset", "activation", "depth"]
    at_init = first[(first["step"] == 0) & (first["arm"] == "critical")]
    reference = at_init.groupby(cell)["value"].median().rename("reference")
    first = first.merge(reference, left_on=cell, right_index=True)  # drops cells without one
    out = {}
    for run_id, frame in first.sort_values("step").groupby("run_id"):
        ratio = (frame["value"] / frame["reference"]).to_numpy()
        keep = np.isfinite(ratio)
        if keep.sum() >= 2:
            out[run_id] = (frame["step"].to_numpy()[keep], ratio[keep])
    return out


def check(ctx: Context) -> ClaimResult:
    import pandas as pd

    ev, (extra, extra_series) = depth_sweep(ctx), entry_runs(ctx)
    ratios = first_layer_ratios(pd.concat([ev.runs, extra]), pd.concat([ev.series,
                                                                          extra_series]))
    chains = {run_id: states(r) for run_id, (_, r) in ratios.items()}
    kinds = {run_id: kind(c) for run_id, c in chains.items()}
    entered = [after_entry(c) for run_id, c in chains.items() if kinds[run_id] == ENTERED]
    per_run = chain_counts(entered)
    escape = escape_interval(per_run) if per_run[:, :2].sum() else None
    verdict, why = decide(entered, escape)
    started = [c for run_id, c in chains.items() if kinds[run_id] == START]
    left = sum(not bool(c[-1]) for c in started)
    # share of them healthy at the end: one count per run, runs independent
    recovered = stats.proportion(left, len(started)) if started else None
    why += (f" Apart: {len(started)} of {len(chains)} runs were vanished from the start "
            f"(their whole signal collapsed at init); {left} of them were healthy at the end"
            + (f" (P = {recovered.text()})." if recovered else "."))

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        colours = {START: "C3", ENTERED: "C1", HEALTHY: "C0"}
        for run_id, (steps, ratio) in ratios.items():
            ax.plot(steps, np.log10(np.maximum(ratio, FLOOR)), color=colours[kinds[run_id]],
                    lw=0.6, alpha=0.5)
        for label, colour in colours.items():
            ax.plot([], [], color=colour, label=label)
        ax.axhline(np.log10(VANISHED), color="k", ls="--")
        ax.axhline(np.log10(FLOOR), color="0.5", ls=":", lw=0.8)
        ax.legend(loc="lower left", fontsize=7)
        ax.set(xlabel="training step", ylabel="log10 ||dL/dW¹|| / reference",
               title="every run of depth ≥ 2", ylim=(np.log10(FLOOR) - 0.5, None))

    fig = plot("claim05_oneway", "Gradient reaching the first layer over training, relative to "
               "the same net at critical init (step 0), for every run of the depth sweep; below "
               "the dashed line the run is in the g ≈ 0 state; dotted: ratios below 1e-12 are "
               "drawn there.", draw)
    counts = transitions(entered)
    table = Table("Transitions between consecutive records of the runs that entered g ≈ 0 "
                  "during training, from their first vanished record (h = healthy, "
                  "v = vanished)", tuple(counts), (tuple(counts.values()),))
    key = f"P(escape) = {escape.text()}" if escape else ""
    intervals = {"P(escape)": escape.to_json()} if escape else {}
    if recovered:
        intervals["P(healthy at the end | vanished from the start)"] = recovered.to_json()
    return INFO.result(verdict, why, figures=[fig], tables=[table], rule=RULE, key=key,
                       intervals=intervals,
                       numbers={"runs": len(chains), "runs vanished at start": len(started),
                                "of those, healthy at the end": left,
                                "runs entering g ≈ 0 in training": len(entered)})
