"""Claim 5: the "one-way street" — once training reaches g ≈ 0 it does not come back."""

from __future__ import annotations

import numpy as np

from depthscope.report.figures import plot
from depthscope.study import stats
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import depth_sweep
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "5", QA,
    "Gradient vanishing is a one-way street: a two-state Markov chain [g ≫ 0] → [g ≈ 0] "
    "in which, once the system reaches g ≈ 0, there is not enough gradient to bring it back.",
    "From every recorded run of the depth sweep (≥ 2 hidden layers), classify each recorded "
    "step as vanished when the first layer's weight gradient is below 1e-3 of the read-out "
    "layer's (||dL/dW^1|| / ||dL/dW^L|| < 1e-3), else healthy; count the transitions between "
    "consecutive records and estimate the chain's transition probabilities.",
)
RATIO = 1e-3
ESCAPE = 0.05  # "rare": below 5 % per record interval
FLOOR = 1e-12  # ratios below this are drawn at the floor (marked), so the axis shows the data
RULE = (f"P(escape | vanished) per record interval, with a 95 % bootstrap interval over runs: "
        f"holds if the whole interval is below {ESCAPE:g}, does not hold if it is at or above "
        f"{ESCAPE:g}, otherwise inconclusive; a holding verdict gets a caveat when no run "
        "entered the vanished state during training.")


def states(ratios: np.ndarray) -> np.ndarray:
    """True where the first layer gets less than ``RATIO`` of the read-out's gradient."""
    return ratios < RATIO


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
    """P(escape | vanished) = sum v→h / sum (v→h + v→v), resampling runs."""
    def p(idx: np.ndarray) -> float:
        sel = per_run[idx]
        stay = sel[:, 0].sum() + sel[:, 1].sum()
        return float(sel[:, 0].sum() / stay) if stay else 0.0
    return stats.bootstrap([len(per_run)], p)


def decide(counts: dict[str, int], escape: stats.Interval | None, runs_vanished_at_start: int,
           escaped: int) -> tuple[str, str]:
    """:data:`RULE` on the escape probability's interval."""
    stay = counts["v→v"] + counts["v→h"]
    if stay == 0 or escape is None:
        return "not evaluated", "no run ever reached the vanished state."
    healthy = counts["h→h"] + counts["h→v"]
    p_enter = counts["h→v"] / healthy if healthy else float("nan")
    text = (f"P(escape per record interval | vanished) = {escape.text()} "
            f"({counts['v→h']} of {stay}); P(enter | healthy) = {p_enter:.4f} "
            f"({counts['h→v']} of {healthy}); {escaped} of {runs_vanished_at_start} runs that "
            "started vanished had escaped by the end")
    where = stats.side(escape, ESCAPE)
    if where != "below":
        if where == "above":
            return "does not hold", text + ": runs leave the vanished state often."
        return "inconclusive", text + f": the interval reaches across {ESCAPE:g}."
    if counts["h→v"] == 0:
        return "holds with caveats", text + (
            ": no run drifted into g ≈ 0 during training — the street is one-way, but runs "
            "start on it (initialisation), they do not turn into it.")
    return "holds", text + "."


def check(ctx: Context) -> ClaimResult:
    ev = depth_sweep(ctx)
    runs, series = ev.runs, ev.series
    grads = series[series["metric"] == "grad_w_norm"]
    info = runs.set_index("run_id")[["depth"]]
    chains, ratios_by_run = [], {}
    for run_id, frame in grads.groupby("run_id"):
        depth = int(info.loc[run_id, "depth"])
        if depth < 2:
            continue
        table = frame.pivot_table(index="step", columns="layer", values="value")
        ratio = (table[0] / table[depth]).to_numpy()  # (records,)
        ratio = ratio[np.isfinite(ratio)]
        if ratio.size >= 2:
            chains.append(states(ratio))
            ratios_by_run[run_id] = (table.index.to_numpy()[: ratio.size], ratio)
    counts = transitions(chains)
    started = sum(bool(c[0]) for c in chains)
    escaped = sum(bool(c[0]) and not bool(c[-1]) for c in chains)
    per_run = chain_counts(chains)
    stay = per_run[:, :2].sum()
    escape = escape_interval(per_run) if stay else None
    verdict, why = decide(counts, escape, started, escaped)

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        for steps, ratio in ratios_by_run.values():
            colour = "C3" if ratio[0] < RATIO else "C0"
            ax.plot(steps, np.log10(np.maximum(ratio, FLOOR)), color=colour, lw=0.6, alpha=0.5)
        ax.axhline(np.log10(RATIO), color="k", ls="--")
        ax.axhline(np.log10(FLOOR), color="0.5", ls=":", lw=0.8)
        ax.set(xlabel="training step", ylabel="log10 ||dL/dW¹|| / ||dL/dWᴸ||",
               title="every run (red: started vanished)", ylim=(np.log10(FLOOR) - 0.5, None))

    fig = plot("claim05_oneway", "Gradient reaching the first layer relative to the read-out, "
               "over training, for every run of the depth sweep; below the dashed line the "
               "run is in the g ≈ 0 state; dotted: ratios below 1e-12 are drawn there.", draw)
    table = Table("Transitions between consecutive records (h = healthy, v = vanished)",
                  tuple(counts), (tuple(counts.values()),))
    key = f"P(escape) = {escape.text()}" if escape else ""
    return INFO.result(verdict, why, figures=[fig], tables=[table], rule=RULE, key=key,
                       intervals={"P(escape)": escape.to_json()} if escape else {},
                       numbers={"runs": len(chains), "runs vanished at start": started,
                                "of those, healthy at the end": escaped})
