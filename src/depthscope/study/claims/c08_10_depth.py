"""Claims 8-10: which activations train deep, under standard AND critical initialisation.

One depth sweep (every essay activation × {standard, critical} init × depths × seeds, each
cell at its own tuned learning rate; :mod:`depthscope.study.protocol`) decides all three. Each
activation's trainable depth comes with a 95 % bootstrap interval over the evaluation seeds,
and a verdict is drawn only when the intervals decide it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.study import stats
from depthscope.study.claims import ESSAY, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import (
    BUDGET_FACTOR,
    WIDE,
    DepthEvidence,
    arm_depths,
    arm_init,
    boundary,
    budget_check,
    critical_point,
    depth_sweep,
    output_sweep,
    plateau_table,
    width_check,
)
from depthscope.study.protocol import depth_bounds
from depthscope.study.result import ClaimResult, Figure, Table, combined
from depthscope.study.stats import Interval

METHOD = (
    "Train MLPs of 1 to 32 hidden layers (the critical arm to 64) on the built-in data sets, "
    "SGD with momentum 0.9, under the essay's implied setting — standard initialisation "
    "U[±1/√fan_in] (sigma_w² = 1/3, Glorot & Bengio 2010) — and under critical (edge-of-chaos) "
    "initialisation from theory at sigma_b² = 0.05 (q* > 0; Schoenholz et al. 2017; ReLU-like "
    "activations, which have no edge of chaos there, get Hayou et al.'s point (0, √2), He's "
    "init), the read-out layer always standard. Protocol (depthscope.study.protocol): the learning "
    "rate of every (data set, activation, init, depth) is chosen on the validation split of "
    "2 tuning seeds from a √10-spaced grid, extended when the best value sits on its edge; 5 "
    "fresh evaluation seeds are then trained at that rate and scored on the test split. A run "
    "is trainable when 2·correct ≥ chance + ref in test counts (ref: median of the depth-1 "
    "net of the same activation and init); the trainable depth is the deepest depth where at "
    "least half of the seeds train, with a 95 % bootstrap interval over seeds (the smaller "
    "over the learnable data sets). A run that fails while its training loss still falls "
    "(rule of 2026-12-05: the mean recorded loss of the last third of training more than "
    "5 % below the middle third's) is censored, not failed: the interval's upper end counts "
    "it as trainable (its 'reach'). Theory's trainable depth 6·xi_c is shown beside it."
)
INFO_8 = ClaimInfo(
    "8", ESSAY,
    "The logistic sigmoid, tanh and arctan are unusable (\"crap\") in any network of more "
    "than two hidden layers.", METHOD, trains=True)
INFO_9 = ClaimInfo(
    "9", ESSAY,
    "Softsign trains up to about four hidden layers; logsig remains useful through eight or "
    "more (both with careful initialisation).", METHOD, trains=True)
METHOD_10 = (
    " Claim 10 also trains logmin and the logarithmic semisigmoid in the same sweep, and ReLU "
    "and softplus at He's init with sigmoid outputs (per-class sigma(z), squared error to "
    "one-hot targets: the read-out whose slope multiplies every gradient), tuned and "
    "evaluated by the same protocol with the same evaluation seeds.")
INFO_10 = ClaimInfo(
    "10", ESSAY,
    "ReLU (ramp) and softplus solve both gradient problems; a sigmoid on the output layer "
    "only does not bring them back; logmin and the logarithmic semisigmoid are well-behaved "
    "too (\"use any of these instead\").", METHOD + METHOD_10, trains=True)

LIMIT_8 = 2  # "more than two hidden layers"
TOLERANCE_9 = math.sqrt(2.0)  # "about": within a factor √2, the same for every activation
CLAIMED_9 = {"softsign": (4 / TOLERANCE_9, 4 * TOLERANCE_9),  # "about four"
             "logsig": (8 / TOLERANCE_9, math.inf)}  # "eight or more"
RULE_8 = (f"For each of sigmoid, tanh, arctan and each init: the trainable depth's 95 % interval "
          f"above {LIMIT_8} means it trains beyond two layers; at or below {LIMIT_8} means it "
          "fails there. Does not hold if any activation trains beyond two layers under either "
          "init; holds if every one fails under both; otherwise inconclusive.")
RULE_9 = ("Under the critical (careful) init: softsign's trainable depth interval inside "
          "[4/√2, 4·√2] and logsig's inside [8/√2, ∞) (the same factor √2 of tolerance for "
          "both). Each part holds if its interval lies inside its range, fails if wholly "
          "outside; holds if both hold, does not hold if both fail, partly holds if one "
          "holds and the other fails, otherwise inconclusive.")
RULE_10 = ("With D the deepest depth tried for the arm: holds if the trainable depth's interval "
           "of both ReLU and softplus reaches D (lower end = D) with the standard init; with "
           "caveats if that holds only with the critical (He) init and the standard init "
           "fails below D (upper end < D) for one of them; does not hold if one of them fails "
           "below D under both inits; otherwise inconclusive.")

RECTIFIERS = ("relu", "softplus")
LOGARITHMIC = ("logmin", "log_semisigmoid")
#: the most a sigmoid read-out may cost: one step of the doubling depth grid (its resolution)
OUTPUT_STEPS = 1
RULE_10_PARTS = (
    " Parts (rule of 2026-12-05, before its first run): (i) ReLU and softplus by the rule "
    "above; (ii) logmin and the logarithmic semisigmoid by the same rule; (iii) the sigmoid "
    "read-out: per activation (ReLU, softplus; He init), the depth-grid steps lost by "
    "sigmoid outputs against softmax outputs (trainable depth's grid index, 0 layers = one "
    "below the first), with a paired bootstrap over the shared evaluation seeds (the worse "
    f"over data sets); an activation passes if the interval's upper end ≤ {OUTPUT_STEPS} "
    f"step, fails if its lower end > {OUTPUT_STEPS}; the part holds if both pass, does not "
    "hold if one fails, else inconclusive. The claim: every part holds → holds; all hold, "
    "some with caveats → holds with caveats; some do not hold and some hold → partly holds; "
    "some do not hold and the rest are inconclusive → does not hold; otherwise "
    "inconclusive.")

RULE_CHECKS = (
    f" Boundary checks (claims 8-10; rules of 2026-12-05): each arm's depth-1 net and the grid "
    f"depth after its trainable depth are re-run with the evaluation seeds (a) {BUDGET_FACTOR}× "
    "longer, at an lr tuned anew by rule 1 at that budget, and (b) at width "
    f"{WIDE} at the sweep's lr; the rule is applied again with each, and a verdict that "
    "changes in either is 'inconclusive', with every verdict named. (The budget check's first "
    "version kept the 200-step lr; it was revised to re-tune after its first run, which "
    "showed that lr deciding He-ReLU at depth 32. The width check was fixed before its "
    "first run.)")


def robust_verdict(verdict: str, why: str, base: str,
                   others: dict[str, tuple[str, Sequence[str]]]) -> tuple[str, str]:
    """:data:`RULE_CHECKS`: ``(verdict, why)`` in the profile's setting ``base`` against
    the verdict in each other setting (``others``: setting → (verdict, the depths that
    moved))."""
    def moved(depths: Sequence[str]) -> str:
        return ", ".join(depths) if depths else "no trainable depth moves"

    if any(v != verdict for v, _ in others.values()):
        changes = "; ".join(f"'{v}' with each arm's boundary at {setting} ({moved(d)})"
                            for setting, (v, d) in others.items())
        return "inconclusive", (f"the verdict moves with the setting: '{verdict}' at {base}; "
                                f"{changes}. At {base}: {why}")
    return verdict, why + "".join(f" With each arm's boundary at {setting} the verdict stays "
                                  f"({moved(d)})." for setting, (_, d) in others.items())


def _side(iv: Interval, limit: float) -> str:
    return stats.side(iv, limit)


def decide_8(std: dict[str, Interval], crit: dict[str, Interval], limit: int = LIMIT_8
             ) -> tuple[str, str]:
    """:data:`RULE_8` on the trainable-depth intervals of each activation."""
    text = "; ".join(f"{a}: standard {std[a].text()}, critical {crit[a].text()}" for a in std)
    sides = [_side(iv, limit) for arm in (std, crit) for iv in arm.values()]
    if "above" in sides:
        beyond = [a for a in std if "above" in (_side(std[a], limit), _side(crit[a], limit))]
        return "does not hold", (f"{', '.join(beyond)} train(s) beyond {limit} hidden layers "
                                 f"(trainable depth and 95 % interval — {text}).")
    if all(s == "below" for s in sides):
        return "holds", f"none trains beyond {limit} hidden layers under either init ({text})."
    return "inconclusive", (f"the intervals reach across {limit} layers and decide nothing "
                            f"({text}).")


def decide_9(crit: dict[str, Interval], std: dict[str, Interval]) -> tuple[str, str]:
    """:data:`RULE_9` on the critical-init intervals of softsign and logsig."""
    parts = {a: stats.within(crit[a], *CLAIMED_9[a]) for a in CLAIMED_9}
    text = "; ".join(
        f"{a}: critical {crit[a].text()} (claimed range [{lo:.3g}, {hi:.3g}]: {parts[a]}), "
        f"standard {std[a].text()}" for a, (lo, hi) in CLAIMED_9.items())
    values = set(parts.values())
    if values == {"inside"}:
        return "holds", text + "."
    if values == {"outside"}:
        return "does not hold", text + "."
    if values == {"inside", "outside"}:
        return "partly holds", text + " — one part holds, the other does not."
    return "inconclusive", text + " — an interval crosses its claimed range."


def decide_10(std: dict[str, Interval], crit: dict[str, Interval], deepest_std: int,
              deepest_crit: int) -> tuple[str, str]:
    """:data:`RULE_10` on two activations' intervals (ReLU's and softplus's, or logmin's and
    the logarithmic semisigmoid's)."""
    text = "; ".join(f"{a}: standard {std[a].text()}, critical (He) {crit[a].text()}"
                     for a in std)
    reach_std = {a: iv.low >= deepest_std for a, iv in std.items()}
    fail_std = {a: iv.high < deepest_std for a, iv in std.items()}
    reach_crit = {a: iv.low >= deepest_crit for a, iv in crit.items()}
    fail_crit = {a: iv.high < deepest_crit for a, iv in crit.items()}
    if all(reach_std.values()):
        return "holds", f"both train at every depth tried ({text})."
    if all(reach_crit.values()) and any(fail_std.values()):
        return "holds with caveats", (
            f"only with the critical initialisation do both train at every depth tried "
            f"({text}); initialisation matters for them too, contrary to the essay.")
    if any(fail_std[a] and fail_crit[a] for a in std):
        return "does not hold", f"one fails below the deepest depth under both inits ({text})."
    return "inconclusive", f"the intervals do not decide ({text})."


