"""Glorot & Bengio 2010, Table 1 design: 5 hidden layers, standard vs normalised init."""

from __future__ import annotations

import numpy as np

from depthscope.report.figures import plot
from depthscope.study.claims import PAPERS, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import run
from depthscope.study.result import ClaimResult, Table
from depthscope.train.config import RunConfig

INFO = ClaimInfo(
    "glorot", PAPERS + ": Glorot & Bengio 2010, Table 1",
    "With 5 hidden layers, the sigmoid net does worst on Shapeset; tanh with standard init "
    "U[±1/√n] is clearly worse than with normalised init; softsign is robust to the init.",
    "Their design scaled down: 5 hidden layers (narrower than their 1000 units), softmax "
    "read-out, plain SGD with the learning rate chosen on validation from two values, "
    "biases 0, several seeds; test error of the best learning rate (median over seeds) on "
    "Shapeset-3×2 (regenerated) and digits (standing in for MNIST). Beside it, their Table 1 "
    "and the per-layer activation std and weight-gradient norm at initialisation (their "
    "Figs 6-7).",
)
#: (label in the table, activation, init)
CONFIGS = (("Softsign", "softsign", "glorot_standard"),
           ("Softsign N", "softsign", "glorot_normalized"),
           ("Tanh", "tanh", "glorot_standard"),
           ("Tanh N", "tanh", "glorot_normalized"),
           ("Sigmoid", "sigmoid", "glorot_standard"))
#: Glorot & Bengio 2010, Table 1: test error (%) with 5 hidden layers.
PAPER = {"Softsign": {"shapeset": 16.27, "digits": 1.64},
         "Softsign N": {"shapeset": 16.06, "digits": 1.72},
         "Tanh": {"shapeset": 27.15, "digits": 1.76},
         "Tanh N": {"shapeset": 15.60, "digits": 1.64},
         "Sigmoid": {"shapeset": 82.61, "digits": 2.21}}
LRS = (0.1, 0.3)
LEARNED = 10.0  # a data set counts as learned if the best error beats chance by 10 points
DEPTH = 5


def configs(ctx: Context) -> list[RunConfig]:
    p = ctx.profile
    return [RunConfig(dataset=d, activation=a, init=init, depth=DEPTH, width=p.glorot_width,
                      steps=p.glorot_steps, batch_size=p.batch_size,
                      record_every=p.glorot_steps, optimizer="sgd", lr=lr, seed=s)
            for d in p.glorot_datasets for _, a, init in CONFIGS for lr in LRS
            for s in p.seeds]


def test_errors(runs: object) -> dict[tuple[str, str], float]:
    """``(table label, dataset) -> test error %`` at the learning rate best on validation."""
    out = {}
    for label, act, init in CONFIGS:
        sel = runs[(runs["activation"] == act) & (runs["init"] == init)]  # type: ignore[index]
        for dataset, frame in sel.groupby("dataset"):
            by_lr = frame.groupby("lr")
            best = by_lr["best_val_accuracy"].median().idxmax()
            out[(label, str(dataset))] = 100.0 * (1.0 - float(
                by_lr.get_group(best)["test_accuracy"].median()))
    return out


def learned(err: dict[tuple[str, str], float], dataset: str, chance_error: float) -> bool:
    """Whether any configuration beat chance by ``LEARNED`` points of test error."""
    return min(err[(label, dataset)] for label, _, _ in CONFIGS) <= chance_error - LEARNED


def decide(err: dict[tuple[str, str], float], dataset: str) -> tuple[str, str]:
    """Sigmoid worst; Tanh N better than Tanh; Softsign within 3 points of Softsign N."""
    e = {label: err[(label, dataset)] for label, _, _ in CONFIGS}
    checks = {"sigmoid is worst": e["Sigmoid"] >= max(e.values()),
              "normalised init helps tanh": e["Tanh N"] < e["Tanh"],
              "softsign is robust to the init": abs(e["Softsign"] - e["Softsign N"]) <= 3.0}
    held = [k for k, v in checks.items() if v]
    failed = [k for k, v in checks.items() if not v]
    text = (f"on {dataset} (test error %: " + ", ".join(f"{k} {v:.1f}" for k, v in e.items())
            + f"): reproduced — {', '.join(held) or 'none'}; not reproduced — "
            f"{', '.join(failed) or 'none'}.")
    if not failed:
        return "holds", text
    return ("holds with caveats" if len(held) >= 2 else "does not hold"), text


def check(ctx: Context) -> ClaimResult:
    runs, series = run(ctx, configs(ctx), metrics=("act_std", "grad_w_norm"))
    err = test_errors(runs)
    chance = {d: 100.0 * (1.0 - float(runs.loc[runs["dataset"] == d, "chance_accuracy"]
                                      .median())) for d in ctx.profile.glorot_datasets}
    ok = [d for d in ctx.profile.glorot_datasets if learned(err, d, chance[d])]
    skipped = [d for d in ctx.profile.glorot_datasets if d not in ok]
    note = (f" Not learned at this scale (best error within {LEARNED:g} points of chance "
            f"error): {', '.join(skipped)} — no verdict drawn from it.") if skipped else ""
    if not ok:
        verdict, why = "not evaluated", "no data set was learned at this scale." + note
        main = ctx.profile.glorot_datasets[0]
    else:
        main = ok[0]
        verdict, why = decide(err, main)
        why += note
    rows = tuple((label, *(v for d in ctx.profile.glorot_datasets
                           for v in (err[(label, d)], PAPER[label].get(d))))
                 for label, _, _ in CONFIGS)
    columns = ("configuration", *(c for d in ctx.profile.glorot_datasets
                                  for c in (f"ours: {d}", "paper: " + (
                                      "Shapeset" if d == "shapeset" else "MNIST"))))
    table = Table("Test error (%) with 5 hidden layers; paper: Glorot & Bengio 2010, Table 1 "
                  "(our digits stands beside their MNIST)", columns, rows)
    first = series[series["step"] == 0]
    meta = runs.set_index("run_id")

    def draw(axes: np.ndarray) -> None:
        for label, act, init in CONFIGS:
            pick = meta[(meta["activation"] == act) & (meta["init"] == init)
                        & (meta["dataset"] == main) & (meta["seed"] == ctx.profile.seeds[0])
                        & (meta["lr"] == LRS[0])].index
            prof = first[first["run_id"].isin(pick)]
            for ax, metric in zip(axes[0], ("act_std", "grad_w_norm"), strict=True):
                sel = prof[(prof["metric"] == metric) & (prof["layer"] < DEPTH + (
                    metric == "grad_w_norm"))].sort_values("layer")
                ax.plot(sel["layer"] + 1, sel["value"], "o-", label=label)
        axes[0, 0].set(xlabel="hidden layer", ylabel="std of activations",
                       title="activations at init (cf. their Fig. 6)")
        axes[0, 1].set(xlabel="layer", ylabel="||dL/dW||", yscale="log",
                       title="weight gradients at init (cf. their Fig. 7)")
        axes[0, 0].legend(fontsize=7)

    fig = plot("glorot_profiles", f"Per-layer profiles at initialisation on {main}: with "
               "standard init the back-propagated gradients shrink towards the input for "
               "tanh; normalised init keeps them more level.", draw, ncols=2)
    key = f"test error % on {main}: " + ", ".join(
        f"{label} {err[(label, main)]:.1f}" for label, _, _ in CONFIGS)
    return INFO.result(verdict, why, figures=[fig], tables=[table], key=key)
