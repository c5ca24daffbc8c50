"""Training experiments of the study: run configs through the sweep machinery and the store.

Every run goes through :func:`depthscope.sweep.run_sweep` with the study's store, so a rerun
skips what is already there (resume). The depth sweep, shared by claims 5, 7 and 8-10, follows
the protocol of :mod:`depthscope.study.protocol` (tuned lr on tuning seeds, evaluation seeds
at the chosen lr, absolute trainability); the Schoenholz section tunes its own cells with
:func:`tune`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.study import protocol, stats
from depthscope.study.context import Context
from depthscope.train.config import RunConfig

if TYPE_CHECKING:

    import pandas as pd

STANDARD, CRITICAL, LECUN, HE = "glorot_standard", "critical", "lecun", "he"
ARMS = ("standard", "critical", "lecun")  # the depth sweep's inits, by arm name
#: Schoenholz et al. 2017's bias variance: the edge of chaos with q* > 0 for odd activations
CRITICAL_SIGMA_B = math.sqrt(0.05)
MAX_BATCH = 256  # members per ensemble: a whole depth's cells of one stage fit in one or two
DEPTH_ACTIVATIONS = ("sigmoid", "tanh", "arctan", "softsign", "logsig", "relu", "softplus")
#: (activation, arm) of the depth sweep: every essay activation under both inits, and tanh vs
#: LeCun's tanh under LeCun's init (claim 7)
DEPTH_ARMS = (*((a, arm) for arm in ("standard", "critical") for a in DEPTH_ACTIVATIONS),
              ("tanh", "lecun"), ("lecun_tanh", "lecun"))


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
    runs = run_sweep(list(configs), store=ctx.store_path, executor=ctx.sweep_executor(),
                     progress=ctx.progress, device=ctx.device, load_fn=load_fn,
                     max_batch=MAX_BATCH)
    series = None
    if metrics is not None:
        series = load_store(ctx.store_path, run_ids=list(runs["run_id"]),
                            metrics=list(metrics)).series
    return runs, series


@lru_cache(maxsize=64)
def critical_point(act: str) -> tuple[float, float, str]:
    """``(sigma_w, sigma_b, note)`` of the study's critical init for ``act``.

    The edge of chaos at ``sigma_b² = 0.05`` (chi_1 = 1 with q* > 0; Schoenholz et al. 2017)
    where theory finds one; ReLU-like activations have none there (their edge of chaos is the
    single point (sigma_b, sigma_w) = (0, √2), Hayou et al. 2019), so they get that point,
    which is He's init. The read-out layer always keeps the standard init.
    """
    from depthscope.theory import critical_sigma_w as solve

    try:
        return float(solve(act, CRITICAL_SIGMA_B)), CRITICAL_SIGMA_B, ""
    except DepthscopeError:
        return math.sqrt(2.0), 0.0, (
            f"{act} has no edge of chaos at sigma_b² = 0.05; its critical init is Hayou et "
            "al.'s point (sigma_b, sigma_w) = (0, √2), He's init")


def arm_init(act: str, arm: str) -> dict[str, Any]:
    """RunConfig fields of an arm's initialisation."""
    if arm == "standard":
        return {"init": STANDARD}
    if arm == "lecun":
        return {"init": LECUN}
    if arm == "critical":
        sigma_w, sigma_b, _ = critical_point(act)
        return {"init": "gaussian", "sigma_w": sigma_w, "sigma_b": sigma_b,
                "readout": "standard"}
    raise ValueError(f"unknown arm {arm!r}")


def arm_of(init: str) -> str:
    """The arm name of a stored run's init."""
    return {STANDARD: "standard", LECUN: "lecun", "gaussian": "critical"}[init]


Cell = tuple[str, str, str, int]  # (dataset, activation, arm, depth)


def arm_depths(ctx: Context, arm: str) -> tuple[int, ...]:
    """The depth grid of an arm (the critical arm goes deeper where the profile allows)."""
    p = ctx.profile
    return tuple(p.depths) + (tuple(p.critical_depths) if arm == "critical" else ())


def _config(ctx: Context, cell: Cell, lr: float, seed: int) -> RunConfig:
    p = ctx.profile
    dataset, act, arm, depth = cell
    return RunConfig(dataset=dataset, depth=depth, activation=act, seed=seed, lr=lr,
                     width=p.width, steps=p.steps, batch_size=p.batch_size,
                     record_every=p.record_every, optimizer="momentum", **arm_init(act, arm))


def correct_counts(runs: pd.DataFrame) -> pd.Series:
    """Correct test predictions per run (protocol rule 2's integers); a run that did not
    finish (diverged) predicts nothing."""
    correct = np.rint(runs["test_accuracy"].fillna(0.0) * runs["test_examples"])
    return correct.where(runs["status"] == "finished", 0).astype(np.int64)


