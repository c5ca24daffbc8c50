"""The Q&A's tanh(n·x), done right: tanh transformed for the net's depth (DKS, TAT) trains a
deep MLP where plain tanh does not, with an input scale n < 1 that shrinks with depth."""

from __future__ import annotations

import itertools

import numpy as np

from depthscope.study import protocol, stats
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import arm_init, converged, correct_counts, depth_sweep, run, tune
from depthscope.study.result import ClaimResult, Table
from depthscope.train.config import RunConfig

INFO = ClaimInfo(
    "transform", QA + " — its idea done right: depth-aware transforms (DKS, Martens et al. "
    "2021; TAT, Zhang et al. 2022)",
    "Rescaling tanh can keep a deep net trainable: transformed for the net's depth, "
    "gamma·(tanh(n·x + beta) + delta), a deep tanh MLP trains where plain tanh does not; "
    "the input scale n that does it is below 1 and shrinks with depth (the Q&A proposed "
    "n > 1).",
    "Input scales n of tanh under DKS (zeta = 1.5) and TAT (tau = 0.3) from theory "
    "(depthscope.theory.dks_transform, tat_transform) at depths 10, 50, 100 and the trained "
    "depth D. Then tanh MLPs of depth D (the profile's transform_depth) in four arms: "
    "standard init (Glorot), the edge of chaos (sigma_b² = 0.05), and the DKS and TAT "
    "transforms (orthogonal weights, zero biases, as the methods prescribe); lr tuned per "
    "arm on the tuning seeds (protocol rule 1; the edge-of-chaos arm from the depth sweep's "
    "grid, so where the sweep reaches D its runs are the sweep's), evaluation seeds at the "
    "chosen lr; a run "
    "trains by protocol rule 2 against the depth sweep's depth-1 tanh reference, and an arm "
    "trains at D when at least half its seeds do (rule 3; a run still learning is censored, "
    "rule 6). Paired over seeds: test accuracy of each transformed arm minus the standard "
    "arm's.",
    trains=True,
)
RULE = ("Holds: the DKS or TAT arm trains at depth D and the standard arm does not, and the "
        "DKS input scale is below 1 and falls with depth. Inconclusive: the standard arm "
        "trains at D too (D does not separate them), or a transformed arm is censored. "
        "Does not hold: neither transformed arm trains, or the input scale is not below 1 "
        "or does not fall.")
SHOWN_DEPTHS = (10, 50, 100)
ARMS = ("standard", "critical", "dks", "tat")


def _shaped(arm: str, depth: int):  # -> ShapedActivation
    from depthscope.theory.shaping import depth_transform

    return depth_transform("tanh", arm, depth)


def arm_fields(arm: str, depth: int) -> dict[str, object]:
    """RunConfig fields of an arm: the depth sweep's inits, or the transformed tanh with
    orthogonal weights of gain 1 and zero biases."""
    if arm in ("standard", "critical"):
        return {"activation": "tanh", **arm_init("tanh", arm)}
    a = _shaped(arm, depth).activation
    return {"activation": "tanh", "init": "orthogonal", "sigma_w": 1.0, "sigma_b": 0.0,
            "activation_params": {"scale": float(a.scale), "shift": float(a.shift),
                                  "gain": float(a.gain), "offset": float(a.offset)}}


def decide(scales: dict[int, float], trains: dict[str, tuple[int, int, int]]
           ) -> tuple[str, str]:
    """:data:`RULE`: ``scales`` the DKS input scale by depth, ``trains`` per arm (runs that
    train, censored runs, seeds)."""
    depths = sorted(scales)
    shrinking = all(scales[a] > scales[b] for a, b in itertools.pairwise(depths))
    below = all(v < 1 for v in scales.values())

    def ok(arm: str) -> bool:
        k, _, n = trains[arm]
        return 2 * k >= n

    def censored(arm: str) -> bool:
        k, c, n = trains[arm]
        return 2 * k < n <= 2 * (k + c)

    text = (f"DKS input scale n = {', '.join(f'{scales[d]:.3f} at depth {d}' for d in depths)}; "
            + "; ".join(f"{arm}: {trains[arm][0]} of {trains[arm][2]} seeds train"
                        + (f" ({trains[arm][1]} censored)" if trains[arm][1] else "")
                        for arm in ARMS))
    if not (below and shrinking):
        return "does not hold", text + " (the input scale is not below 1 and falling)."
    if not (ok("dks") or ok("tat")):
        if censored("dks") or censored("tat"):
            return "inconclusive", text + " (a transformed arm is still learning at the end)."
        return "does not hold", text + " (no transformed arm trains at this depth)."
    if ok("standard"):
        return "inconclusive", text + (" (plain tanh trains at this depth too: it does "
                                       "not separate them).")
    return "holds", text + "."


