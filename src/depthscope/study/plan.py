"""The study's cost before it runs (``depthscope study --plan``): runs, FLOPs, memory, time.

1. **Runs.** Every training experiment is walked with a
   :class:`~depthscope.study.recorder.RunRecorder` in the context: it records its stages
   instead of training them. Runs the study always trains are exact (their ``run_id`` s);
   runs that depend on results (lr extensions at a grid's edge, the boundary checks) are an
   upper bound, marked optional.
2. **FLOPs** of one run with ``P = sum_l fan_in_l * fan_out_l`` weights: ``6 P B`` per
   training step (forward ``2 P B``, backward ``4 P B``), ``2 P n_val`` per record and
   ``2 P (n_val + n_test)`` at the end.
3. **Peak memory** of one ensemble batch of ``M`` members (float32): the parameters, their
   gradients and optimizer state (``2 + s`` copies, ``s`` = 1 for momentum, 2 for Adam),
   three ``(depth + 1)`` stacks of ``batch x width`` activations (pre-activations,
   activations, their gradients) and, at a record step while they are alive, the evaluation
   of one chunk of ``rows`` examples (``min(n_val, EVAL_CHUNK)``), which keeps three ``rows x
   width`` tensors at a time (a layer's input, output and activation).
4. **Time.** A batch of ``M`` members in ``G`` activation groups, ``L = depth + 1`` layers
   and ``S`` steps costs ``S L (a G + b M)``: ``a`` per group-layer-step (kernel launches,
   Python), ``b`` per member-layer-step (arithmetic), fitted per shape class (data set,
   width, batch size, output, record interval) from two short real ensembles (2 and 16
   members of one activation, depth 4, two records' worth of steps, at most 60) on this
   machine. Each
   stage's batches are scheduled on ``W`` workers longest-first, as the sweeps do
   (:func:`depthscope.sweep.run.run_sweep`); stages run one after the other. Every worker
   also builds each activation's kernels once (compiled, or loaded from Inductor's cache):
   timed here per activation, at the cache state found (planning warms the cache), and
   imports the trainer and loads the data sets (timed too). Not estimated: the sections
   that do not train (theory, sampling, timing).
"""

from __future__ import annotations

import heapq
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from depthscope.study.context import Context
from depthscope.study.recorder import Planned, RunRecorder, Stage
from depthscope.train.config import RunConfig

CALIBRATION_MEMBERS = (2, 16)
CALIBRATION_DEPTH = 4
CALIBRATION_STEPS = 60  # at most: two records' worth where records are frequent
BYTES = 4  # float32
#: worker counts of the time table: this machine's, and per extra (Ray) worker beyond it
WORKER_COUNTS = (1, 2, 4, 8, 16, 32)


def record_study(ctx: Context) -> list[Stage]:
    """Every stage the study would train (the shared experiments, then each training claim's
    own), recorded without training."""
    from depthscope.study import experiments
    from depthscope.study.claims import all_claims

    recorder = ctx.recorder = RunRecorder()
    try:
        for name, experiment in experiments.SHARED.items():
            recorder.section = name
            with suppress(Planned):
                experiment(ctx)
        for claim in all_claims():
            if claim.info.trains:
                recorder.section = f"claim {claim.info.id}"
                with suppress(Planned):
                    claim.check(ctx)
    finally:
        ctx.recorder = None
        ctx.cache.clear()  # the remembered Planned signals are not results
    return recorder.stages


# ----------------------------------------------------------------------- work of a run
@dataclass(frozen=True)
class Sizes:
    """What a data set contributes to a run's cost."""

    in_features: int
    classes: int
    n_val: int
    n_test: int


def weights(config: RunConfig, s: Sizes) -> int:
    """``P = sum_l fan_in_l fan_out_l`` of the run's net (biases left out)."""
    w = config.width
    return s.in_features * w + (config.depth - 1) * w * w + w * s.classes


