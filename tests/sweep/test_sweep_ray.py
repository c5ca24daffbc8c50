"""The Ray executor on one local 2-CPU cluster (started once for this module, on loopback).

Workers that die (SIGKILL) or raise get their batch retried; the store still holds every
run exactly once. User errors (DepthscopeError) are not retried.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sweep_fakes
from sweep_fakes import calls, fake_load, fake_train

from depthscope.errors import DepthscopeError
from depthscope.store import Store, load
from depthscope.sweep import RayExecutor, parse_spec, run_sweep
from depthscope.sweep.ray_executor import _import_ray

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.ray

SPEC = {"name": "ray", "steps": 4, "record_every": 2, "width": 8,
        "grid": {"activations": ["tanh", "relu"], "depths": [2, 6], "seeds": [0, 1]}}
CONFIGS = parse_spec(SPEC).configs()
ROWS = sum(len(sweep_fakes.series_rows(c)) for c in CONFIGS)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayExecutor]:
    executor = RayExecutor(num_cpus=2, max_retries=2)
    assert executor._init(_import_ray(local=True))  # the start-up of `depthscope sweep --ray`
    ray.cloudpickle.register_pickle_by_value(sweep_fakes)  # workers cannot import tests/
    yield executor
    ray.shutdown()


def sweep(executor: RayExecutor, store: Path, **fake: object):
    return run_sweep(SPEC, store=store, executor=executor, progress=False, max_batch=2,
                     load_fn=fake_load, train_fn=functools.partial(fake_train, **fake))


def test_cluster_is_local_on_loopback(cluster: RayExecutor) -> None:
    assert ray.cluster_resources()["CPU"] == 2
    assert {n["NodeManagerAddress"] for n in ray.nodes()} == {"127.0.0.1"}


def test_ray_sweep_equals_local_sweep(cluster: RayExecutor, tmp_path: Path) -> None:
    runs = sweep(cluster, tmp_path / "ray.sqlite")
    local = run_sweep(SPEC, store=tmp_path / "local.sqlite", progress=False, max_batch=2,
                      load_fn=fake_load, train_fn=fake_train)
    assert runs["run_id"].tolist() == [c.run_id for c in CONFIGS]
    assert runs["best_val_accuracy"].tolist() == local["best_val_accuracy"].tolist()
    assert load(tmp_path / "ray.sqlite").series.equals(load(tmp_path / "local.sqlite").series)
    assert runs["hostname"].notna().all()


def test_real_training_stores_the_same_bits_through_ray_and_locally(
        cluster: RayExecutor, tmp_path: Path) -> None:
    """The real trainer in float64 on a small case: every stored metric of every run is the
    same to the last bit whether Ray's workers or local worker processes trained it."""
    import torch

    from depthscope.sweep import LocalExecutor

    options = {"progress": False, "max_batch": 2, "dtype": torch.float64}
    through_ray = run_sweep(SPEC, store=tmp_path / "ray.sqlite", executor=cluster, **options)
    local = LocalExecutor(2, threads=1)
    try:
        locally = run_sweep(SPEC, store=tmp_path / "local.sqlite", executor=local, **options)
    finally:
        local.close()
    assert through_ray["run_id"].tolist() == locally["run_id"].tolist()
    assert through_ray["test_accuracy"].tolist() == locally["test_accuracy"].tolist()
    ray_series = load(tmp_path / "ray.sqlite").series
    local_series = load(tmp_path / "local.sqlite").series
    assert len(ray_series) > 100
    assert ray_series.equals(local_series)


@pytest.mark.parametrize("failure", ["crash_once", "raise_once"])
def test_failed_worker_batch_is_retried_not_duplicated(cluster: RayExecutor, tmp_path: Path,
                                                       failure: str) -> None:
    log = tmp_path / "log"
    runs = sweep(cluster, tmp_path / "r.sqlite", log=str(log),
                 **{failure: str(tmp_path / "marker")})
    assert (tmp_path / "marker").exists()  # the failure happened
    attempts = calls(str(log))
    assert len(attempts) == 4 + 1  # 4 batches, one of them tried twice
    assert len({tuple(a) for a in attempts}) == 4
    assert (runs["status"] == "finished").all()
    with Store(tmp_path / "r.sqlite") as db:
        assert db.count() == (len(CONFIGS), ROWS)


def test_user_error_is_not_retried(cluster: RayExecutor, tmp_path: Path) -> None:
    log = tmp_path / "log"
    spec = SPEC | {"dataset": "broken", "grid": SPEC["grid"] | {"depths": [2]}}
    with pytest.raises(DepthscopeError, match="broken: no such dataset"):
        run_sweep(spec, store=tmp_path / "r.sqlite", executor=cluster, progress=False,
                  load_fn=fake_load, train_fn=functools.partial(fake_train, log=str(log)))
    assert len(calls(str(log))) == 1


def test_an_unreachable_address_fails_fast_with_one_line() -> None:
    start = time.monotonic()
    with pytest.raises(DepthscopeError, match=r"cannot reach the Ray cluster at 127\.0\.0\.1:1 "
                                              r"\(.*\) within 2 s; check --ray-address"):
        RayExecutor(address="127.0.0.1:1", connect_timeout=2.0)._reachable()
    assert time.monotonic() - start < 5


def test_parallelism_is_the_clusters_cpus(
        cluster: RayExecutor) -> None:
    assert cluster.parallelism == 2  # two batches per CPU are claimed at a time
