"""Claim 3: the Q&A's "probabilistic model" of the gradient product over K layers."""

from __future__ import annotations

import numpy as np

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.simulate.products import ProductStats, iid_products, network_products
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table, combined
from depthscope.study.stats import Interval, proportion

INFO = ClaimInfo(
    "3", QA,
    "For tanh(n·x) with n > 1 the product g = Π phi'(x_k) need not vanish, but keeping it "
    "away from 0 is hard: as depth K grows g is likely to vanish, and too many x near 0 "
    "make it explode (up to n^K).",
    "Monte Carlo of g over K layers (vectorised): (a) the Q&A's own model, x_k i.i.d. "
    "N(0, 1); (b) random Gaussian nets at init (sigma_w = 1, sigma_b = 0), where x_k are "
    "the pre-activations met along a unit path, and the true gradient ratio ||J t|| "
    "(J = dh^K/dh^0) beside it. g vanishes if |g| < 1e-6 and explodes if |g| > 1e6. "
    "Also the drift E[log10 phi'(x)] of the random walk log|g| (law of large numbers). The "
    "verdict is read on the real nets' ||J t||; the i.i.d. model is the Q&A's, shown beside.",
)
VANISH, EXPLODE = 1e-6, 1e6
EXPLODE_RARE = 0.05  # part (ii) fails when exploding is rarer than this for every n > 1


RULE = (f"Decided on sampled random nets (sigma_w = 1, sigma_b = 0: the Q&A's tanh(n·x) in "
        f"a real net), by the true gradient ratio ||J t|| at the deepest K, per n > 1, with "
        f"its Clopper-Pearson 95 % interval over nets. (i) 'g is likely to vanish': holds if "
        f"P(||J t|| < {VANISH:g}) has its interval above 0.5 for every n > 1, does not hold "
        f"if below 0.5 for some n, else inconclusive. (ii) 'too many x near 0 make it "
        f"explode': holds if P(||J t|| > {EXPLODE:g}) has its interval above 0 for some "
        f"n > 1, does not hold if its upper end is below {EXPLODE_RARE:g} for every n, else "
        f"inconclusive. The claim: both hold → holds; one holds "
        f"and one does not → partly holds (study.result.combined). The Q&A's own i.i.d. model "
        f"(x_k ~ N(0, 1), slopes only, |g| ≤ n^K) is shown beside it, not used. Rule of "
        f"2026-12-05, replacing one decided on the i.i.d. model.")


def _listed(what: str, p: dict[float, Interval]) -> str:
    return f"{what}: " + ", ".join(f"n = {n:g}: {iv.text()}" for n, iv in p.items())


def decide_vanish(p: dict[float, Interval]) -> tuple[str, str]:
    """Part (i): every n above 0.5 holds, some n below 0.5 does not."""
    text = _listed("P(||J t|| < 1e-6)", p)
    if all(iv.low > 0.5 for iv in p.values()):
        return "holds", text
    if any(iv.high < 0.5 for iv in p.values()):
        return "does not hold", text
    return "inconclusive", text


def decide_explode(p: dict[float, Interval]) -> tuple[str, str]:
    """Part (ii): some n above 0 holds, every n below :data:`EXPLODE_RARE` does not."""
    text = _listed("P(||J t|| > 1e6)", p)
    if any(iv.low > 0.0 for iv in p.values()):
        return "holds", text
    if all(iv.high < EXPLODE_RARE for iv in p.values()):
        return "does not hold", text
    return "inconclusive", text


def decide(p_vanish: dict[float, Interval], p_explode: dict[float, Interval]
           ) -> tuple[str, str]:
    """:data:`RULE` on the real nets' P(vanish) and P(explode) at the deepest K (n > 1)."""
    vanish, explode = decide_vanish(p_vanish), decide_explode(p_explode)
    verdict = combined({"vanish": vanish[0], "explode": explode[0]})  # type: ignore[dict-item]
    return verdict, (f"in random nets at the deepest depth, 'likely to vanish' {vanish[0]} "
                     f"({vanish[1]}); 'explodes' {explode[0]} ({explode[1]}).")