def decide_output(lost: dict[str, Interval]) -> tuple[str, str]:
    """:data:`RULE_10_PARTS` (iii) on the depth-grid steps lost by sigmoid outputs."""
    passes = {a: iv.high <= OUTPUT_STEPS for a, iv in lost.items()}
    fails = {a: iv.low > OUTPUT_STEPS for a, iv in lost.items()}
    text = "; ".join(f"{a}: {iv.text()} grid steps lost" for a, iv in lost.items())
    if all(passes.values()):
        return "holds", (f"sigmoid outputs cost at most {OUTPUT_STEPS} doubling of trainable "
                         f"depth ({text}).")
    if any(fails.values()):
        worse = ", ".join(a for a, f in fails.items() if f)
        return "does not hold", f"sigmoid outputs cost {worse} more than {OUTPUT_STEPS} " \
            f"doubling of trainable depth ({text})."
    return "inconclusive", f"the intervals do not decide ({text})."


def grid_steps_lost(base: DepthEvidence, other: DepthEvidence, datasets: Sequence[str],
                    act: str, arm: str) -> Interval:
    """Depth-grid steps of trainable depth lost from ``base`` to ``other`` (the larger over
    ``datasets``), with a paired bootstrap: the same resampled seeds on both sides."""
    sides = []
    for d in datasets:
        mine, depths, seeds = base.states(d, act, arm)
        theirs, _, _ = other.states(d, act, arm)
        sides.append((mine, theirs, depths, seeds))

    def index(depths: tuple[int, ...], depth: int) -> int:
        return depths.index(depth) if depth else -1

    def lost(*idx: np.ndarray) -> float:
        return max(index(depths, depth_bounds(*mine(i), depths)[0])
                   - index(depths, depth_bounds(*theirs(i), depths)[0])
                   for (mine, theirs, depths, _), i in zip(sides, idx, strict=True))

    return stats.bootstrap([s[3] for s in sides], lost)