@dataclass
class DepthEvidence:
    """The depth sweep's evaluation runs and how their learning rates were chosen."""

    runs: pd.DataFrame  # evaluation runs, with ``arm`` and ``correct`` columns
    series: pd.DataFrame  # their recorded series
    lr: dict[Cell, float]  # chosen lr per cell
    grid: dict[Cell, tuple[float, ...]]  # every lr tried per cell
    edge: dict[Cell, bool]  # still on the grid's edge after the extensions

    def correct(self, dataset: str, act: str, arm: str) -> tuple[np.ndarray, tuple[int, ...]]:
        """Correct test counts (seeds, depths) of one arm, and its depths (ascending)."""
        sel = self.runs[(self.runs["dataset"] == dataset) & (self.runs["activation"] == act)
                        & (self.runs["arm"] == arm)]
        table = sel.pivot_table(index="seed", columns="depth", values="correct",
                                aggfunc="first")
        return table.to_numpy(dtype=np.int64), tuple(int(d) for d in table.columns)

    def chance(self, dataset: str) -> int:
        sel = self.runs[self.runs["dataset"] == dataset]
        return int(sel["test_chance_hits"].iloc[0])

    def examples(self, dataset: str) -> int:
        sel = self.runs[self.runs["dataset"] == dataset]
        return int(sel["test_examples"].iloc[0])

    def twice_reference(self, dataset: str, act: str, arm: str) -> int:
        correct, _ = self.correct(dataset, act, arm)
        return protocol.twice_median(correct[:, 0])

    def learnable(self, dataset: str) -> bool:
        """Protocol rule 4 over every arm of the sweep."""
        best = max(self.twice_reference(dataset, a, arm) for a, arm in DEPTH_ARMS)
        return protocol.learnable(best, self.chance(dataset), self.examples(dataset))

    def learnable_datasets(self, datasets: Sequence[str]) -> list[str]:
        return [d for d in datasets if self.learnable(d)]

    def depth_draws(self, dataset: str, act: str, arm: str) -> tuple[int, np.ndarray]:
        """Trainable depth on one data set and its bootstrap values (seeds resampled)."""
        correct, depths = self.correct(dataset, act, arm)
        chance = self.chance(dataset)
        return (protocol.trainable_depth(correct, depths, chance),
                protocol.depth_distribution(correct, depths, chance))

    def depth_interval(self, datasets: Sequence[str], act: str, arm: str) -> stats.Interval:
        """Trainable depth (the smaller over ``datasets``) with its bootstrap interval (the
        data sets' seeds resampled independently)."""
        return smallest([self.depth_draws(d, act, arm) for d in datasets])


def smallest(found: Sequence[tuple[int, np.ndarray]]) -> stats.Interval:
    """The smallest of several data sets' trainable depths, with the interval of the
    smallest value in every resample, from ``(depth, bootstrap values)`` per data set."""
    return stats.interval(min(d for d, _ in found), np.min(np.stack([v for _, v in found]),
                                                            axis=0))


def scored(runs: pd.DataFrame) -> pd.DataFrame:
    """Stored runs with their ``arm`` name and protocol rule 2's ``correct`` counts."""
    return runs.assign(arm=runs["init"].map(arm_of), correct=correct_counts(runs))


K = TypeVar("K", bound=Hashable)


def tune(ctx: Context, cells: Sequence[K], make: Callable[[K, float, int], RunConfig],
         lr_grid: Sequence[float] | None = None
         ) -> tuple[dict[K, float], dict[K, tuple[float, ...]], dict[K, bool]]:
    """Protocol rule 1 on tuning seeds: chosen lr, lrs tried and edge flag per cell.

    ``make(cell, lr, seed)`` is the cell's run config at that lr and seed; ``lr_grid`` the
    starting grid (default: the profile's).
    """
    p = ctx.profile
    grid = {c: tuple(lr_grid or p.lr_grid) for c in cells}
    chosen: dict[K, float] = {}
    edge: dict[K, bool] = {}
    for round_ in range(protocol.MAX_EXTENSIONS + 1):
        configs = {(c, lr, s): make(c, lr, s) for c in cells for lr in grid[c]
                   for s in p.tune_seeds}
        runs, _ = run(ctx, list(configs.values()))
        by_id = runs.set_index("run_id")
        for c in cells:
            keys = [(lr, s) for lr in grid[c] for s in p.tune_seeds]
            rows = by_id.loc[[configs[(c, lr, s)].run_id for lr, s in keys]]
            chosen[c] = protocol.select_lr([k[0] for k in keys], rows["val_accuracy"].tolist())
            beyond = protocol.extension(grid[c], chosen[c])
            edge[c] = beyond is not None
            if beyond is not None and round_ < protocol.MAX_EXTENSIONS:
                grid[c] = tuple(sorted((*grid[c], beyond)))
        if not any(edge.values()) or round_ == protocol.MAX_EXTENSIONS:
            break
    return chosen, grid, edge


