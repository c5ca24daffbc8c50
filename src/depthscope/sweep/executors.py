"""Executors run planned batches and yield their outcomes as they finish.

An executor's ``run(batches, trainer)`` is an iterator of :class:`BatchOutcome` in completion
order; the caller writes each outcome to the store before asking for the next, so a killed
sweep loses only batches still in flight. :class:`LocalExecutor` trains on this machine, in
this process or in worker processes; :class:`~depthscope.sweep.ray_executor.RayExecutor`
spreads batches over a Ray cluster.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import torch

from depthscope.errors import DepthscopeError
from depthscope.provenance import provenance
from depthscope.store.sqlite import utcnow
from depthscope.sweep.planner import Batch
from depthscope.train.config import RunConfig, RunResult

#: ``train_fn(configs, dataset, *, device, dtype, progress) -> list[RunResult]``
TrainFn = Callable[..., list[RunResult]]
#: ``load_fn(name, *, seed) -> Dataset``
LoadFn = Callable[..., Any]

DATA_SEED = 0  # every run of a sweep sees the same train/val/test split


@dataclass(frozen=True)
class Trainer:
    """What trains one batch, picklable for remote workers.

    ``train_fn``/``load_fn`` default to :func:`depthscope.train.train_ensemble` and
    :func:`depthscope.data.load` (resolved where the batch runs).
    """

    train_fn: TrainFn | None = None
    load_fn: LoadFn | None = None
    device: str = "cpu"
    dtype: torch.dtype = torch.float32

    def resolved(self) -> tuple[TrainFn, LoadFn]:
        train_fn, load_fn = self.train_fn, self.load_fn
        if train_fn is None:
            from depthscope.train import train_ensemble as train_fn
        if load_fn is None:
            from depthscope.data import load as load_fn
        return train_fn, load_fn


@dataclass
class BatchOutcome:
    """A trained batch: its results, where and when it ran, and how long it took."""

    batch: Batch
    results: list[RunResult]
    provenance: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    seconds: float = 0.0


DATASET_CACHE = 4  # data sets a process keeps loaded
_DATASETS: OrderedDict[tuple[Any, str], Any] = OrderedDict()


def _loader_key(load_fn: LoadFn) -> Any:
    """``load_fn`` as a value: a ``functools.partial`` by its function and arguments (each
    batch's task unpickles a new partial object, equal but not identical), else itself; a
    partial with unhashable arguments by identity (as before)."""
    if not isinstance(load_fn, partial):
        return load_fn
    value = (_loader_key(load_fn.func), load_fn.args, tuple(sorted(load_fn.keywords.items())))
    try:
        hash(value)
    except TypeError:
        return load_fn
    return value


def _dataset(load_fn: LoadFn, name: str) -> Any:
    """Datasets are loaded once per process (workers train many batches on one dataset),
    keyed by the loader's value; the :data:`DATASET_CACHE` most recently used are kept."""
    key = (_loader_key(load_fn), name)
    if key in _DATASETS:
        _DATASETS.move_to_end(key)
        return _DATASETS[key]
    _DATASETS[key] = dataset = load_fn(name, seed=DATA_SEED)
    while len(_DATASETS) > DATASET_CACHE:
        _DATASETS.popitem(last=False)
    return dataset


def chance_accuracy(dataset: Any) -> float:
    """Accuracy of always predicting the most frequent class (validation labels, else train)."""
    labels = dataset.val.y if len(dataset.val.y) else dataset.train.y  # (N,)
    return float(torch.bincount(labels).max()) / len(labels)


OnStep = Callable[[float], None]  # called with the runs' worth trained in the current batch


def run_batch(batch: Batch, trainer: Trainer, on_step: OnStep | None = None) -> BatchOutcome:
    """Train one batch; each summary gains the data set's ``chance_accuracy`` (validation),
    ``test_examples`` and ``test_chance_hits`` (count of the test split's commonest class)."""
    from depthscope.activations import kernels

    started_at, start = utcnow(), time.perf_counter()
    built = kernels.STATE.build_seconds
    train_fn, load_fn = trainer.resolved()
    configs: list[RunConfig] = list(batch.configs)
    dataset = _dataset(load_fn, configs[0].dataset)
    setup = time.perf_counter() - start  # imports and the data set, once per process
    share = len(configs) / configs[0].steps  # runs' worth per trainer step
    progress = None if on_step is None else (lambda k: on_step(k * share))
    results = train_fn(configs, dataset, device=trainer.device, dtype=trainer.dtype,
                       progress=progress)
    if [r.config.run_id for r in results] != batch.run_ids:
        raise RuntimeError(f"trainer returned runs {[r.config.run_id for r in results]} "
                           f"for batch {batch.run_ids}")
    chance = chance_accuracy(dataset)
    test_split = getattr(dataset, "test", None)
    test_labels = test_split.y if test_split is not None else torch.zeros(0, dtype=torch.long)
    test = {"chance_accuracy": chance, "test_examples": float(len(test_labels)),
            "test_chance_hits": float(torch.bincount(test_labels).max()) if len(test_labels)
            else 0.0}
    for result in results:
        for key, value in test.items():
            result.summary.setdefault(key, value)
    seconds = time.perf_counter() - start
    info = provenance() | {"device": trainer.device, "dtype": str(trainer.dtype).split(".")[-1],
                           "threads": torch.get_num_threads(), "batch_runs": len(batch),
                           "batch_seconds": round(seconds, 3),
                           "kernel_seconds": round(kernels.STATE.build_seconds - built, 3),
                           "setup_seconds": round(setup, 3)}
    return BatchOutcome(batch, results, info, started_at, seconds)


class Executor(Protocol):
    """Runs batches, yielding each :class:`BatchOutcome` once, in completion order;
    ``on_step`` (if the executor supports it) reports progress within a batch.

    ``batches`` is consumed lazily and in order: an executor takes the next batch only when
    it can start it soon (at most :data:`QUEUED` beyond its parallelism), because taking a
    batch claims its runs in the store (:func:`depthscope.sweep.run_sweep`)."""

    def run(self, batches: Iterable[Batch], trainer: Trainer,
            on_step: OnStep | None = None) -> Iterator[BatchOutcome]: ...


#: batches an executor holds beyond those training, so that no worker waits for the parent
QUEUED = 1


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads (``None``: leave the setting alone)."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def batch_cost(batch: Batch) -> int:
    """A batch's work in units of member-layer-steps (runs x (depth + 1) x steps)."""
    first = batch.configs[0]
    return len(batch) * (first.depth + 1) * first.steps


PROGRESS_INTERVAL = 0.25  # seconds between a worker's progress messages
_progress_queue: Any = None  # a worker process's queue to the parent (set by _start_worker)


def _start_worker(threads: int, progress: Any, backend: Any) -> None:
    global _progress_queue
    from depthscope.activations import kernels

    kernels.set_backend(backend)  # the parent's choice, even one made by set_backend
    torch.set_num_threads(threads)
    _progress_queue = progress


def _worker_batch(key: int, batch: Batch, trainer: Trainer) -> BatchOutcome:
    """Body of a worker task: train ``batch``, telling the parent how far it got."""
    last = [0.0]

    def on_step(runs: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            _progress_queue.put((key, runs))

    return run_batch(batch, trainer, on_step if _progress_queue is not None else None)


def _drain(progress: Any) -> list[tuple[int, float]]:
    """Every message waiting in a progress queue."""
    messages = []
    while True:
        try:
            messages.append(progress.get_nowait())
        except queue.Empty:
            return messages


class LocalExecutor:
    """Trains batches on this machine: in this process (``workers=1``, one batch after
    another) or in ``workers`` worker processes, each training one batch at a time.

    ``threads`` is the number of torch CPU threads a batch trains with (``None``: the current
    setting in this process, one thread in a worker). On a small CPU, one thread per process
    and one process per core beats OpenMP threads at the study's small shapes, and it stays
    fast beside a busy process, where spinning OpenMP threads lose several-fold. A batch's
    results depend on its thread count, not on which worker trains it. Worker processes
    start (``spawn``) on the first :meth:`run` of several batches and serve every later one
    until :meth:`close`; batches start in the order given.
    """

    def __init__(self, workers: int = 1, threads: int | None = None) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise DepthscopeError(f"workers must be an integer >= 1, got {workers!r}")
        self.workers, self.threads = workers, threads
        self._pool: futures.ProcessPoolExecutor | None = None
        self._queue: Any = None

    def run(self, batches: Iterable[Batch], trainer: Trainer,
            on_step: OnStep | None = None) -> Iterator[BatchOutcome]:
        batches = iter(batches)
        if self.workers == 1:
            with torch_threads(self.threads):
                for batch in batches:
                    yield run_batch(batch, trainer, on_step)
            return
        first = list(itertools.islice(batches, 2))
        if len(first) == 1 and self._pool is None:
            # a lone batch of a multi-worker executor trains here as a worker would
            with torch_threads(self.threads or 1):
                yield run_batch(first[0], trainer, on_step)
            return
        if first:
            yield from self._run_pool(itertools.chain(first, batches), trainer, on_step)

    def _start(self) -> tuple[futures.ProcessPoolExecutor, Any]:
        if self._pool is None:
            from depthscope.activations import kernels

            context = multiprocessing.get_context("spawn")
            self._queue = context.Queue()
            self._pool = futures.ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_start_worker,
                initargs=(self.threads or 1, self._queue, kernels.get_backend()))
        return self._pool, self._queue

    def _run_pool(self, batches: Iterator[Batch], trainer: Trainer,
                  on_step: OnStep | None) -> Iterator[BatchOutcome]:
        pool, progress = self._start()
        _drain(progress)  # messages of an earlier run's last batches
        keys = itertools.count()
        pending: dict[futures.Future, int] = {}

        def submit_next() -> None:
            batch = next(batches, None)
            if batch is not None:
                key = next(keys)
                pending[pool.submit(_worker_batch, key, batch, trainer)] = key

        for _ in range(self.workers + QUEUED):
            submit_next()
        partial: dict[int, float] = {}  # runs' worth trained per batch still in flight
        try:
            while pending:
                done, _ = futures.wait(pending, timeout=PROGRESS_INTERVAL,
                                       return_when=futures.FIRST_COMPLETED)
                for key, runs in _drain(progress):
                    if key in pending.values():
                        partial[key] = runs
                for future in done:
                    partial.pop(pending.pop(future), None)
                    try:
                        outcome = future.result()
                    except futures.process.BrokenProcessPool:
                        self.close()
                        raise DepthscopeError(
                            "a training worker process died (out of memory?); stored batches "
                            "are kept, rerun to resume") from None
                    submit_next()  # before the caller stores this outcome
                    if on_step is not None:
                        on_step(sum(partial.values()))
                    yield outcome
                if on_step is not None and not done:
                    on_step(sum(partial.values()))
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Stop the worker processes (a later :meth:`run` starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._queue.close()
            self._pool = self._queue = None


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
