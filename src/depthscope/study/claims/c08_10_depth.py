"""Claims 8-10: which activations train deep, under standard AND critical initialisation.

One depth sweep (every essay activation × {standard, critical} init × depths × data sets ×
seeds) decides all three; theory's predicted trainable depth (≈ 6 xi_c, Schoenholz et al.
2017) is drawn beside the measurement.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.study.claims import ESSAY, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import (
    CRITICAL,
    HE,
    STANDARD,
    critical_problem,
    critical_sigma_w,
    depth_sweep,
    depth_table,
    median_accuracy,
    threshold,
    trainable_depth,
)
from depthscope.study.result import ClaimResult, Figure, Table

METHOD = (
    "Train MLPs of 1 to many hidden layers on two built-in data sets with several seeds "
    "(SGD with momentum 0.9, one learning rate for all), under the essay's implied "
    "setting — standard initialisation U[±1/√fan_in] (sigma_w² = 1/3, Glorot & Bengio "
    "2010) — and under critical (edge-of-chaos) initialisation from theory. A run is "
    "trainable when its best validation accuracy closes half of the gap between chance and "
    "the best accuracy any configuration reached on that data set; an activation's "
    "trainable depth is the deepest depth where at least half of the seeds train (the "
    "smaller over the data sets). Theory's trainable depth 6·xi_c is shown for comparison."
)
INFO_8 = ClaimInfo(
    "8", ESSAY,
    "The logistic sigmoid, tanh and arctan are unusable (\"crap\") in any network of more "
    "than two hidden layers.", METHOD)
INFO_9 = ClaimInfo(
    "9", ESSAY,
    "Softsign trains up to about four hidden layers; logsig remains useful through eight or "
    "more.", METHOD)
INFO_10 = ClaimInfo(
    "10", ESSAY,
    "ReLU (ramp) and softplus solve both gradient problems; a sigmoid on the output layer "
    "only does not bring them back.", METHOD)


def categorise(std: int, crit: int | None, limit: int) -> str:
    """Why an activation fails beyond ``limit`` layers, if it does."""
    if std > limit:
        return "trains beyond the limit with standard init"
    if crit is None:
        return "fails with standard init (critical init not run)"
    if crit > limit:
        return "the initialisation fails, not the activation"
    return "the activation fails under both inits"


def decide_8(std: dict[str, int], crit: dict[str, int | None], limit: int = 2
             ) -> tuple[str, str]:
    """Holds iff every activation fails beyond ``limit`` layers under both inits."""
    cats = {a: categorise(std[a], crit.get(a), limit) for a in std}
    text = "; ".join(f"{a}: {c} (standard {std[a]}, critical {_d(crit.get(a))})"
                     for a, c in cats.items())
    values = set(cats.values())
    if any(c.startswith("trains beyond") for c in values):
        return "does not hold", text + "."
    if values == {"the activation fails under both inits"}:
        return "holds", text + "."
    if values == {"the initialisation fails, not the activation"}:
        return "does not hold", (
            "they fail only with the standard initialisation; at the edge of chaos they "
            f"train deeper — {text}.")
    return "holds with caveats", text + "."


def decide_9(std: dict[str, int], crit: dict[str, int | None]) -> tuple[str, str]:
    """Softsign's trainable depth within a factor 2 of 4, and logsig's ≥ 8 (standard init)."""
    soft_ok = 2 <= std["softsign"] <= 8
    log_ok = std["logsig"] >= 8
    text = (f"standard init: softsign trains to depth {std['softsign']} (claim: about 4), "
            f"logsig to {std['logsig']} (claim: 8 or more); critical init: softsign "
            f"{_d(crit.get('softsign'))}, logsig {_d(crit.get('logsig'))}.")
    if soft_ok and log_ok:
        return "holds", text
    if soft_ok or log_ok:
        return "holds with caveats", text
    return "does not hold", text


def decide_10(std: dict[str, int], crit: dict[str, int | None], deepest: int,
              output_slope: float) -> tuple[str, str]:
    """Holds if ReLU and softplus train at every depth tried under standard init; with
    caveats if only under critical init."""
    tail = (f" A sigmoid read-out adds one factor of at most {output_slope:g} to every "
            "gradient, whatever the depth, so it cannot compound.")
    text = "; ".join(f"{a}: standard {std[a]}, critical {_d(crit.get(a))}" for a in std)
    if all(v >= deepest for v in std.values()):
        return "holds", f"both train at every depth tried (up to {deepest}): {text}." + tail
    if all((crit.get(a) or 0) >= deepest for a in std):
        return "holds with caveats", (
            f"only with critical (He-type) initialisation do they train at every depth tried "
            f"(up to {deepest}); with the standard init: {text}. Initialisation matters for "
            "rectifiers too, contrary to the essay." + tail)
    return "does not hold", f"trainable depths: {text}." + tail


def _d(depth: int | None) -> str:
    return "not run" if depth is None else str(depth)


def _final(verdict: str, why: str, acts: Sequence[str], crit: dict[str, int | None]
           ) -> tuple[str, str]:
    """The verdict needs a second init: without it the claim is "not evaluated"; where
    theory has no edge of chaos, He's init stands in (and the page says so)."""
    notes = [f"{a}: {critical_problem(a)} — He's init N(0, 2/fan_in) used in its place"
             for a in acts if critical_problem(a) is not None]
    note = (" Note: " + "; ".join(notes) + ".") if notes else ""
    if any(crit.get(a) is None for a in acts):
        return "not evaluated", (
            "the verdict needs a second (critical or He) initialisation, whose runs are "
            f"missing.{note} Standard-init evidence so far: {why}")
    return verdict, why + note


