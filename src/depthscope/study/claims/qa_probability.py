"""The Q&A's first ask: "a probabilistic model that tells how often vanishing happens".

Answered by :func:`depthscope.theory.finite_width.gradient_distribution` (mean-field drift
plus the finite-width log-normal spread of ``||J t||``; Hanin & Nica 2019) and checked for
calibration against sampled nets over a grid that straddles the edge of chaos.
"""

from __future__ import annotations

import math

import numpy as np

from depthscope.report.figures import plot
from depthscope.simulate.products import network_products
from depthscope.study import stats
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

#: (activation, sigma_w, sigma_b): tanh across its edge of chaos at sigma_b = 0 (sigma_w = 1)
#: and at sigma_b² = 0.05 (sigma_w = 1.327), ReLU around He's sigma_w = √2
SETTINGS = (("tanh", 0.8, 0.0), ("tanh", 0.9, 0.0), ("tanh", 1.0, 0.0), ("tanh", 1.1, 0.0),
            ("tanh", 1.3, 0.0), ("tanh", 1.1, math.sqrt(0.05)),
            ("tanh", 1.327, math.sqrt(0.05)), ("tanh", 1.6, math.sqrt(0.05)),
            ("relu", 1.3, 0.0), ("relu", math.sqrt(2.0), 0.0), ("relu", 1.5, 0.0))
WIDTHS = (16, 64)
KS = (1, 2, 3)  # "vanishes by 10^k": ||J t|| < 10^-k
UNCERTAIN = (0.02, 0.98)  # a cell is informative when either probability lies inside
COVERAGE, CAVEAT_COVERAGE, MAX_ERROR = 0.8, 0.5, 0.05
INFO = ClaimInfo(
    "probability", QA + " — its first ask",
    "Wanted: \"a probabilistic model that tells how often vanishing happens\". Offered: "
    "P(||J t|| < 10^-k | activation, sigma_w, sigma_b, depth L, width n) = "
    "Phi((-k - m)/s), with m the mean-field drift of log10 ||J t|| and s its finite-width "
    "spread (variance ≈ L (2 + 3 kappa)/n, kappa = E phi'^4/(E phi'^2)^2 - 1; ReLU: 5 L/n, "
    "Hanin & Nica 2019).",
    "The model (depthscope.theory.finite_width) against sampled Gaussian nets at init "
    "(inputs N(0, 1), ||J t|| for a random unit t, the Monte Carlo of claims 3 and 4) over "
    "tanh across its edge of chaos at sigma_b = 0 and sigma_b² = 0.05 and ReLU around He's "
    "init, widths 16 and 64, the Monte Carlo depths, and thresholds 10^-1, 10^-2, 10^-3: "
    "in each cell the model's probability against the observed share of nets with its "
    "Clopper-Pearson 95 % interval.",
)
RULE = (f"Over the informative cells (model or observed probability in "
        f"[{UNCERTAIN[0]:g}, {UNCERTAIN[1]:g}]): holds if the model's probability lies inside "
        f"the observed share's 95 % interval in at least {COVERAGE:.0%} of them and the mean "
        f"absolute error over all cells is at most {MAX_ERROR:g}; holds with caveats if the "
        f"coverage is at least {CAVEAT_COVERAGE:.0%}; does not hold otherwise.")