def flops(config: RunConfig, s: Sizes) -> float:
    """Multiply-adds x 2 of one run (module docstring, item 2)."""
    p = weights(config, s)
    records = config.steps // config.record_every
    return 2.0 * p * (3 * config.batch_size * config.steps + records * s.n_val
                      + s.n_val + s.n_test)


def peak_bytes(configs: Sequence[RunConfig], s: Sizes) -> float:
    """Tensors alive while one ensemble batch trains (module docstring, item 3)."""
    from depthscope.train.ensemble import EVAL_CHUNK

    first = configs[0]
    state = {"sgd": 0, "momentum": 1, "adam": 2}
    copies = 2 + max(state[c.optimizer] for c in configs)
    rows = min(s.n_val, EVAL_CHUNK)
    per_member = (weights(first, s) * copies
                  + 3 * ((first.depth + 1) * first.batch_size + rows) * first.width)
    return float(BYTES * len(configs) * per_member)


# ----------------------------------------------------------------------- time
def shape_class(config: RunConfig) -> tuple[object, ...]:
    """Runs whose per-layer-step cost is alike: the shape key without depth and steps."""
    return config.model_copy(update={"depth": 1, "steps": 1}).shape_key()


def activation_key(config: RunConfig) -> tuple[object, ...]:
    """Runs of one activation group (and one set of kernels)."""
    return (config.activation, tuple(sorted(config.activation_params.items())))


@dataclass(frozen=True)
class Rate:
    """``seconds = steps x layers x (per_group_layer_step x groups + per_member_layer_step x
    members)`` (module docstring, item 4)."""

    per_group_layer_step: float
    per_member_layer_step: float

    def seconds(self, members: int, groups: int, depth: int, steps: int) -> float:
        return steps * (depth + 1) * (self.per_group_layer_step * groups
                                      + self.per_member_layer_step * members)


@dataclass(frozen=True)
class Calibration:
    """What this machine measured: a :class:`Rate` per shape class, the seconds a worker
    spends building each activation's kernels, and the calibration's own time."""

    rates: dict[tuple[object, ...], Rate]
    kernel_seconds: dict[tuple[object, ...], float]
    data_seconds: dict[str, float]  # loading each data set (once per worker)
    sizes: dict[str, Sizes]  # each data set's, as the study loads it
    import_seconds: float  # a fresh interpreter importing what a worker trains with
    seconds: float

    @property
    def worker_seconds(self) -> float:
        """What each worker spends once: imports, every activation's kernels and every data
        set."""
        return (self.import_seconds + sum(self.kernel_seconds.values())
                + sum(self.data_seconds.values()))

    def batch_seconds(self, configs: Sequence[RunConfig]) -> float:
        """Predicted training seconds of one ensemble batch, kernel builds left out."""
        first = configs[0]
        groups = len({activation_key(c) for c in configs})
        return self.rates[shape_class(first)].seconds(len(configs), groups, first.depth,
                                                      first.steps)