@lru_cache(maxsize=64)
def predicted_depth(act: str, arm: str) -> float | None:
    """Theory's trainable depth 6·xi_c at the arm's (sigma_w, sigma_b); ``inf`` at the edge of
    chaos (xi_c diverges there), None where the length map has no fixed point."""
    from depthscope.errors import DepthscopeError
    from depthscope.init import nominal_sigma_w
    from depthscope.theory import depth_scales

    fields = arm_init(act, arm)
    sigma_w = fields.get("sigma_w") or nominal_sigma_w(fields["init"], activation=act)
    try:
        value = float(depth_scales(get(act), sigma_w, fields.get("sigma_b", 0.0))
                      .trainable_depth)
    except DepthscopeError:  # no fixed point: q grows without bound
        return None
    return value if math.isfinite(value) else math.inf


def _theory_text(act: str, arm: str) -> str:
    pred = predicted_depth(act, arm)
    if pred is None:
        return "no fixed point (q grows without bound)"
    if math.isinf(pred):
        return "∞ (edge of chaos: xi_c diverges)"
    return f"{pred:.3g}"


def learnable_datasets(ctx: Context, ev: DepthEvidence) -> list[str]:
    return ev.learnable_datasets(ctx.profile.datasets)


def intervals(ctx: Context, acts: Sequence[str], arm: str) -> dict[str, Interval]:
    """Trainable depth with its interval for each activation on the learnable data sets."""
    ev = depth_sweep(ctx)
    used = learnable_datasets(ctx, ev)
    return {a: ev.depth_interval(used, a, arm) for a in acts}


