"""The local executor's worker processes: same results as in process, progress, failures."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from sweep_fakes import fake_load, fake_train

from depthscope.errors import DepthscopeError
from depthscope.store import load
from depthscope.sweep import LocalExecutor, Trainer, parse_spec, plan, run_sweep
from depthscope.sweep.executors import batch_cost

SPEC = {"name": "w", "steps": 6, "record_every": 3, "width": 8, "batch_size": 16,
        "dataset": "gaussian",
        "grid": {"activations": ["tanh", "relu"], "depths": [1, 3], "seeds": [0, 1]}}


def gaussian(name: str, *, seed: int = 0):
    from depthscope.data import load as load_data

    return load_data(name, n=200, features=6, classes=3, seed=seed)


def test_workers_give_the_in_process_numbers(tmp_path: Path) -> None:
    """A batch trained in a worker (one torch thread) equals the same batch trained in this
    process with one thread, bit for bit: results do not depend on where a batch ran."""
    inline = LocalExecutor(1, threads=1)
    here = run_sweep(SPEC, store=tmp_path / "a.sqlite", executor=inline, progress=False,
                     max_batch=2, load_fn=gaussian)
    pool = LocalExecutor(2)
    try:
        there = run_sweep(SPEC, store=tmp_path / "b.sqlite", executor=pool, progress=True,
                          max_batch=2, load_fn=gaussian)
    finally:
        pool.close()
    assert here.attrs["sweep"]["batches"] == there.attrs["sweep"]["batches"] == 4
    for column in ("run_id", "status", "test_accuracy", "train_loss", "val_loss", "threads"):
        assert here[column].tolist() == there[column].tolist(), column
    assert (there["threads"] == 1).all()
    a = load(tmp_path / "a.sqlite").series.sort_values(["run_id", "step", "layer", "metric"])
    b = load(tmp_path / "b.sqlite").series.sort_values(["run_id", "step", "layer", "metric"])
    assert a["value"].tolist() == b["value"].tolist()


def test_workers_report_progress_and_largest_batches_first() -> None:
    spec = SPEC | {"grid": SPEC["grid"] | {"depths": [1, 5, 2]}}
    batches = plan(parse_spec(spec).configs(), max_batch=4)
    assert sorted(batch_cost(b) for b in batches) == [4 * 2 * 6, 4 * 3 * 6, 4 * 6 * 6]
    seen: list[float] = []
    pool = LocalExecutor(2)
    try:
        train = functools.partial(fake_train, sleep=0.6)
        outcomes = list(pool.run(batches, Trainer(train, fake_load), seen.append))
    finally:
        pool.close()
    assert sorted(o.batch.batch_id for o in outcomes) == sorted(b.batch_id for b in batches)
    # the deepest batch was submitted first, so one of the first two to finish
    assert max(batches, key=batch_cost).batch_id in [o.batch.batch_id for o in outcomes[:2]]
    assert seen
    assert all(0 <= s <= 2 * 4 for s in seen)  # at most two batches in flight


def test_worker_errors_surface_and_bad_worker_counts() -> None:
    (batch, *_) = plan(parse_spec(SPEC | {"dataset": "broken"}).configs(), max_batch=2)
    pool = LocalExecutor(2)
    try:
        with pytest.raises(DepthscopeError, match="broken"):
            list(pool.run([batch, batch], Trainer(fake_train, fake_load)))
    finally:
        pool.close()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(DepthscopeError, match="workers must be an integer"):
            LocalExecutor(bad)  # type: ignore[arg-type]
