"""Claim 7: LeCun's 1.7159·tanh(2x/3) — its stated properties, and how it trains vs tanh."""

from __future__ import annotations

import numpy as np
from scipy import integrate, stats

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import LECUN, depth_sweep, depth_table, trainable_depth
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "7", QA + " — comment citing LeCun et al. 1998",
    "1.7159·tanh(2x/3) is a commonly used variant of tanh: f(±1) = ±1, |f''| is largest near "
    "x = 1, its gain is close to 1 (unit-variance inputs give roughly unit-variance outputs), "
    "and it trains better than plain tanh.",
    "Compute f(1), the argmax of |f''| on x > 0 (grid + activation closed forms), the slope "
    "at 0 and the output standard deviation sqrt(E[f(z)²]) for z ~ N(0, 1) (adaptive "
    "quadrature); then compare trainable depth "
    "and accuracy of tanh and LeCun's tanh in the depth sweep, both with LeCun's own "
    "initialisation N(0, 1/fan_in).",
)
ARGMAX = "argmax |f''| (x > 0)"
STD = "std of f(z), z ~ N(0,1)"
SLOPE = "f'(0)"


def properties() -> dict[str, float]:
    """f(1), argmax_{x>0} |f''(x)|, f'(0) and sqrt(E[f(z)^2]) for LeCun's tanh."""
    act = get("lecun_tanh")
    x = np.linspace(1e-4, 5.0, 500_001)
    second_moment, _ = integrate.quad(lambda z: float(act.phi(z)) ** 2 * stats.norm.pdf(z),
                                      -np.inf, np.inf)
    return {"f(1)": float(act.phi(np.float64(1.0))),
            ARGMAX: float(x[np.argmax(np.abs(act.d2phi(x)))]),
            SLOPE: act.meta.slope_at_0,
            STD: float(np.sqrt(second_moment))}


def decide(props: dict[str, float], depth_lecun: int, depth_tanh: int) -> tuple[str, str]:
    """f(1) = 1 to 1e-3, argmax |f''| within 0.25 of 1, output std within 0.2 of 1; then
    training at least as deep as tanh."""
    ok = (abs(props["f(1)"] - 1) < 1e-3 and abs(props[ARGMAX] - 1) < 0.25
          and abs(props[STD] - 1) < 0.2)
    text = (f"f(1) = {props['f(1)']:.5f}, |f''| peaks at x = "
            f"{props[ARGMAX]:.3f}, "
            f"std f(z) = {props[STD]:.3f} for z ~ N(0, 1), f'(0) = {props[SLOPE]:.4f}; "
            "trainable depth with LeCun init: "
            f"LeCun's tanh {depth_lecun}, tanh {depth_tanh}")
    if not ok:
        return "does not hold", text + " (a stated property is off)."
    if depth_lecun >= depth_tanh:
        return "holds", text + "."
    return "holds with caveats", text + "; the properties hold but it trains less deep here."


def check(ctx: Context) -> ClaimResult:
    props = properties()
    runs, _ = depth_sweep(ctx)
    fractions = depth_table(runs)
    depths, rows = {}, []
    for name in ("lecun_tanh", "tanh"):
        label = get(name).label
        per = [trainable_depth(fractions.get((d, label, LECUN), {})) for d in ctx.profile.datasets]
        depths[name] = min(per)
        sel = runs[(runs["label"] == label) & (runs["init"] == LECUN)]
        for d in ctx.profile.datasets:
            acc = sel[sel["dataset"] == d].groupby("depth")["best_val_accuracy"].median()
            rows.extend((name, d, int(k), float(v)) for k, v in acc.items())
    verdict, why = decide(props, depths["lecun_tanh"], depths["tanh"])

    def draw(axes: np.ndarray) -> None:
        x = np.linspace(-3, 3, 601)
        for name in ("lecun_tanh", "tanh"):
            act = get(name)
            axes[0, 0].plot(x, act.phi(x), label=f"{name}")
            axes[0, 1].plot(x, act.d2phi(x), label=f"{name}''")
        axes[0, 0].plot([-1, 1], [-1, 1], "k.", ms=8)
        axes[0, 0].set(xlabel="x", title="f(±1) = ±1 for LeCun's tanh")
        axes[0, 1].axvline(1.0, color="k", ls=":")
        axes[0, 1].set(xlabel="x", title="second derivatives")
        axes[0, 0].legend()
        axes[0, 1].legend()

    fig = plot("claim07_lecun", "LeCun's 1.7159·tanh(2x/3) against tanh: values (dots at "
               "±1) and second derivatives (dotted: x = 1).", draw, ncols=2)
    table = Table("Median best validation accuracy, LeCun init", ("activation", "data set",
                  "depth", "median best val. acc."), tuple(rows))
    return INFO.result(verdict, why, figures=[fig], tables=[table], numbers=props)
