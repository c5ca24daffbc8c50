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
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from depthscope.activations import get
from depthscope.errors import DepthscopeError
from depthscope.study import protocol, stats
from depthscope.study.context import Context
from depthscope.study.recorder import Planned
from depthscope.sweep.summary import correct_counts
from depthscope.train.config import Output, RunConfig

if TYPE_CHECKING:

    import pandas as pd

    from depthscope.data import Dataset
    from depthscope.study.profiles import Profile

STANDARD, CRITICAL, LECUN, HE = "glorot_standard", "critical", "lecun", "he"
ARMS = ("standard", "critical", "lecun", "lecun_gain")  # the depth sweep's inits, by arm name
#: LeCun's tanh 1.7159·tanh(2x/3) has slope 1.7159·2/3 at 0: plain tanh under LeCun's init
#: with every weight scaled by it has the same signal propagation in the hidden layers
#: (claim 7's "lecun_gain" arm)
LECUN_GAIN = get("lecun_tanh").gain * get("lecun_tanh").scale
#: Schoenholz et al. 2017's bias variance: the edge of chaos with q* > 0 for odd activations
CRITICAL_SIGMA_B = math.sqrt(0.05)
MAX_BATCH = 256  # members per ensemble: a whole depth's cells of one stage fit in one or two
DEPTH_ACTIVATIONS = ("sigmoid", "tanh", "arctan", "softsign", "logsig", "relu", "softplus",
                     "logmin", "log_semisigmoid")
#: (activation, arm) of the depth sweep: every essay activation under both inits, and tanh vs
#: LeCun's tanh under LeCun's init (claim 7)
DEPTH_ARMS = (*((a, arm) for arm in ("standard", "critical") for a in DEPTH_ACTIVATIONS),
              ("tanh", "lecun"), ("lecun_tanh", "lecun"), ("tanh", "lecun_gain"))
#: claim 10's read-out half: ReLU and softplus at their critical (He) init, sigmoid outputs
OUTPUT_ARMS = (("relu", "critical"), ("softplus", "critical"))


def data_loader(profile: Profile) -> Callable[..., Dataset]:
    """How the study loads a data set: :func:`depthscope.data.load` with the profile's
    ``data_size`` (picklable: sweeps hand it to their workers)."""
    from depthscope.data import load

    return load if profile.data_size is None else partial(load, n=profile.data_size)