def _figure(ctx: Context, name: str, acts: Sequence[str], ev: DepthEvidence) -> Figure:
    datasets = ctx.profile.datasets

    def draw(axes: np.ndarray) -> None:
        for i, dataset in enumerate(datasets):
            n = ev.examples(dataset)
            for j, arm in enumerate(("standard", "critical")):
                ax = axes[i, j]
                for k, act in enumerate(acts):
                    correct, depths = ev.correct(dataset, act, arm)
                    ivs = [stats.median_interval(correct[:, c] / n) for c in range(len(depths))]
                    med = [iv.estimate for iv in ivs]
                    ax.fill_between(depths, [iv.low for iv in ivs], [iv.high for iv in ivs],
                                    color=f"C{k}", alpha=0.2, lw=0)
                    ax.plot(depths, med, "o-", color=f"C{k}", label=act, ms=4)
                ax.axhline(ev.chance(dataset) / n, color="k", ls=":", lw=0.8)
                ax.set_xscale("log", base=2)
                ax.set(xlabel="hidden layers", ylabel="test accuracy (median, 95 % CI)",
                       title=f"{dataset}, {arm} init", ylim=(0, 1))
                ax.legend(fontsize=7)

    return plot(name, "Median test accuracy of the evaluation seeds against depth, each cell "
                "at its tuned learning rate; bands: 95 % bootstrap interval of the median; "
                "dotted: chance.", draw, ncols=2, nrows=len(datasets), width=4.6, height=3.4)


def _tables(ctx: Context, acts: Sequence[str], found: dict[str, dict[str, Interval]]
            ) -> list[Table]:
    ev = depth_sweep(ctx)
    datasets = learnable_datasets(ctx, ev)
    used = ", ".join(datasets)
    rows = []
    for arm in ("standard", "critical"):
        for act in acts:
            iv = found[arm][act]
            reach = ev.reach(datasets, act, arm)
            sigma_w, sigma_b, note = critical_point(act)
            init = ("U[±1/√n]" if arm == "standard" else
                    f"N(0, {sigma_w:.4g}²/n), sigma_b = {sigma_b:.3g}" + (" (He)" if note else ""))
            deepest = max(arm_depths(ctx, arm))
            rows.append((act, arm, init, int(iv.estimate), reach, f"{iv.low:g}–{iv.high:g}",
                         deepest, f"{deepest / ctx.profile.width:.3g}",
                         _theory_text(act, arm)))
    main = Table(f"Trainable depth on {used} (deepest depth where "
                 "≥ half the evaluation seeds train), its reach (censored runs, still "
                 "learning at the end, counted as trainable) and the 95 % interval from both",
                 ("activation", "arm", "init", "trainable depth", "reach", "95 % CI",
                  "deepest tried",
                  "deepest / width", "theory 6·xi_c"), tuple(rows))
    plateau = Table(
        "Protocol check per depth-1 cell: the chosen learning rate, the grid tried, whether it "
        "is still on the grid's edge, the final median validation accuracy and whether it "
        "reached its plateau (gain ≤ 2 points over the last third of training)",
        ("data set", "activation", "arm", "chosen lr", "lrs tried", "on edge",
         "final val. acc.", "plateau"),
        tuple(r for r in plateau_table(ctx, ev) if r[1] in acts))
    lrs = Table("Chosen learning rate per depth (evaluation runs); * = still on the grid's edge",
                ("data set", "activation", "arm", *(str(d) for d in arm_depths(ctx, "critical"))),
                tuple((d, a, arm, *(_lr_cell(ev, (d, a, arm, depth))
                                    for depth in arm_depths(ctx, "critical")))
                      for d in ctx.profile.datasets for arm in ("standard", "critical")
                      for a in acts))
    return [main, plateau, lrs]