def calibrate(ctx: Context, configs: Sequence[RunConfig]) -> Calibration:
    """Time, with the profile's training threads: each activation's kernel builds (a
    one-member, one-layer, two-step run twice: the first builds, the second does not), then
    per shape class two short real ensembles (:data:`CALIBRATION_MEMBERS`, depth
    :data:`CALIBRATION_DEPTH`, two records' worth of steps, at most
    :data:`CALIBRATION_STEPS`) for its :class:`Rate`."""
    from depthscope.study.experiments import data_loader
    from depthscope.train import train_ensemble

    start = time.perf_counter()
    load = data_loader(ctx.profile)
    loaded: dict[str, Any] = {}
    data_seconds: dict[str, float] = {}

    def timed(config: RunConfig, members: int = 1) -> float:
        if config.dataset not in loaded:
            begin = time.perf_counter()
            loaded[config.dataset] = load(config.dataset)
            data_seconds[config.dataset] = time.perf_counter() - begin
        runs = [config.model_copy(update={"seed": s}) for s in range(members)]
        begin = time.perf_counter()
        train_ensemble(runs, loaded[config.dataset], device=ctx.device)
        return time.perf_counter() - begin

    by_activation = {activation_key(c): c for c in reversed(configs)}
    by_class = {shape_class(c): c for c in reversed(configs)}
    threads = torch.get_num_threads()
    torch.set_num_threads(ctx.profile.train_threads)
    try:
        kernel_seconds = {}
        for key, config in by_activation.items():
            tiny = config.model_copy(update={"depth": 1, "steps": 2, "record_every": 2})
            kernel_seconds[key] = max(timed(tiny) - timed(tiny), 0.0)
        rates = {}
        for key, config in by_class.items():
            steps = min(config.steps, 2 * config.record_every, CALIBRATION_STEPS)
            shaped = config.model_copy(update={"depth": CALIBRATION_DEPTH, "steps": steps})
            small, large = (timed(shaped, m) for m in CALIBRATION_MEMBERS)
            layer_steps = steps * (CALIBRATION_DEPTH + 1)
            per_member = max(large - small, 0.0) / (
                (CALIBRATION_MEMBERS[1] - CALIBRATION_MEMBERS[0]) * layer_steps)
            per_group = max(small / layer_steps - per_member * CALIBRATION_MEMBERS[0], 0.0)
            rates[key] = Rate(per_group, per_member)
    finally:
        torch.set_num_threads(threads)
    sizes = {name: Sizes(d.in_features, d.num_classes, len(d.val), len(d.test))
             for name, d in loaded.items()}
    return Calibration(rates, kernel_seconds, data_seconds, sizes, import_seconds(),
                       time.perf_counter() - start)


def import_seconds() -> float:
    """Seconds a fresh interpreter takes to import the trainer and the data sets, beyond
    starting up (what a new worker pays before its first batch)."""

    def run(code: str) -> float:
        begin = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        return time.perf_counter() - begin

    bare = run("pass")
    return max(run("import depthscope.train, depthscope.data") - bare, 0.0)


@dataclass(frozen=True)
class TrainedBatch:
    """An ensemble batch as a store recorded it: its runs and its worker's timings."""

    configs: tuple[RunConfig, ...]
    seconds: float  # the whole batch
    kernel_seconds: float  # of which building kernels
    setup_seconds: float  # of which imports and loading data

    @property
    def training_seconds(self) -> float:
        """What :meth:`Calibration.batch_seconds` predicts."""
        return self.seconds - self.kernel_seconds - self.setup_seconds


def trained_batches(store_path: str | Path) -> list[TrainedBatch]:
    """A store's runs grouped into the batches they trained in (by host, start time and the
    batch's size and seconds, which every run of a batch records)."""
    from depthscope.store.sqlite import Store

    groups: dict[tuple[object, ...], list[tuple[RunConfig, dict[str, Any]]]] = {}
    with Store(store_path, readonly=True) as store:
        rows = store.connection.execute("SELECT config, provenance, started_at FROM runs")
        for config, info, started in rows:
            p = json.loads(info)
            key = (p.get("hostname"), started, p.get("batch_runs"), p.get("batch_seconds"))
            groups.setdefault(key, []).append((RunConfig.model_validate_json(config), p))
    return [TrainedBatch(tuple(c for c, _ in runs), float(runs[0][1]["batch_seconds"]),
                         float(runs[0][1].get("kernel_seconds", 0.0)),
                         float(runs[0][1].get("setup_seconds", 0.0)))
            for runs in groups.values()]


def makespan(seconds: Sequence[float], workers: int) -> float:
    """Longest-processing-time-first schedule of jobs on ``workers`` (Graham 1969)."""
    loads = [0.0] * workers
    for job in sorted(seconds, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + job)
    return max(loads)