def run(ctx: Context, configs: Sequence[RunConfig], metrics: Iterable[str] | None = None
        ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Train (or read back from the store) ``configs``; return runs and, on request, series.
    With ``ctx.recorder``: record them as a stage and raise :class:`Planned`."""
    from depthscope.store import load as load_store
    from depthscope.sweep import run_sweep

    if ctx.recorder is not None:
        ctx.recorder.record("evaluation" if metrics is not None else "runs", configs)
        raise Planned

    ctx.store_path.parent.mkdir(parents=True, exist_ok=True)
    runs = run_sweep(list(configs), store=ctx.store_path, executor=ctx.sweep_executor(),
                     progress=ctx.progress, device=ctx.device,
                     load_fn=data_loader(ctx.profile), max_batch=MAX_BATCH)
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
    if arm == "lecun_gain":  # LeCun's N(0, 1/fan_in) draw, every weight times LECUN_GAIN
        return {"init": "gaussian", "sigma_w": LECUN_GAIN}
    if arm == "critical":
        sigma_w, sigma_b, _ = critical_point(act)
        return {"init": "gaussian", "sigma_w": sigma_w, "sigma_b": sigma_b,
                "readout": "standard"}
    raise ValueError(f"unknown arm {arm!r}")


def arm_of(init: str, sigma_w: float | None) -> str:
    """The arm name of a stored run's init (a Gaussian init at :data:`LECUN_GAIN` is the
    ``lecun_gain`` arm; no critical point of the swept activations is that value)."""
    if init == "gaussian" and sigma_w is not None and math.isclose(sigma_w, LECUN_GAIN):
        return "lecun_gain"
    return {STANDARD: "standard", LECUN: "lecun", "gaussian": "critical"}[init]


def arms_of(runs: pd.DataFrame) -> list[str]:
    """:func:`arm_of` for every stored run."""
    sigma = runs["sigma_w"] if "sigma_w" in runs else [None] * len(runs)
    return [arm_of(i, None if s is None or math.isnan(s) else float(s))
            for i, s in zip(runs["init"], sigma, strict=True)]


Cell = tuple[str, str, str, int]  # (dataset, activation, arm, depth)


def arm_depths(ctx: Context, arm: str) -> tuple[int, ...]:
    """The depth grid of an arm (the critical arm goes deeper where the profile allows)."""
    p = ctx.profile
    return tuple(p.depths) + (tuple(p.critical_depths) if arm == "critical" else ())


def _config(ctx: Context, cell: Cell, lr: float, seed: int, output: Output = "softmax"
            ) -> RunConfig:
    p = ctx.profile
    dataset, act, arm, depth = cell
    return RunConfig(dataset=dataset, depth=depth, activation=act, seed=seed, lr=lr,
                     width=p.width, steps=p.steps, batch_size=p.batch_size,
                     record_every=p.record_every, optimizer="momentum", output=output,
                     **arm_init(act, arm))


#: a run's per-run states on a resample of its seeds: ``idx -> (trains, censored)``
States = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DepthFinding:
    """Protocol rule 3 for one arm: trainable depth, reach (censored runs counted as
    trainable) and their bootstrap values (2, resamples) over the seeds."""

    depth: int
    reach: int
    draws: np.ndarray

    @property
    def interval(self) -> stats.Interval:
        return protocol.bounds_interval(self.depth, self.draws)


def find_depth(states: States, depths: Sequence[int], seeds: int) -> DepthFinding:
    """Rule 3 on all ``seeds`` and on their bootstrap resamples."""
    depth, reach = protocol.depth_bounds(*states(np.arange(seeds)), depths)
    draws = stats.distribution([seeds], lambda idx: protocol.depth_bounds(*states(idx), depths))
    return DepthFinding(depth, reach, draws)


@dataclass
class DepthEvidence:
    """The depth sweep's evaluation runs and how their learning rates were chosen."""

    runs: pd.DataFrame  # evaluation runs, with ``arm``, ``correct`` and ``converged`` columns
    series: pd.DataFrame  # their recorded series
    lr: dict[Cell, float]  # chosen lr per cell
    grid: dict[Cell, tuple[float, ...]]  # every lr tried per cell
    edge: dict[Cell, bool]  # still on the grid's edge after the extensions
    arms: tuple[tuple[str, str], ...] = DEPTH_ARMS  # (activation, arm) pairs swept

    def _arm(self, dataset: str, act: str, arm: str) -> pd.DataFrame:
        return self.runs[(self.runs["dataset"] == dataset) & (self.runs["activation"] == act)
                         & (self.runs["arm"] == arm)]

    def correct(self, dataset: str, act: str, arm: str) -> tuple[np.ndarray, tuple[int, ...]]:
        """Correct test counts (seeds, depths) of one arm, and its depths (ascending)."""
        return by_seed_and_depth(self._arm(dataset, act, arm), "correct")

    def states(self, dataset: str, act: str, arm: str) -> tuple[States, tuple[int, ...], int]:
        """One arm's per-run states (rules 2 and 6) as a function of a resample of its seeds,
        its depths and its number of seeds."""
        return arm_states(self._arm(dataset, act, arm), self.chance(dataset))

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
        best = max(self.twice_reference(dataset, a, arm) for a, arm in self.arms)
        return protocol.learnable(best, self.chance(dataset), self.examples(dataset))

    def learnable_datasets(self, datasets: Sequence[str]) -> list[str]:
        return [d for d in datasets if self.learnable(d)]

    def finding(self, dataset: str, act: str, arm: str) -> DepthFinding:
        """Rule 3 for one arm on one data set."""
        return find_depth(*self.states(dataset, act, arm))

    def depth_finding(self, datasets: Sequence[str], act: str, arm: str) -> DepthFinding:
        """Rule 3, the smaller over ``datasets`` (their seeds resampled independently)."""
        return smallest([self.finding(d, act, arm) for d in datasets])

    def reach(self, datasets: Sequence[str], act: str, arm: str) -> int:
        """Rule 3's reach on all seeds (no resampling), the smaller over ``datasets``."""
        found = []
        for d in datasets:
            states, depths, seeds = self.states(d, act, arm)
            found.append(protocol.depth_bounds(*states(np.arange(seeds)), depths)[1])
        return min(found)

    def depth_interval(self, datasets: Sequence[str], act: str, arm: str) -> stats.Interval:
        """Trainable depth (the smaller over ``datasets``) with its rule-3 interval."""
        return self.depth_finding(datasets, act, arm).interval