def _lr_cell(ev: DepthEvidence, cell: tuple[str, str, str, int]) -> str:
    if cell not in ev.lr:
        return "—"
    return f"{ev.lr[cell]:.3g}" + ("*" if ev.edge[cell] else "")


def _check(ctx: Context, info: ClaimInfo, acts: tuple[str, ...], figure: str, rule: str,
           decide: Callable[[dict[str, Interval], dict[str, Interval]], tuple[str, str]],
           key_of: Callable[[dict[str, dict[str, Interval]]], str]) -> ClaimResult:
    ev = depth_sweep(ctx)
    used = learnable_datasets(ctx, ev)
    figs = [_figure(ctx, figure, acts, ev)]
    if not used:
        return info.result("not evaluated", "no data set was learnable at this budget "
                           "(protocol rule 4: the best depth-1 net must close half of the gap "
                           "from chance to 100 %).", figures=figs, rule=rule)
    found = {arm: intervals(ctx, acts, arm) for arm in ("standard", "critical")}
    tables = _tables(ctx, acts, found)
    verdict, why = decide(found["standard"], found["critical"])
    others, ivs = {}, {f"{a} {arm}": found[arm][a].to_json() for arm in found for a in acts}
    checked = {}
    for check in (budget_check(ctx), width_check(ctx)):
        again = {arm: {a: check.depth_interval(ev, used, a, arm) for a in acts}
                 for arm in found}
        moved = [f"{a} {arm} {found[arm][a].estimate:g} → {again[arm][a].estimate:g}"
                 for arm in found for a in acts
                 if again[arm][a].estimate != found[arm][a].estimate]
        others[check.what] = (decide(again["standard"], again["critical"])[0], moved)
        checked[check.what] = again
        ivs |= {f"{a} {arm}, {check.what} at the boundary": again[arm][a].to_json()
                for arm in found for a in acts}
    p = ctx.profile
    verdict, why = robust_verdict(verdict, why, f"{p.steps} steps, width {p.width}", others)
    tables.append(_checks_table(ctx, ev, used, acts, found, checked))
    notes = sorted({critical_point(a)[2] for a in acts} - {""})
    if notes:
        why += " Note: " + "; ".join(notes) + "."
    return info.result(verdict, why, figures=figs, tables=tables, rule=rule + RULE_CHECKS,
                       key=key_of(found), intervals=ivs)


def _checks_table(ctx: Context, ev: DepthEvidence, used: Sequence[str], acts: Sequence[str],
                  found: dict[str, dict[str, Interval]],
                  checked: dict[str, dict[str, dict[str, Interval]]]) -> Table:
    p = ctx.profile
    rows = []
    for arm in found:
        for act in acts:
            nxt = [boundary(ev, d, act, arm)[1] for d in used]
            row: list[object] = [act, arm, found[arm][act].estimate,
                                 _range(found[arm][act]),
                                 ", ".join("—" if n is None else str(n) for n in nxt)]
            for again in checked.values():
                row += [again[arm][act].estimate, _range(again[arm][act])]
            rows.append(tuple(row))
    columns = [f"depth, {p.steps} steps, width {p.width}", "95 % CI", "next depth re-run"]
    for what in checked:
        columns += [f"depth, {what}", "95 % CI"]
    return Table(f"Trainable depth against the training budget and the width: at "
                 f"{p.steps} steps and width {p.width}, and with the next depth of the grid "
                 f"(and the depth-1 reference) re-run at {' and at '.join(checked)} (— : "
                 "nothing to re-run, the depth is 0 or the grid's deepest)",
                 ("activation", "arm", *columns), tuple(rows))


def _range(iv: Interval) -> str:
    return f"{iv.low:g}–{iv.high:g}"


def _key(found: dict[str, dict[str, Interval]], arm: str, acts: Sequence[str]) -> str:
    return ", ".join(f"{a} {found[arm][a].text()}" for a in acts) + f" ({arm} init)"


