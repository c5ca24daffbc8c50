"""``run_sweep``: expand a spec, skip what the store already has, train the rest, store it."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch

from depthscope.errors import DepthscopeError
from depthscope.store.frames import load
from depthscope.store.sqlite import DEFAULT_PATH, Store, claim_owner
from depthscope.sweep.executors import (
    Executor,
    LoadFn,
    LocalExecutor,
    Trainer,
    TrainFn,
    batch_cost,
)
from depthscope.sweep.planner import Batch, plan
from depthscope.sweep.spec import check_datasets, load_spec, parse_spec
from depthscope.train.config import RunConfig

if TYPE_CHECKING:
    import pandas as pd

SpecLike = Any  # SweepSpec | str | Path | Mapping | Sequence[RunConfig]
LEASE = 600.0  # seconds a claim lasts without a renewal (each finished batch renews)
POLL = 1.0  # seconds between looks at runs another live process holds


def resolve(spec_or_configs: SpecLike) -> tuple[str, list[RunConfig]]:
    """(sweep name, runs) from a spec object, a spec file, a spec mapping or a list of runs."""
    if isinstance(spec_or_configs, str | Path):
        spec_or_configs = load_spec(spec_or_configs)
    elif isinstance(spec_or_configs, Mapping):
        spec_or_configs = parse_spec(spec_or_configs)
    if hasattr(spec_or_configs, "configs"):
        return spec_or_configs.name, spec_or_configs.configs()
    configs = list(spec_or_configs)
    if not all(isinstance(c, RunConfig) for c in configs):
        raise DepthscopeError("run_sweep takes a spec (file, mapping or SweepSpec) or a list "
                              "of RunConfig")
    return "sweep", configs


def make_executor(executor: str | Executor, ray_address: str | None = None,
                  workers: int = 1) -> Executor:
    """``"local"`` (with ``workers`` processes), ``"ray"`` or an executor object."""
    if executor == "local":
        return LocalExecutor(workers)
    if executor == "ray":
        from depthscope.sweep.ray_executor import RayExecutor

        return RayExecutor(ray_address)
    if isinstance(executor, str):
        raise DepthscopeError(f"unknown executor {executor!r}; use 'local' or 'ray'")
    return executor


def check_device(device: str, executor: object = "local") -> None:
    """Fail early on an unknown device or on CUDA without a GPU (for local training)."""
    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise DepthscopeError(f"unknown device {device!r}; use cpu or cuda") from None
    if kind == "cuda" and executor == "local" and not torch.cuda.is_available():
        raise DepthscopeError("device cuda asked for but no CUDA GPU is visible; use cpu")


class _Bar:
    """Runs done: whole batches plus the trained share of the batch in progress."""

    def __init__(self, update: Any, done: int) -> None:
        self.update, self.done = update, done

    def on_step(self, runs: float) -> None:
        self.update(self.done + runs)

    def batch_done(self, n: int) -> None:
        self.done += n
        self.update(self.done)


@contextmanager
def _progress(enabled: bool, name: str, total: int, done: int) -> Iterator[_Bar]:
    """A rich progress bar on stderr (runs done, elapsed, ETA), or a no-op."""
    if not enabled:
        yield _Bar(lambda completed: None, done)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("runs"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(escape(name), total=total, completed=done)
        yield _Bar(lambda completed: bar.update(task, completed=completed), done)


def run_sweep(spec_or_configs: SpecLike, store: str | Path | Store = DEFAULT_PATH,
              executor: Literal["local", "ray"] | Executor = "local", *, progress: bool = True,
              max_batch: int = 32, device: str = "cpu", dtype: torch.dtype = torch.float32,
              ray_address: str | None = None, workers: int = 1, train_fn: TrainFn | None = None,
              load_fn: LoadFn | None = None, lease: float = LEASE) -> pd.DataFrame:
    """Train every run of a sweep that the store does not hold yet, and return all its runs.

    Runs already stored as ``finished`` or ``diverged`` are skipped (resume). The rest are
    planned into batches of at most ``max_batch`` same-shape runs, handed to the executor the
    costliest first, each claimed in the store only when the executor can start it (so sweeps
    sharing a store split the work and never train a run twice while its claim lives),
    trained, and written to the store one batch per transaction. The call returns once every
    run of the sweep is stored, waiting for runs another process holds.

    Args:
        spec_or_configs: a spec file (.yaml/.toml), a spec mapping, a ``SweepSpec``, or a
            list of :class:`RunConfig`.
        store: the SQLite store path (default ``./depthscope-results/results.sqlite``).
        executor: ``"local"`` (in process, or ``workers`` processes of one torch thread
            each: :class:`~depthscope.sweep.executors.LocalExecutor`), ``"ray"`` (local
            cluster, or ``ray_address``), or an executor object (kept open for reuse).
        train_fn: the trainer (default ``depthscope.train.train_ensemble``).
        load_fn: the data loader (default ``depthscope.data.load``).
        lease: seconds a claim lasts without a renewal; every finished batch renews this
            process's claims, so a batch must finish within it (a claim whose owner died is
            taken over once it expires).

    Returns:
        The sweep's runs as :func:`depthscope.store.load` gives them, in spec order;
        ``.attrs["sweep"]`` holds ``name, runs, skipped, trained, batches, seconds``.

    Example:
        >>> import pathlib, tempfile
        >>> from depthscope import run_sweep
        >>> store = pathlib.Path(tempfile.mkdtemp()) / "runs.sqlite"
        >>> spec = {"name": "depth", "steps": 20, "width": 8,
        ...         "grid": {"activations": ["tanh", "relu"], "depths": [2, 4], "seeds": [0]}}
        >>> runs = run_sweep(spec, store=store, progress=False)
        >>> len(runs), runs.attrs["sweep"]["trained"], sorted(set(runs["status"]))
        (4, 4, ['finished'])
        >>> run_sweep(spec, store=store, progress=False).attrs["sweep"]["skipped"]  # resumed
        4
    """
    check_device(device, executor)
    name, configs = resolve(spec_or_configs)
    if load_fn is None:
        check_datasets(configs)
    owned = not isinstance(store, Store)
    db = Store(store) if owned else store
    owner = claim_owner()
    try:
        ids = [c.run_id for c in configs]
        stored = db.done(ids)
        trainer = Trainer(train_fn, load_fn, device, dtype)
        start = time.perf_counter()
        runner = make_executor(executor, ray_address, workers)
        trained = batches = 0
        try:
            with _progress(progress, name, len(configs), len(stored)) as bar:
                while True:
                    feed = _claimed_batches(db, configs, owner, max_batch, lease)
                    for outcome in runner.run(feed, trainer, bar.on_step):
                        db.write(outcome.results, outcome.provenance,
                                 started_at=outcome.started_at)
                        db.renew(owner, lease)
                        trained += len(outcome.results)
                        batches += 1
                        bar.batch_done(len(outcome.results))
                    if len(db.done(ids)) == len(ids):
                        break
                    time.sleep(POLL)  # the rest is held by another live process
        finally:
            db.release(owner)
            if runner is not executor:  # made here: stop its processes or cluster
                runner.close()
        seconds = time.perf_counter() - start
    finally:
        if owned:
            db.close()
    runs = load(db.path, run_ids=ids, series=False).runs
    runs = runs.set_index("run_id").reindex(ids).reset_index()
    runs.attrs["sweep"] = {"name": name, "runs": len(configs), "skipped": len(stored),
                           "trained": trained, "batches": batches, "seconds": seconds}
    return runs


def _claimed_batches(db: Store, configs: list[RunConfig], owner: str, max_batch: int,
                     lease: float) -> Iterator[Batch]:
    """The free runs' batches, each claimed in the store just before it is handed out, the
    costliest first; ends when no run is left free (stored, handed out, or held by another
    live process).

    Executors take a batch only when they can start it, so a claim is made as late as
    possible (sweeps sharing a store split the work finely) and the costliest-first order is
    longest-processing-time-first scheduling: the workers finish a sweep together, within
    about one small batch of each other (Graham 1969: within 4/3 of the best makespan).
    """
    ids = [c.run_id for c in configs]
    done, others = db.done(ids), db.held_by_others(ids, owner)
    free = [c for c in configs if c.run_id not in done and c.run_id not in others]
    for batch in sorted(plan(free, max_batch), key=batch_cost, reverse=True):
        mine = set(db.claim(batch.run_ids, owner, lease))
        if mine:
            yield Batch(tuple(c for c in batch.configs if c.run_id in mine))
