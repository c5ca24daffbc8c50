"""The local executor's worker processes: same results as in process, progress, failures."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from sweep_fakes import fake_load, fake_train

from depthscope.errors import DepthscopeError
from depthscope.store import load
from depthscope.sweep import LocalExecutor, Trainer, parse_spec, plan, run_sweep
from depthscope.sweep.executors import QUEUED

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


def test_workers_take_batches_lazily_in_order_and_report_progress() -> None:
    spec = SPEC | {"grid": SPEC["grid"] | {"depths": [5, 1, 2, 3, 4]}}
    batches = plan(parse_spec(spec).configs(), max_batch=4)
    assert len(batches) == 5
    taken: list[str] = []

    def feed():
        for batch in batches:
            taken.append(batch.batch_id)
            yield batch

    seen: list[float] = []
    pool = LocalExecutor(2)
    try:
        train = functools.partial(fake_train, sleep=0.6)
        outcomes = pool.run(feed(), Trainer(train, fake_load), seen.append)
        first = next(outcomes)
        # two training, QUEUED waiting, and the one taken to replace the first to finish
        assert len(taken) == 2 + QUEUED + 1
        rest = list(outcomes)
    finally:
        pool.close()
    assert taken == [b.batch_id for b in batches]  # in the order given
    done = [o.batch.batch_id for o in [first, *rest]]
    assert sorted(done) == sorted(taken)
    assert first.batch.batch_id in taken[:2]  # the first two started first
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


LOADS: list[tuple[str, int]] = []


def counting_load(name: str, *, seed: int, n: int) -> tuple[str, int, int]:
    LOADS.append((name, n))
    return name, n, seed


def test_a_process_loads_a_data_set_once_per_loader_value() -> None:
    """Each batch's task unpickles its own copy of the sweep's loader (a functools.partial:
    equal, not identical); a worker loads the data set once for all of them, and again only
    for a loader with other arguments."""
    import pickle

    from depthscope.sweep import executors

    loader = functools.partial(counting_load, n=7)
    for copy in [pickle.loads(pickle.dumps(loader)) for _ in range(3)]:
        assert executors._dataset(copy, "cache-test") == ("cache-test", 7, executors.DATA_SEED)
    assert LOADS.count(("cache-test", 7)) == 1
    executors._dataset(functools.partial(counting_load, n=8), "cache-test")
    assert LOADS.count(("cache-test", 8)) == 1


def test_a_loader_with_unhashable_arguments_is_cached_by_identity() -> None:
    """A partial whose arguments cannot be hashed (a list) still loads, once per object, as
    before the value key (no TypeError from the cache)."""
    from depthscope.sweep import executors

    def load(name: str, *, seed: int, sizes: list[int]) -> tuple[str, int]:
        LOADS.append((name, sizes[0]))
        return name, sizes[0]

    loader = functools.partial(load, sizes=[9])
    assert executors._dataset(loader, "unhashable-test") == ("unhashable-test", 9)
    assert executors._dataset(loader, "unhashable-test") == ("unhashable-test", 9)
    assert LOADS.count(("unhashable-test", 9)) == 1