def check_8(ctx: Context) -> ClaimResult:
    acts = ("sigmoid", "tanh", "arctan")
    return _check(ctx, INFO_8, acts, "claim08_depth", RULE_8, decide_8,
                  lambda f: "trainable depth: " + _key(f, "standard", acts) + "; "
                  + _key(f, "critical", acts))


def ranking_note(found: dict[str, dict[str, Interval]]) -> str:
    """The essay ranks logsig steadier than softsign: what each arm's depths say of that."""
    parts, deeper = [], []
    for arm, ivs in found.items():
        soft, log = ivs["softsign"], ivs["logsig"]
        parts.append(f"{arm}: softsign {soft.text()}, logsig {log.text()}")
        if log.low > soft.high:
            deeper.append(arm)
    verdict = ("logsig trains deeper under " + ", ".join(deeper) if deeper else
               "no arm shows logsig deeper than softsign, so the ranking is not reproduced")
    return (f" The essay ranks logsig steadier than softsign ('even more stable'): {verdict} "
            f"({'; '.join(parts)}).")


def check_9(ctx: Context) -> ClaimResult:
    result = _check(ctx, INFO_9, ("softsign", "logsig", "tanh"), "claim09_depth", RULE_9,
                    lambda std, crit: decide_9(crit, std),
                    lambda f: "trainable depth: " + _key(f, "critical", ("softsign", "logsig")))
    if learnable_datasets(ctx, depth_sweep(ctx)):
        result.why += ranking_note({arm: {a: Interval(**result.intervals[f"{a} {arm}"])
                                          for a in ("softsign", "logsig")}
                                    for arm in ("standard", "critical")})
    return result


def check_10(ctx: Context) -> ClaimResult:
    deepest = max(arm_depths(ctx, "standard")), max(arm_depths(ctx, "critical"))
    names = {RECTIFIERS: "ReLU and softplus",
             LOGARITHMIC: "logmin and the logarithmic semisigmoid"}

    def parts(std: dict[str, Interval], crit: dict[str, Interval]
              ) -> dict[str, tuple[str, str]]:
        return {name: decide_10({a: std[a] for a in acts}, {a: crit[a] for a in acts},
                                *deepest) for acts, name in names.items()}

    def decide(std: dict[str, Interval], crit: dict[str, Interval]) -> tuple[str, str]:
        found = parts(std, crit)
        return (combined({k: v[0] for k, v in found.items()}),  # type: ignore[misc]
                " ".join(f"{k} — {v[0]}: {v[1]}" for k, v in found.items()))

    acts = RECTIFIERS + LOGARITHMIC
    result = _check(ctx, INFO_10, acts, "claim10_depth", RULE_10 + RULE_10_PARTS, decide,
                    lambda f: "trainable depth: " + _key(f, "standard", acts) + "; "
                    + _key(f, "critical", acts))
    used = learnable_datasets(ctx, depth_sweep(ctx))
    if not used:
        return result
    base, sig = depth_sweep(ctx), output_sweep(ctx)
    lost = {a: grid_steps_lost(base, sig, used, a, "critical") for a in RECTIFIERS}
    verdict, why = decide_output(lost)
    result.verdict = combined({"first parts": result.verdict, "read-out": verdict})
    result.why += f" Sigmoid read-out — {verdict}: {why}"
    rows = []
    for a in RECTIFIERS:
        soft = Interval(**result.intervals[f"{a} critical"])  # computed by _check
        sigm = sig.depth_finding(used, a, "critical")
        rows.append((a, soft.estimate, base.reach(used, a, "critical"), _range(soft),
                     sigm.depth, sigm.reach, _range(sigm.interval), lost[a].estimate,
                     _range(lost[a])))
        result.intervals[f"{a} critical, sigmoid outputs"] = sigm.interval.to_json()
        result.intervals[f"{a}: grid steps lost to sigmoid outputs"] = lost[a].to_json()
    result.tables.append(Table(
        "Sigmoid read-out (He init): trainable depth with softmax and with sigmoid outputs "
        "(each at its own tuned lr, the same evaluation seeds) and the depth-grid steps lost "
        "(paired bootstrap over seeds, on the trainable depths; reach: censored runs counted "
        "as trainable)",
        ("activation", "depth, softmax", "reach", "95 % CI", "depth, sigmoid", "reach",
         "95 % CI", "grid steps lost", "95 % CI"), tuple(rows)))
    return result


CHECKS = ((INFO_8, check_8), (INFO_9, check_9), (INFO_10, check_10))
