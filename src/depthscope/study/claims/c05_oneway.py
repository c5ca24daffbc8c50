"""Claim 5: the "one-way street" — once training reaches g ≈ 0 it does not come back."""

from __future__ import annotations

import numpy as np

from depthscope.report.figures import plot
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


def decide(counts: dict[str, int], runs_vanished_at_start: int, escaped: int
           ) -> tuple[str, str]:
    """Holds if escapes from g ≈ 0 are rare (< 5 % per record interval) and entries happen;
    with caveats if runs are simply born vanished and never enter it during training."""
    stay = counts["v→v"] + counts["v→h"]
    if stay == 0:
        return "not evaluated", "no run ever reached the vanished state."
    p_escape = counts["v→h"] / stay
    healthy = counts["h→h"] + counts["h→v"]
    p_enter = counts["h→v"] / healthy if healthy else float("nan")
    text = (f"P(escape per record interval | vanished) = {p_escape:.3f} "
            f"({counts['v→h']} of {stay}); P(enter | healthy) = {p_enter:.4f} "
            f"({counts['h→v']} of {healthy}); {escaped} of {runs_vanished_at_start} runs that "
            "started vanished had escaped by the end")
    if p_escape >= 0.05:
        return "does not hold", text + ": runs leave the vanished state often."
    if counts["h→v"] == 0:
        return "holds with caveats", text + (
            ": no run drifted into g ≈ 0 during training — the street is one-way, but runs "
            "start on it (initialisation), they do not turn into it.")
    return "holds", text + "."


def check(ctx: Context) -> ClaimResult:
    runs, series = depth_sweep(ctx)
    grads = series[series["metric"] == "grad_w_norm"]
    info = runs.set_index("run_id")[["depth", "label", "init"]]
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
    verdict, why = decide(counts, started, escaped)

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        for steps, ratio in ratios_by_run.values():
            colour = "C3" if ratio[0] < RATIO else "C0"
            ax.plot(steps, np.log10(np.maximum(ratio, 1e-300)), color=colour, lw=0.6, alpha=0.5)
        ax.axhline(np.log10(RATIO), color="k", ls="--")
        ax.set(xlabel="training step", ylabel="log10 ||dL/dW¹|| / ||dL/dWᴸ||",
               title="every run (red: started vanished)")

    fig = plot("claim05_oneway", "Gradient reaching the first layer relative to the read-out, "
               "over training, for every run of the depth sweep; below the dashed line the "
               "run is in the g ≈ 0 state.", draw)
    table = Table("Transitions between consecutive records (h = healthy, v = vanished)",
                  tuple(counts), (tuple(counts.values()),))
    return INFO.result(verdict, why, figures=[fig], tables=[table],
                       numbers={"runs": len(chains), "runs vanished at start": started,
                                "of those, healthy at the end": escaped})
