"""Training experiments of the study: run configs through the sweep machinery and the store.

Every run goes through :func:`depthscope.sweep.run_sweep` with the study's store, so a rerun
skips what is already there (resume). The depth sweep is shared by claims 5, 7 and 8-10.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np

from depthscope.study.context import Context
from depthscope.train.config import RunConfig

if TYPE_CHECKING:
    import pandas as pd

STANDARD, CRITICAL, LECUN, HE = "glorot_standard", "critical", "lecun", "he"
MAX_BATCH = 64  # one ensemble per depth: 7 activations x 2 inits + 2, times the seeds
DEPTH_ACTIVATIONS = ("sigmoid", "tanh", "arctan", "softsign", "logsig", "relu", "softplus")


def run(ctx: Context, configs: Sequence[RunConfig], metrics: Iterable[str] | None = None
        ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Train (or read back from the store) ``configs``; return runs and, on request, series."""
    from depthscope.store import load as load_store
    from depthscope.sweep import run_sweep

    load_fn = None
    if ctx.profile.data_size is not None:
        from depthscope.data import load

        load_fn = partial(load, n=ctx.profile.data_size)
    ctx.store_path.parent.mkdir(parents=True, exist_ok=True)
    runs = run_sweep(list(configs), store=ctx.store_path, executor=ctx.executor,
                     progress=ctx.progress, device=ctx.device, load_fn=load_fn,
                     max_batch=MAX_BATCH)
    series = None
    if metrics is not None:
        series = load_store(ctx.store_path, run_ids=list(runs["run_id"]),
                            metrics=list(metrics)).series
    return runs, series


def depth_configs(ctx: Context) -> list[RunConfig]:
    """Claims 8-10 (+5, 7): every essay activation under standard and critical init (He's
    init where theory finds no edge of chaos at sigma_b = 0), and tanh vs LeCun's tanh under
    LeCun's init; every depth, data set and seed."""
    p = ctx.profile
    base = {"width": p.width, "steps": p.steps, "batch_size": p.batch_size,
            "record_every": p.record_every, "optimizer": "momentum", "lr": p.lr}
    inits = [(a, {"init": STANDARD}) for a in DEPTH_ACTIVATIONS]
    inits += [(a, {"init": "gaussian", "sigma_w": critical_sigma_w(a)}
               if critical_problem(a) is None else {"init": HE}) for a in DEPTH_ACTIVATIONS]
    inits += [("tanh", {"init": LECUN}), ("lecun_tanh", {"init": LECUN})]
    return [RunConfig(dataset=d, depth=depth, activation=a, seed=s, **init, **base)
            for d in p.datasets for depth in p.depths for a, init in inits for s in p.seeds]


@lru_cache(maxsize=64)
def critical_sigma_w(act: str) -> float:
    """Theory's edge-of-chaos sigma_w at sigma_b = 0 (chi_1 = 1), computed once per act.

    Critical runs are stored as ``gaussian`` init with this sigma_w (the same network as
    ``init="critical"``, without re-solving for sigma_w in every member's init)."""
    from depthscope.theory import critical_sigma_w as solve

    return float(solve(act, 0.0))


def critical_problem(act: str) -> str | None:
    """Why critical init cannot be built for ``act`` (None if it can)."""
    try:
        critical_sigma_w(act)
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None


def depth_sweep(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shared depth sweep (runs with a ``trainable`` column, and the gradient series)."""

    def build() -> tuple[Any, Any]:
        runs, series = run(ctx, depth_configs(ctx),
                           metrics=("grad_w_norm", "train_loss", "act_std", "saturated"))
        init = runs["init"].where(runs["init"] != "gaussian", CRITICAL)
        return runs.assign(trainable=trainable(runs), init=init), series

    return ctx.shared("depth_sweep", build)


def trainable_depth(fractions: dict[int, float]) -> int:
    """The deepest depth at which at least half of the seeds trained (0 if none did)."""
    ok = [d for d, f in fractions.items() if f >= 0.5]
    return max(ok) if ok else 0


def _by_depth(runs: pd.DataFrame, column: str, reduce: str
              ) -> dict[tuple[str, str, str], dict[int, float]]:
    """``(dataset, label, init) -> {depth: reduce(column)}`` over the seeds."""
    grouped = runs.groupby(["dataset", "label", "init", "depth"])[column].agg(reduce)
    out: dict[tuple[str, str, str], dict[int, float]] = {}
    for (dataset, label, init, depth), value in grouped.items():
        out.setdefault((dataset, label, init), {})[int(depth)] = float(value)
    return out


def depth_table(runs: pd.DataFrame) -> dict[tuple[str, str, str], dict[int, float]]:
    """``(dataset, label, init) -> {depth: fraction of seeds trainable}``."""
    return _by_depth(runs, "trainable", "mean")


def median_accuracy(runs: pd.DataFrame) -> dict[tuple[str, str, str], dict[int, float]]:
    """``(dataset, label, init) -> {depth: median best validation accuracy}``."""
    return _by_depth(runs, "best_val_accuracy", "median")


def threshold(runs: pd.DataFrame, dataset: str, margin: float = 0.5) -> float:
    """Trainability threshold of ``dataset``: ``chance + margin (reference - chance)``.

    ``reference`` is the best median (over seeds) best-validation accuracy any configuration
    of the experiment reached on that data set, so "trainable" means "got at least half way
    from chance to what this budget can reach" — a fixed fraction of 100 % would call every
    run on a hard data set (mnist1d, shapeset) untrainable at this scale.
    """
    sel = runs[runs["dataset"] == dataset]
    chance = float(np.median(sel["chance_accuracy"]))
    keys = [k for k in ("label", "init", "depth", "sigma_w", "lr") if k in sel]
    reference = float(sel.groupby(keys, dropna=False)["best_val_accuracy"].median().max())
    return chance + margin * (max(reference, chance) - chance)


def trainable(runs: pd.DataFrame) -> pd.Series:
    """Per run: finished and best validation accuracy ≥ its data set's :func:`threshold`."""
    limits = {d: threshold(runs, d) for d in runs["dataset"].unique()}
    ok = runs["best_val_accuracy"] >= runs["dataset"].map(limits)
    return (ok & (runs["status"] == "finished")).astype(bool)