def second_init(act: str) -> str:
    """Critical init, or He's where theory finds no edge of chaos at sigma_b = 0."""
    return CRITICAL if critical_problem(act) is None else HE


@lru_cache(maxsize=64)
def predicted_depth(act: str, init: str) -> float | None:
    """Theory's trainable depth (6 xi_c) at the init's sigma_w, sigma_b = 0; None if unknown."""
    try:
        from depthscope.init import nominal_sigma_w
        from depthscope.theory import depth_scales

        sigma_w = (critical_sigma_w(act) if init == CRITICAL
                   else nominal_sigma_w(init, activation=act, sigma_b=0.0))
        value = float(depth_scales(get(act), sigma_w, 0.0).trainable_depth)
    except Exception:  # theory unavailable or no fixed point: no overlay
        return None
    return value if math.isfinite(value) else math.inf


def _measured(ctx: Context, acts: Sequence[str]) -> tuple[dict, dict, dict, list]:
    runs, _ = depth_sweep(ctx)
    fractions, accuracy = depth_table(runs), median_accuracy(runs)
    datasets = ctx.profile.datasets
    std, crit, rows = {}, {}, []
    for act in acts:
        label = get(act).label
        alt = second_init(act)
        per = {init: [trainable_depth(fractions.get((d, label, init), {})) for d in datasets]
               for init in (STANDARD, alt)}
        std[act] = min(per[STANDARD])
        have_crit = all((d, label, alt) in fractions for d in datasets)
        crit[act] = min(per[alt]) if have_crit else None
        for init in (STANDARD, alt):
            for d, depth in zip(datasets, per[init], strict=True):
                rows.append((act, init, d, depth, predicted_depth(act, init)))
    return std, crit, {"runs": runs, "accuracy": accuracy}, rows


def _figure(ctx: Context, name: str, acts: Sequence[str], data: dict) -> Figure:
    datasets, accuracy, runs = ctx.profile.datasets, data["accuracy"], data["runs"]

    def draw(axes: np.ndarray) -> None:
        for i, dataset in enumerate(datasets):
            for j, init in enumerate((STANDARD, CRITICAL)):
                ax = axes[i, j]
                for k, act in enumerate(acts):
                    init_used = second_init(act) if init == CRITICAL else init
                    series = accuracy.get((dataset, get(act).label, init_used), {})
                    depths = sorted(series)
                    line = ax.plot(depths, [series[d] for d in depths], "o-", label=act,
                                   color=f"C{k}")[0]
                    pred = predicted_depth(act, init_used)
                    if pred is not None and math.isfinite(pred) and pred > 0:
                        ax.axvline(pred, color=line.get_color(), ls=":", lw=1)
                ax.axhline(threshold(runs, dataset), color="k", ls="--", lw=0.8)
                ax.set_xscale("log", base=2)
                depths = ctx.profile.depths
                ax.set(xlabel="hidden layers", ylabel="median best val. acc.",
                       title=f"{dataset}, {init} init" + (" (He if none)" if j else ""),
                       ylim=(0, 1),
                       xlim=(min(depths) / 1.3, max(depths) * 1.3))
                ax.legend(fontsize=7)

    return plot(name, "Median best validation accuracy against depth (dashed: trainability "
                "threshold; dotted: theory's trainable depth 6·xi_c where finite).", draw,
                ncols=2, nrows=len(datasets), width=4.6, height=3.3)


def _table(rows: list) -> Table:
    return Table("Trainable depth (deepest depth where ≥ half the seeds train)",
                 ("activation", "init", "data set", "measured", "theory 6·xi_c"), tuple(rows))


def _check(ctx: Context, info: ClaimInfo, acts: tuple[str, ...], figure: str,
           decide: Callable[[dict[str, int], dict[str, int | None]], tuple[str, str]]
           ) -> ClaimResult:
    std, crit, data, rows = _measured(ctx, acts)
    verdict, why = _final(*decide(std, crit), acts, crit)
    return info.result(verdict, why, figures=[_figure(ctx, figure, acts, data)],
                       tables=[_table(rows)])


def check_8(ctx: Context) -> ClaimResult:
    return _check(ctx, INFO_8, ("sigmoid", "tanh", "arctan"), "claim08_depth", decide_8)


def check_9(ctx: Context) -> ClaimResult:
    return _check(ctx, INFO_9, ("softsign", "logsig", "tanh"), "claim09_depth", decide_9)


def check_10(ctx: Context) -> ClaimResult:
    def decide(std: dict[str, int], crit: dict[str, int | None]) -> tuple[str, str]:
        return decide_10(std, crit, max(ctx.profile.depths), get("sigmoid").meta.max_slope)

    return _check(ctx, INFO_10, ("relu", "softplus"), "claim10_depth", decide)


CHECKS = ((INFO_8, check_8), (INFO_9, check_9), (INFO_10, check_10))
