"""Executors run planned batches and yield their outcomes as they finish.

An executor's ``run(batches, trainer)`` is an iterator of :class:`BatchOutcome` in completion
order; the caller writes each outcome to the store before asking for the next, so a killed
sweep loses only batches still in flight. :class:`LocalExecutor` trains in this process;
:class:`~depthscope.sweep.ray_executor.RayExecutor` spreads batches over a Ray cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import torch

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


@lru_cache(maxsize=4)
def _dataset(load_fn: LoadFn, name: str) -> Any:
    """Datasets are loaded once per process (workers train many batches on one dataset)."""
    return load_fn(name, seed=DATA_SEED)


def chance_accuracy(dataset: Any) -> float:
    """Accuracy of always predicting the most frequent class (validation labels, else train)."""
    labels = dataset.val.y if len(dataset.val.y) else dataset.train.y  # (N,)
    return float(torch.bincount(labels).max()) / len(labels)


OnStep = Callable[[float], None]  # called with the runs' worth trained in the current batch


def run_batch(batch: Batch, trainer: Trainer, on_step: OnStep | None = None) -> BatchOutcome:
    """Train one batch; each summary gains the data set's ``chance_accuracy`` (validation),
    ``test_examples`` and ``test_chance_hits`` (count of the test split's commonest class)."""
    started_at, start = utcnow(), time.perf_counter()
    train_fn, load_fn = trainer.resolved()
    configs: list[RunConfig] = list(batch.configs)
    dataset = _dataset(load_fn, configs[0].dataset)
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
                           "batch_runs": len(batch), "batch_seconds": round(seconds, 3)}
    return BatchOutcome(batch, results, info, started_at, seconds)


class Executor(Protocol):
    """Runs batches, yielding each :class:`BatchOutcome` once, in completion order;
    ``on_step`` (if the executor supports it) reports progress within a batch."""

    def run(self, batches: Sequence[Batch], trainer: Trainer,
            on_step: OnStep | None = None) -> Iterator[BatchOutcome]: ...


class LocalExecutor:
    """Trains batches one after another in this process."""

    def run(self, batches: Sequence[Batch], trainer: Trainer,
            on_step: OnStep | None = None) -> Iterator[BatchOutcome]:
        for batch in batches:
            yield run_batch(batch, trainer, on_step)