def check(ctx: Context) -> ClaimResult:
    p = ctx.profile
    depth = p.transform_depth
    scales = {d: _shaped("dks", d).scale for d in (*SHOWN_DEPTHS, depth)}
    tat_scales = {d: _shaped("tat", d).scale for d in (*SHOWN_DEPTHS, depth)}
    # a plan (no results yet) records the first data set; the study takes the first learnable
    ev = depth_sweep(ctx) if ctx.recorder is None else None
    learnable = ev.learnable_datasets(p.datasets) if ev is not None else []
    dataset = (learnable or list(p.datasets))[0]
    cells = [(dataset, arm) for arm in ARMS]

    def make(cell: tuple[str, str], lr: float, seed: int) -> RunConfig:
        return RunConfig(dataset=cell[0], depth=depth, width=p.width, steps=p.steps,
                         batch_size=p.batch_size, record_every=p.record_every,
                         optimizer="momentum", lr=lr, seed=seed,
                         **arm_fields(cell[1], depth))  # type: ignore[arg-type]

    # the critical arm at the depth sweep's own grid: at depth 64 (quick) those are the sweep's
    # runs, read back from the store; the others start lower (deep nets take small steps)
    shared = [c for c in cells if c[1] == "critical"]
    lr, _, edge = tune(ctx, [c for c in cells if c not in shared], make, p.transform_lr_grid)
    lr_shared, _, edge_shared = tune(ctx, shared, make)
    lr, edge = {**lr, **lr_shared}, {**edge, **edge_shared}
    configs = {(c, s): make(c, lr[c], s) for c in cells for s in p.seeds}
    runs, series = run(ctx, list(configs.values()), metrics=("train_loss",))
    assert ev is not None  # run() trains only without a recorder
    runs = runs.set_index("run_id", drop=False)
    runs = runs.assign(correct=correct_counts(runs), converged=converged(runs, series))
    chance = ev.chance(dataset)
    twice_ref = ev.twice_reference(dataset, "tanh", "standard")
    correct = {arm: runs.loc[[configs[((dataset, arm), s)].run_id for s in p.seeds],
                             "correct"].to_numpy() for arm in ARMS}
    done = {arm: runs.loc[[configs[((dataset, arm), s)].run_id for s in p.seeds],
                          "converged"].to_numpy() for arm in ARMS}
    trains = {}
    for arm in ARMS:
        ok = protocol.passes(correct[arm], chance, twice_ref)
        trains[arm] = (int(ok.sum()), int((~ok & ~done[arm]).sum()), len(p.seeds))
    n_test = ev.examples(dataset)
    gains = {arm: stats.bootstrap([len(p.seeds)], lambda i, a=arm: float(
        np.mean(correct[a][i] - correct["standard"][i])) / n_test) for arm in ("dks", "tat")}
    verdict, why = decide(scales, trains)
    why = why[:-1] + (f"; paired test-accuracy gain over standard tanh: DKS "
                      f"{gains['dks'].text()}, TAT {gains['tat'].text()}.")
    rows = tuple((arm, f"{lr[(dataset, arm)]:.3g}" + (" (grid edge)" if edge[(dataset, arm)]
                                                       else ""), trains[arm][0], trains[arm][1],
                  trains[arm][2], f"{np.median(correct[arm]) / n_test:.3f}") for arm in ARMS)
    scale_rows = tuple((d, f"{scales[d]:.4f}", f"{tat_scales[d]:.4f}")
                       for d in sorted(scales))
    return INFO.result(
        verdict, why, rule=RULE,
        tables=[Table(f"tanh MLPs of depth {depth} on {dataset}: seeds that train (protocol "
                      "rules 2, 3, 6) at the tuned lr", ("arm", "lr", "train", "censored",
                                                         "seeds", "median test acc."), rows),
                Table("Input scale n of the transformed tanh gamma·(tanh(n·x + beta) + "
                      "delta): n < 1, shrinking with depth", ("depth", "DKS (zeta 1.5)",
                                                              "TAT (tau 0.3)"), scale_rows)],
        numbers={f"DKS input scale at depth {d}": v for d, v in scales.items()},
        key=(f"depth {depth}: DKS {trains['dks'][0]}/{trains['dks'][2]}, TAT "
             f"{trains['tat'][0]}/{trains['tat'][2]}, standard {trains['standard'][0]}/"
             f"{trains['standard'][2]} seeds train; n = {scales[depth]:.3f}"),
        intervals={f"{arm} accuracy gain over standard": gains[arm].to_json()
                   for arm in gains})