def check(ctx: Context) -> ClaimResult:
    p = ctx.profile
    ks = p.mc_depths
    rows, iid, net = [], {}, {}
    for n in ctx.track(p.mc_scales, "claim 3: Monte Carlo of g"):
        act = get("tanh", scale=n)
        iid[n] = iid_products(act, ks, p.mc_samples, vanish=VANISH, explode=EXPLODE)
        net[n] = network_products(act, ks, p.mc_nets, p.mc_width, 1.0, vanish=VANISH,
                                  explode=EXPLODE, device=ctx.device)
        drift = float(np.mean(np.log10(np.abs(act.dphi(np.random.default_rng(1)
                                                         .standard_normal(p.mc_samples))))))
        for model, stats in (("i.i.d. N(0,1)", iid[n]), ("random net: path", net[n].path),
                             ("random net: ||J t||", net[n].jacobian)):
            for j, k in enumerate(ks):
                rows.append((n, model, k, float(stats.median_log10[j]),
                             float(stats.p_vanish[j]), float(stats.p_explode[j]),
                             drift if model.startswith("i.i.d.") else None))
    bound_ok = all(float(np.max(iid[n].log10_g[:, j])) <= ks[j] * np.log10(n) + 1e-9
                   for n in iid for j in range(len(ks)))
    big = [n for n in net if n > 1]

    def share(p: np.ndarray, samples: ProductStats) -> Interval:
        """The deepest K's share (ProductStats' own count) with its exact interval."""
        n = samples.log10_g.shape[0]
        return proportion(round(float(p[-1]) * n), n)

    real_vanish = {n: share(net[n].jacobian.p_vanish, net[n].jacobian) for n in big}
    real_explode = {n: share(net[n].jacobian.p_explode, net[n].jacobian) for n in big}
    verdict, why = decide(real_vanish, real_explode)
    model = {n: share(iid[n].p_vanish, iid[n]) for n in big}
    why += (" Beside it, the Q&A's i.i.d. model (slopes only): P(|g| < 1e-6) at the deepest "
            "K " + ", ".join(f"n = {n:g}: {iv.text()}" for n, iv in model.items())
            + f"; |g| ≤ n^K {'always' if bound_ok else 'NOT always'} — the model vanishes, "
            "but in a real net tanh(n·x) with weights sigma_w is tanh(x) with weights "
            "n·sigma_w, in the chaotic phase for n > 1, where the true gradient grows.")
    from depthscope.theory import dks_transform

    shaped = {k: dks_transform("tanh", k).scale for k in (10, 50, 100)}
    why += (" The remedy the Q&A looks for exists the other way round (section 'transform'): "
            "tanh transformed for the depth (DKS, zeta = 1.5) takes n = "
            + ", ".join(f"{v:.2f} at depth {k}" for k, v in shaped.items())
            + ", below 1 and shrinking; whether that trains a deep tanh MLP where plain "
            "tanh does not is the 'transform' section's verdict.")

    def draw(axes: np.ndarray) -> None:
        for n in iid:
            axes[0, 0].plot(ks, iid[n].p_vanish, "o-", label=f"n={n:g} i.i.d.")
            axes[0, 0].plot(ks, net[n].path.p_vanish, "s--", label=f"n={n:g} net path")
            axes[0, 1].plot(ks, net[n].jacobian.median_log10, "o-", label=f"n={n:g} ||J t||")
            axes[0, 1].plot(ks, net[n].path.median_log10, "s--", label=f"n={n:g} path g")
        axes[0, 0].set(xscale="log", xlabel="depth K", ylabel="P(|g| < 1e-6)",
                       title="probability that g vanishes")
        axes[0, 1].set(xscale="log", xlabel="depth K", ylabel="median log10 |g|",
                       title="random nets (sigma_w = 1): g vs true gradient")
        axes[0, 0].legend(fontsize=7)
        axes[0, 1].legend(fontsize=7)

    fig = plot("claim03_products", "Left: P(g vanishes) against depth for tanh(n·x). Right: "
               "in random nets the Q&A's product g (slopes only) vanishes while the true "
               "gradient ratio, which also carries the weights, does not; the weights undo "
               "part of the slope loss.", draw, ncols=2)
    table = Table("Distribution of log10|g| (median) and P(vanish), P(explode) per depth",
                  ("n", "model", "K", "median log10|g|", "P(vanish)", "P(explode)",
                   "E[log10 phi'(x)], x~N(0,1)"), tuple(rows))
    n_key = 2.0 if 2.0 in big else max(big)
    key = (f"random nets, K = {ks[-1]}, n = {n_key:g}: P(||J t|| vanishes) = "
           f"{real_vanish[n_key].text()}, P(explodes) = {real_explode[n_key].text()}; "
           f"i.i.d. model P(g vanishes) = {model[n_key].text()}")
    intervals = {f"P(||J t|| vanishes), n = {n:g}": iv.to_json()
                 for n, iv in real_vanish.items()}
    intervals |= {f"P(||J t|| explodes), n = {n:g}": iv.to_json()
                  for n, iv in real_explode.items()}
    intervals |= {f"i.i.d. model P(g vanishes), n = {n:g}": iv.to_json()
                  for n, iv in model.items()}
    return INFO.result(verdict, why, figures=[fig], tables=[table], key=key, rule=RULE,
                       intervals=intervals)