def depth_sweep(ctx: Context) -> DepthEvidence:
    """The shared depth sweep: tuned, then evaluated (computed once per study)."""

    def build() -> DepthEvidence:
        p = ctx.profile
        cells = [(d, a, arm, depth) for d in p.datasets for a, arm in DEPTH_ARMS
                 for depth in arm_depths(ctx, arm)]
        lr, grid, edge = tune(ctx, cells, partial(_config, ctx))
        configs = [_config(ctx, c, lr[c], s) for c in cells for s in p.seeds]
        runs, series = run(ctx, configs, metrics=("grad_w_norm", "val_accuracy", "act_std",
                                                  "saturated"))
        return DepthEvidence(scored(runs), series, lr, grid, edge)

    return ctx.shared("depth_sweep", build)


BUDGET_FACTOR = 5  # the budget check trains each arm's boundary this many times longer


def boundary(ev: DepthEvidence, dataset: str, act: str, arm: str) -> tuple[int, int | None]:
    """An arm's trainable depth at the profile's budget and the grid depth after it (None
    when the trainable depth is 0 or the grid's deepest: nothing to re-run)."""
    correct, depths = ev.correct(dataset, act, arm)
    found = protocol.trainable_depth(correct, depths, ev.chance(dataset))
    later = [d for d in depths if d > found]
    return found, (later[0] if found > 0 and later else None)


@dataclass
class BudgetCheck:
    """Each arm's boundary trained :data:`BUDGET_FACTOR` times longer: the depth-1 reference
    and the grid depth after the arm's trainable depth (:func:`boundary`), at the cells'
    tuned lr, with the evaluation seeds."""

    steps: int
    runs: pd.DataFrame  # the longer runs, with ``arm`` and ``correct`` columns

    def depth_interval(self, ev: DepthEvidence, datasets: Sequence[str], act: str, arm: str
                       ) -> stats.Interval:
        """Trainable depth with the boundary at the longer budget (the smaller over
        ``datasets``): the next depth if at least half of the seeds train there at the longer
        budget (against the depth-1 net at that budget), else the depth found at the
        profile's budget; the interval resamples the seeds of both budgets together."""
        found_per_dataset = []
        for d in datasets:
            found, draws = ev.depth_draws(d, act, arm)
            _, nxt = boundary(ev, d, act, arm)
            if nxt is not None:
                sel = self.runs[(self.runs["dataset"] == d) & (self.runs["activation"] == act)
                                & (self.runs["arm"] == arm)]
                longer = sel.pivot_table(index="seed", columns="depth", values="correct",
                                         aggfunc="first")[[1, nxt]].to_numpy(np.int64)
                chance = ev.chance(d)
                found = max(found, protocol.trainable_depth(longer, (1, nxt), chance))
                # the same seeds at both budgets, and the same resamples of them (one
                # bootstrap generator, equal sizes): paired
                draws = np.maximum(draws, protocol.depth_distribution(longer, (1, nxt), chance))
            found_per_dataset.append((found, draws))
        return smallest(found_per_dataset)


def budget_check(ctx: Context) -> BudgetCheck:
    """The depth claims' budget check (computed once per study)."""

    def build() -> BudgetCheck:
        p, ev = ctx.profile, depth_sweep(ctx)
        steps = p.steps * BUDGET_FACTOR
        configs = []
        for dataset in ev.learnable_datasets(p.datasets):
            for act, arm in DEPTH_ARMS:
                _, nxt = boundary(ev, dataset, act, arm)
                if nxt is None:
                    continue
                for depth in (1, nxt):
                    cell = (dataset, act, arm, depth)
                    configs += [_config(ctx, cell, ev.lr[cell], s).model_copy(
                        update={"steps": steps, "record_every": steps}) for s in p.seeds]
        runs = scored(run(ctx, configs)[0]) if configs else ev.runs.iloc[:0]
        return BudgetCheck(steps, runs)

    return ctx.shared("budget_check", build)


def plateau_table(ctx: Context, ev: DepthEvidence) -> list[tuple[object, ...]]:
    """Protocol rule 5 for every depth-1 cell: (data set, activation, arm, lr, lrs tried,
    on edge, final median val. acc., plateau)."""
    rows = []
    val = ev.series[(ev.series["metric"] == "val_accuracy")]
    info = ev.runs.set_index("run_id")
    for dataset in ctx.profile.datasets:
        for act, arm in DEPTH_ARMS:
            cell = (dataset, act, arm, 1)
            ids = info[(info["dataset"] == dataset) & (info["activation"] == act)
                       & (info["arm"] == arm) & (info["depth"] == 1)].index
            curve = val[val["run_id"].isin(ids)].groupby("step")["value"].median()
            flat = protocol.plateaued(curve.index.to_numpy(), curve.to_numpy(),
                                      ctx.profile.steps)
            rows.append((dataset, act, arm, ev.lr[cell],
                         ", ".join(f"{v:.3g}" for v in ev.grid[cell]), ev.edge[cell],
                         float(curve.iloc[-1]) if len(curve) else math.nan, flat))
    return rows