def decide(model: np.ndarray, observed: list[stats.Interval]) -> tuple[str, str, float, float]:
    """:data:`RULE` on the cells' model probabilities and observed shares; also returns the
    coverage and the mean absolute error."""
    est = np.array([iv.estimate for iv in observed])
    inside = np.array([iv.low <= p <= iv.high for p, iv in zip(model, observed, strict=True)])
    lo, hi = UNCERTAIN
    informative = ((model > lo) & (model < hi)) | ((est > lo) & (est < hi))
    error = float(np.mean(np.abs(model - est)))
    if not informative.any():
        return "inconclusive", "no cell is informative.", math.nan, error
    coverage = float(inside[informative].mean())
    text = (f"the model's probability lies inside the observed share's 95 % interval in "
            f"{int(inside[informative].sum())} of {int(informative.sum())} informative cells "
            f"({coverage:.0%}); mean absolute error {error:.3f} over all {model.size} cells")
    if coverage >= COVERAGE and error <= MAX_ERROR:
        return "holds", text + ".", coverage, error
    if coverage >= CAVEAT_COVERAGE:
        return "holds with caveats", text + ".", coverage, error
    return "does not hold", text + ".", coverage, error


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory.finite_width import gradient_distribution

    p = ctx.profile
    depths = tuple(p.mc_depths)
    rows, model, observed, curves = [], [], [], {}
    for act, sw, sb in ctx.track(SETTINGS, "the probabilistic model: sampled nets"):
        for n in WIDTHS:
            logs = network_products(act, depths, p.mc_nets, n, sw, sb, device=ctx.device,
                                    seed=3).jacobian.log10_g  # (nets, depths)
            dist = gradient_distribution(act, sw, sb, max(depths), n)
            for k in KS:
                prob = dist.p_vanish(k)[[d - 1 for d in depths]]
                for j, depth in enumerate(depths):
                    hits = int(np.sum(logs[:, j] < -k))
                    iv = stats.proportion(hits, logs.shape[0])
                    model.append(float(prob[j]))
                    observed.append(iv)
                    rows.append((act, sw, sb, n, depth, k, float(prob[j]), iv.estimate,
                                 iv.low, iv.high, iv.low <= prob[j] <= iv.high))
                if (act, sw, sb) == ("tanh", 1.0, 0.0) and k == 2:
                    curves[n] = (prob, [iv for iv in observed[-len(depths):]])
    verdict, why, coverage, error = decide(np.array(model), observed)
    worst = sorted(rows, key=lambda r: -abs(r[6] - r[7]))[:3]
    why += (" Largest misses (model vs observed): " + "; ".join(
        f"{r[0]} sigma_w {r[1]:.3g}, sigma_b {r[2]:.3g}, width {r[3]}, depth {r[4]}, 10^-{r[5]}: "
        f"{r[6]:.2f} vs {r[7]:.2f}" for r in worst) + " — where depth/width is large the "
            "sampled spread exceeds the model's, which keeps only the leading order in "
            "depth/width and leaves out the fluctuation of the layers' q.")

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        est = np.array([iv.estimate for iv in observed])
        err = np.array([[iv.estimate - iv.low for iv in observed],
                        [iv.high - iv.estimate for iv in observed]])
        ax.errorbar(model, est, yerr=err, fmt="o", ms=3, alpha=0.6, elinewidth=0.6)
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set(xlabel="model's P(||J t|| < 10^-k)", ylabel="observed share of nets (95 % CI)",
               title="calibration, every cell")
        ax = axes[0, 1]
        for i, (n, (prob, ivs)) in enumerate(curves.items()):
            ax.plot(depths, prob, "-", color=f"C{i}", label=f"model, width {n}")
            ax.errorbar(depths, [iv.estimate for iv in ivs],
                        yerr=[[iv.estimate - iv.low for iv in ivs],
                              [iv.high - iv.estimate for iv in ivs]],
                        fmt="o", color=f"C{i}", capsize=3, label=f"sampled, width {n}")
        ax.set(xscale="log", xlabel="depth L", ylabel="P(||J t|| < 1e-2)",
               title="the Q&A's tanh at sigma_w = 1, sigma_b = 0")
        ax.legend(fontsize=7)

    fig = plot("probability_calibration",
               "Left: the model's probability that the gradient ratio vanishes by 10^-k "
               "against the observed share of sampled nets (95 % Clopper-Pearson intervals), "
               f"every (setting, width, depth, k) cell; dashed: perfect calibration. Right: "
               f"at the edge of chaos of tanh with sigma_b = 0, P(vanish by 10^-2) against "
               f"depth for widths {', '.join(map(str, WIDTHS))} ({p.mc_nets} nets per point): "
               "at finite width vanishing is a matter of probability even on the edge.",
               draw, ncols=2)
    table = Table("Model against sampled nets, every cell",
                  ("activation", "sigma_w", "sigma_b", "width", "depth", "k", "model P",
                   "observed", "95 % low", "95 % high", "inside"), tuple(rows))
    key = f"coverage {coverage:.0%} of informative cells, mean |error| {error:.3f}"
    return INFO.result(verdict, why, figures=[fig], tables=[table], key=key, rule=RULE,
                       numbers={"coverage (informative cells)": coverage,
                                "mean absolute error": error})