def by_seed_and_depth(runs: pd.DataFrame, column: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """``column`` of one arm's runs as a (seeds, depths) matrix (both ascending), and the
    depths."""
    table = runs.pivot_table(index="seed", columns="depth", values=column, aggfunc="first")
    return table.to_numpy(dtype=np.int64), tuple(int(d) for d in table.columns)


def arm_states(runs: pd.DataFrame, chance: int) -> tuple[States, tuple[int, ...], int]:
    """:meth:`DepthEvidence.states` of one arm's runs (``correct`` and ``converged``)."""
    correct, depths = by_seed_and_depth(runs, "correct")
    converged, _ = by_seed_and_depth(runs, "converged")

    def states(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return protocol.run_states(correct[idx], converged[idx].astype(bool), chance)

    return states, depths, correct.shape[0]


def smallest(found: Sequence[DepthFinding]) -> DepthFinding:
    """The smallest of several data sets' findings (depth, reach, and in every resample)."""
    return DepthFinding(min(f.depth for f in found), min(f.reach for f in found),
                        np.min(np.stack([f.draws for f in found]), axis=0))


def converged(runs: pd.DataFrame, series: pd.DataFrame) -> pd.Series:
    """Protocol rule 6 per run (index aligned with ``runs``): a diverged run has ended (it
    fails, never censored); a finished one has converged when its training loss has."""
    import pandas as pd

    loss = series[(series["metric"] == "train_loss") & (series["layer"] == -1)]
    curves = {rid: (g["step"].to_numpy(), g["value"].to_numpy())
              for rid, g in loss.sort_values("step").groupby("run_id")}
    empty = (np.zeros(0), np.zeros(0))
    flags = [status != "finished" or protocol.loss_converged(*curves.get(rid, empty), steps)
             for rid, status, steps in zip(runs["run_id"], runs["status"], runs["steps"],
                                           strict=True)]
    return pd.Series(flags, index=runs.index, dtype=bool)


def scored(runs: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Stored runs with their ``arm`` name, protocol rule 2's ``correct`` counts and rule 6's
    ``converged`` flag (from their ``train_loss`` series)."""
    return runs.assign(arm=arms_of(runs), correct=correct_counts(runs),
                       converged=converged(runs, series))


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
    if ctx.recorder is not None:  # the first round; each extension adds one lr per cell
        ctx.recorder.record("lr tuning", [make(c, lr, s) for c in cells for lr in grid[c]
                                          for s in p.tune_seeds])
        for k in range(1, protocol.MAX_EXTENSIONS + 1):
            ctx.recorder.record(f"lr tuning: extension {k} (at most)",
                                [make(c, min(grid[c]) / protocol.LR_STEP**k, s)
                                 for c in cells for s in p.tune_seeds], optional=True)
        return {c: grid[c][0] for c in cells}, grid, {c: False for c in cells}
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


def _sweep(ctx: Context, arms: tuple[tuple[str, str], ...], output: Output,
           metrics: tuple[str, ...]) -> DepthEvidence:
    """Every arm's depths tuned, then evaluated, by the protocol."""
    p = ctx.profile
    cells = [(d, a, arm, depth) for d in p.datasets for a, arm in arms
             for depth in arm_depths(ctx, arm)]
    make = partial(_config, ctx, output=output)
    lr, grid, edge = tune(ctx, cells, make)
    runs, series = run(ctx, [make(c, lr[c], s) for c in cells for s in p.seeds],
                       metrics=metrics)
    return DepthEvidence(scored(runs, series), series, lr, grid, edge, arms)


def depth_sweep(ctx: Context) -> DepthEvidence:
    """The shared depth sweep (:data:`DEPTH_ARMS`, computed once per study)."""
    return ctx.shared("depth_sweep", lambda: _sweep(
        ctx, DEPTH_ARMS, "softmax",
        ("grad_w_norm", "val_accuracy", "act_std", "saturated", "train_loss")))


def output_sweep(ctx: Context) -> DepthEvidence:
    """Claim 10's read-out half: :data:`OUTPUT_ARMS` with sigmoid outputs (once per study)."""
    return ctx.shared("output_sweep", lambda: _sweep(ctx, OUTPUT_ARMS, "sigmoid",
                                                     ("train_loss",)))


BUDGET_FACTOR = 5  # the budget check trains each arm's boundary this many times longer
WIDE = 128  # the width check trains each arm's boundary this wide


def boundary(ev: DepthEvidence, dataset: str, act: str, arm: str) -> tuple[int, int | None]:
    """An arm's trainable depth at the profile's budget and the grid depth after it (None
    when the trainable depth is 0 or the grid's deepest: nothing to re-run)."""
    correct, depths = ev.correct(dataset, act, arm)
    found = protocol.trainable_depth(correct, depths, ev.chance(dataset))
    later = [d for d in depths if d > found]
    return found, (later[0] if found > 0 and later else None)


@dataclass
class BoundaryCheck:
    """Each arm's boundary re-run in another setting (:data:`BUDGET_FACTOR` times the steps,
    or width :data:`WIDE`): the depth-1 reference and the grid depth after the arm's
    trainable depth (:func:`boundary`), with the evaluation seeds."""

    what: str  # the setting, e.g. "1000 steps" or "width 128"
    runs: pd.DataFrame  # its runs, with ``arm``, ``correct`` and ``converged`` columns

    def finding(self, ev: DepthEvidence, datasets: Sequence[str], act: str, arm: str
                ) -> DepthFinding:
        """Rule 3 with the boundary in this setting (the smaller over ``datasets``): the
        sweep's per-run states with the next depth's column replaced by this setting's
        (judged against its own depth-1 net); the same seeds in both settings are resampled
        together (paired)."""
        found = []
        for d in datasets:
            base, depths, seeds = ev.states(d, act, arm)
            _, nxt = boundary(ev, d, act, arm)
            if nxt is None:
                found.append(find_depth(base, depths, seeds))
                continue
            sel = self.runs[(self.runs["dataset"] == d) & (self.runs["activation"] == act)
                            & (self.runs["arm"] == arm)]
            other, _, _ = arm_states(sel, ev.chance(d))
            col = depths.index(nxt)

            def states(idx: np.ndarray, base: States = base, other: States = other,
                       col: int = col) -> tuple[np.ndarray, np.ndarray]:
                (trains, censored), (t_other, c_other) = base(idx), other(idx)
                trains, censored = trains.copy(), censored.copy()
                trains[:, col], censored[:, col] = t_other[:, 1], c_other[:, 1]
                return trains, censored

            found.append(find_depth(states, depths, seeds))
        return smallest(found)

    def depth_interval(self, ev: DepthEvidence, datasets: Sequence[str], act: str, arm: str
                       ) -> stats.Interval:
        return self.finding(ev, datasets, act, arm).interval


def _boundary_check(ctx: Context, key: str, what: str, update: dict[str, int],
                    retune: bool) -> BoundaryCheck:
    """Every arm's boundary (depth 1 and the next depth) re-run with ``update`` applied to
    its configs, at the sweep's tuned lr or, with ``retune``, at an lr tuned anew by protocol
    rule 1 in the new setting (computed once per study under ``key``)."""

    def build() -> BoundaryCheck:
        p = ctx.profile
        arms = [(act, arm) for act, arm in DEPTH_ARMS if arm in ("standard", "critical")]
        if ctx.recorder is not None:  # no results yet: every arm at its deepest (at most)
            cells = [(dataset, act, arm, depth) for dataset in p.datasets for act, arm in arms
                     for depth in (1, max(arm_depths(ctx, arm)))]
            swept = {c: p.lr_grid[0] for c in cells}
        else:
            ev = depth_sweep(ctx)
            cells = [(dataset, act, arm, depth)
                     for dataset in ev.learnable_datasets(p.datasets) for act, arm in arms
                     for nxt in [boundary(ev, dataset, act, arm)[1]] if nxt is not None
                     for depth in (1, nxt)]
            swept = ev.lr
            if not cells:
                return BoundaryCheck(what, ev.runs.iloc[:0])

        def make(cell: Cell, lr: float, seed: int) -> RunConfig:
            return _config(ctx, cell, lr, seed).model_copy(update=update)

        with ctx.recorder.optional() if ctx.recorder is not None else nullcontext():
            lr = tune(ctx, cells, make)[0] if retune else swept
            runs, series = run(ctx, [make(c, lr[c], s) for c in cells for s in p.seeds],
                               metrics=("train_loss",))
        return BoundaryCheck(what, scored(runs, series))

    return ctx.shared(key, build)


def budget_check(ctx: Context) -> BoundaryCheck:
    """Each arm's boundary trained :data:`BUDGET_FACTOR` times longer, its lr tuned anew at
    that budget (records as dense relative to the budget, so protocol rule 6 reads the same
    thirds)."""
    p = ctx.profile
    return _boundary_check(ctx, "budget_check", f"{p.steps * BUDGET_FACTOR} steps",
                           {"steps": p.steps * BUDGET_FACTOR,
                            "record_every": p.record_every * BUDGET_FACTOR}, retune=True)


def width_check(ctx: Context) -> BoundaryCheck:
    """Each arm's boundary trained at width :data:`WIDE` (the profile's budget and lr)."""
    return _boundary_check(ctx, "width_check", f"width {WIDE}", {"width": WIDE},
                           retune=False)


#: claim 5's entry arms: saturating activations at standard init pushed by large learning
#: rates (the essay's route into "vanishing-gradient territory"), at these depths and lrs
ENTRY_ACTIVATIONS = ("sigmoid", "tanh", "arctan")
ENTRY_DEPTHS = (4, 8)
ENTRY_LRS = (0.316, 1.0, 3.16)


def entry_runs(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Claim 5's entry arms (:data:`ENTRY_ACTIVATIONS` × :data:`ENTRY_DEPTHS` ×
    :data:`ENTRY_LRS` × the evaluation and tuning seeds), recorded like the depth sweep;
    runs and their ``grad_w_norm`` series (computed once per study)."""

    def build() -> tuple[pd.DataFrame, pd.DataFrame]:
        p = ctx.profile
        configs = [_config(ctx, (d, a, "standard", depth), lr, s)
                   for d in p.datasets for a in ENTRY_ACTIVATIONS for depth in ENTRY_DEPTHS
                   for lr in ENTRY_LRS for s in (*p.seeds, *p.tune_seeds)]
        runs, series = run(ctx, configs, metrics=("grad_w_norm",))
        return runs.assign(arm=arms_of(runs)), series

    return ctx.shared("entry_runs", build)


#: the experiments several claims share, by name (what ``depthscope study --plan`` walks
#: before the claims that train runs of their own)
SHARED: dict[str, Callable[[Context], object]] = {
    "depth sweep (claims 5, 7-10)": depth_sweep,
    "entry arms (claim 5)": entry_runs,
    "read-out sweep (claim 10)": output_sweep,
    "budget check (claims 8-10)": budget_check,
    "width check (claims 8-10)": width_check,
}


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