# ----------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class SectionPlan:
    """A section's runs and cost: always trained, and at most (optional runs included)."""

    section: str
    runs: int
    optional_runs: int
    batches: int
    flop: float
    peak_bytes: float  # the largest ensemble batch
    batch_seconds: float  # predicted training seconds of the always-trained batches, summed
    stages: tuple[tuple[bool, tuple[float, ...]], ...]  # (optional, batch seconds) per stage

    def wall(self, workers: int, optional: bool = False) -> float:
        """Predicted wall seconds on ``workers`` (stages in turn, each scheduled LPT)."""
        return sum(makespan(times, workers) for opt, times in self.stages
                   if optional or not opt)


@dataclass(frozen=True)
class StudyPlan:
    """A profile's sections planned on this machine for ``workers`` processes of
    ``threads`` torch threads, with the :class:`Calibration` behind the times."""

    profile: str
    workers: int
    threads: int
    sections: tuple[SectionPlan, ...]
    calibration: Calibration

    @property
    def runs(self) -> int:
        return sum(s.runs for s in self.sections)

    @property
    def optional_runs(self) -> int:
        return sum(s.optional_runs for s in self.sections)

    def wall(self, workers: int, optional: bool = False) -> float:
        """Predicted wall seconds of training on ``workers``, each worker's one-off imports,
        kernel builds and data loads included (the workers do them side by side)."""
        return self.calibration.worker_seconds + sum(s.wall(workers, optional)
                                                     for s in self.sections)

    def to_json(self) -> dict[str, object]:
        return {
            "profile": self.profile, "workers": self.workers, "threads": self.threads,
            "runs": self.runs, "optional_runs": self.optional_runs,
            "calibration_seconds": round(self.calibration.seconds, 2),
            "worker_setup_seconds": round(self.calibration.worker_seconds, 2),
            "sections": [{"section": s.section, "runs": s.runs,
                          "optional_runs": s.optional_runs, "batches": s.batches,
                          "flop": s.flop, "peak_bytes": s.peak_bytes,
                          "batch_seconds": s.batch_seconds,
                          "wall_seconds": s.wall(self.workers),
                          "wall_seconds_at_most": s.wall(self.workers, optional=True)}
                         for s in self.sections],
            "wall_seconds": {str(w): [self.wall(w), self.wall(w, optional=True)]
                             for w in WORKER_COUNTS},
        }


def plan_study(ctx: Context) -> StudyPlan:
    """The study of ``ctx.profile`` planned on this machine (module docstring)."""
    from depthscope.study.experiments import MAX_BATCH
    from depthscope.sweep.executors import default_workers
    from depthscope.sweep.planner import plan as batches_of

    stages = record_study(ctx)
    calibration = calibrate(ctx, [c for s in stages for c in s.configs])
    data = calibration.sizes
    sections: dict[str, list[Stage]] = {}
    for stage in stages:
        sections.setdefault(stage.section, []).append(stage)
    planned = []
    for name, parts in sections.items():
        fixed = [c for s in parts if not s.optional for c in s.configs]
        stage_times, peak, count = [], 0.0, 0
        for stage in parts:
            times = []
            for batch in batches_of(list(stage.configs), MAX_BATCH):
                times.append(calibration.batch_seconds(batch.configs))
                peak = max(peak, peak_bytes(batch.configs, data[batch.configs[0].dataset]))
                count += not stage.optional
            stage_times.append((stage.optional, tuple(times)))
        planned.append(SectionPlan(
            name, len(fixed), sum(len(s.configs) for s in parts if s.optional), count,
            sum(flops(c, data[c.dataset]) for c in fixed), peak,
            sum(t for opt, times in stage_times if not opt for t in times), tuple(stage_times)))
    return StudyPlan(ctx.profile.name, ctx.workers or default_workers(),
                     ctx.profile.train_threads, tuple(planned), calibration)


def si_text(value: float, unit: str) -> str:
    """``"1.88 PFLOP"``, ``"740 MB"``: three significant digits and a decimal prefix."""
    for prefix, scale in (("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6),
                          ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def seconds_text(seconds: float) -> str:
    """``"4.2 s"``, ``"42 s"``, ``"12.5 min"``, ``"3.2 h"``, ``"4.1 days"``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
