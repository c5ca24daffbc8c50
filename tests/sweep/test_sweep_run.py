"""run_sweep with the local executor: results, resume, SIGKILL + resume, trainability."""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import sweep_fakes
import torch
from sweep_fakes import calls, fake_load, fake_train
from typer.testing import CliRunner

import depthscope
from depthscope.cli import app
from depthscope.errors import DepthscopeError
from depthscope.store import Store, load
from depthscope.sweep import (
    SpecError,
    Trainer,
    load_spec,
    parse_spec,
    plan,
    run_batch,
    run_sweep,
    summary,
    trainability,
    trainable,
)

SPEC = {"name": "t", "steps": 4, "record_every": 2, "width": 8,
        "grid": {"activations": ["tanh", "relu"], "depths": [2, 6], "seeds": [0, 1, 2]}}


def sweep(store: Path, log: Path | None = None, spec: object = SPEC, **kw: object):
    train = functools.partial(fake_train, log=str(log) if log else None)
    return run_sweep(spec, store=store, train_fn=train, load_fn=fake_load,
                     **{"progress": False} | kw)


def test_local_sweep_stores_every_run(tmp_path: Path) -> None:
    log = tmp_path / "log"
    runs = sweep(tmp_path / "r.sqlite", log, max_batch=2)
    configs = parse_spec(SPEC).configs()
    assert runs["run_id"].tolist() == [c.run_id for c in configs]
    assert runs["best_val_accuracy"].tolist() == [sweep_fakes.best_val(c) for c in configs]
    assert (runs["chance_accuracy"] == 0.1).all()
    assert (runs["batch_runs"] <= 2).all()
    assert runs.attrs["sweep"] | {"seconds": 0} == {
        "name": "t", "runs": 12, "skipped": 0, "trained": 12, "batches": 6, "seconds": 0}
    # 2 shapes (depth 2 and 6) of 6 runs each (2 activations x 3 seeds); M = 2 -> 3 + 3 calls
    assert [len(c) for c in calls(str(log))] == [2] * 6
    series = load(tmp_path / "r.sqlite").series
    first = configs[0]
    assert len(series[series.run_id == first.run_id]) == len(sweep_fakes.series_rows(first))


def test_rerun_skips_finished_runs_and_extends(tmp_path: Path) -> None:
    store, log = tmp_path / "r.sqlite", tmp_path / "log"
    small = SPEC | {"grid": SPEC["grid"] | {"seeds": [0]}}
    sweep(store, log, spec=small)
    first = calls(str(log))
    assert sum(map(len, first)) == 4
    runs = sweep(store, log)  # 3 seeds now: only seeds 1 and 2 are new
    trained = [r for c in calls(str(log))[len(first):] for r in c]
    assert sum(map(len, calls(str(log)))) == 4 + 8
    assert runs.attrs["sweep"]["skipped"] == 4
    assert len(set(trained)) == 8
    again = sweep(store, log)
    assert again.attrs["sweep"]["trained"] == 0
    assert sum(map(len, calls(str(log)))) == 12  # nothing trained the third time
    with Store(store) as db:
        rows = sum(len(sweep_fakes.series_rows(c)) for c in parse_spec(SPEC).configs())
        assert db.count() == (12, rows)


def test_run_batch_reports_progress_in_runs() -> None:
    (batch,) = plan(parse_spec(SPEC | {"grid": {"seeds": [0, 1, 2]}}).configs(), max_batch=3)
    seen: list[float] = []
    outcome = run_batch(batch, Trainer(fake_train, fake_load), seen.append)
    assert seen == pytest.approx([3 * k / 4 for k in range(1, 5)])  # 3 runs, 4 steps
    assert [r.config for r in outcome.results] == list(batch.configs)
    assert outcome.provenance["batch_runs"] == 3


def test_trainability_table(tmp_path: Path) -> None:
    spec = SPEC | {"grid": SPEC["grid"] | {"lrs": [0.1, 2.0]}}  # lr 2 diverges (fake rule)
    runs = sweep(tmp_path / "r.sqlite", spec=spec, progress=True)
    # fake rule: relu or depth <= 4 reaches 0.95 >= 0.1 + 0.5 * 0.9 = 0.55, else 0.12
    expected = ((runs.label == "relu") | (runs.depth <= 4)) & (runs.lr < 1)
    assert trainable(runs).tolist() == expected.tolist()
    table = trainability(runs).set_index(["label", "depth"])
    assert table.loc[("tanh", 2), "trainable"] == 3
    assert table.loc[("tanh", 2), "runs"] == 6
    assert table.loc[("tanh", 6), "trainable"] == 0
    assert table.loc[("relu", 6), "fraction"] == 0.5
    assert table.loc[("tanh", 6), "median_best_val"] == pytest.approx(0.12)
    assert trainable(runs, margin=0.95).sum() == 0  # 0.95 < 0.1 + 0.95 * 0.9 = 0.955


def test_one_trainable_for_sweeps_and_the_study() -> None:
    import pandas as pd

    from depthscope.study import protocol

    # two kinds (tanh, relu) at depths 1 and 8, 3 seeds; 100 test examples, chance 10 hits
    correct = {("tanh", 1): [80, 84, 90], ("tanh", 8): [47, 45, 60],
               ("relu", 1): [10, 11, 9], ("relu", 8): [50, 50, 50]}
    rows = [{"run_id": f"{a}{d}{s}", "label": a, "activation": a, "depth": d, "seed": s,
             "lr": 0.1, "status": "finished", "test_accuracy": c / 100, "test_examples": 100,
             "test_chance_hits": 10, "chance_accuracy": 0.1, "best_val_accuracy": 0.9}
            for (a, d), cs in correct.items() for s, c in enumerate(cs)]
    runs = pd.DataFrame(rows)
    judged = summary.judged(runs)
    # tanh: ref 84, 2·correct ≥ 10 + 84 = 94: 47 yes, 45 no, 60 yes; relu's depth-1 net
    # learned nothing (ref 10 ≤ chance), so no relu run trains, whatever its accuracy
    assert judged["trainable"].tolist() == [True] * 3 + [True, False, True] + [False] * 6
    assert set(judged["rule"]) == {"protocol"}
    matrix = np.array([correct[("tanh", 1)], correct[("tanh", 8)]]).T  # (seeds, depths)
    assert protocol.run_trains(matrix, 10)[:, 1].tolist() == [True, False, True]
    # without a depth-1 net of its kind a run falls back to the margin rule, and says so
    table = summary.trainability(runs[runs.depth == 8])
    assert set(table["rule"]) == {"margin"}
    assert table["trainable"].tolist() == [3, 3]  # best val 0.9 ≥ 0.55


def test_user_errors_surface(tmp_path: Path) -> None:
    with pytest.raises(DepthscopeError, match="broken"):
        sweep(tmp_path / "r.sqlite", spec=SPEC | {"dataset": "broken"})
    with pytest.raises(DepthscopeError, match="unknown executor"):
        sweep(tmp_path / "r.sqlite", executor="dask")
    with pytest.raises(DepthscopeError, match="unknown device"):
        sweep(tmp_path / "r.sqlite", device="tpu9")
    if not torch.cuda.is_available():
        with pytest.raises(DepthscopeError, match="no CUDA GPU"):
            sweep(tmp_path / "r.sqlite", device="cuda")


CHILD = """
import functools, sys
sys.path.insert(0, {tests!r})
from sweep_fakes import fake_load, fake_train
from depthscope.sweep import run_sweep
run_sweep({spec!r}, store={store!r}, progress=False, max_batch=2, load_fn=fake_load,
          train_fn=functools.partial(fake_train, sleep=0.4))
"""


def test_sigkill_then_resume_loses_only_batches_in_flight(tmp_path: Path) -> None:
    store, log = tmp_path / "r.sqlite", tmp_path / "log"
    spec = SPEC | {"grid": SPEC["grid"] | {"seeds": [0, 1, 2, 3]}}  # 16 runs, 8 batches
    code = CHILD.format(tests=str(Path(__file__).parent), spec=spec, store=str(store))
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)])
    stored = 0
    deadline = time.monotonic() + 60
    while stored < 4 and time.monotonic() < deadline:  # wait for >= 2 batches
        time.sleep(0.05)
        if store.exists():
            with sqlite3.connect(store) as conn:
                try:
                    stored = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:  # schema not created yet
                    stored = 0
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    with Store(store) as db:
        runs_before = db.count()[0]
    rows_per_run = {c.run_id: len(sweep_fakes.series_rows(c))
                    for c in parse_spec(spec).configs()}
    assert 4 <= runs_before < 16
    assert runs_before % 2 == 0  # whole batches only
    done_before = load(store).series.groupby("run_id").size()
    assert all(done_before[r] == rows_per_run[r] for r in done_before.index)  # complete runs
    runs = sweep(store, log, spec=spec, max_batch=2)
    retrained = [r for c in calls(str(log)) for r in c]
    assert len(retrained) == 16 - runs_before
    assert not set(retrained) & set(done_before.index)
    assert (runs["status"] == "finished").all()
    with Store(store) as db:
        assert db.count() == (16, sum(rows_per_run.values()))


def test_cli_reports_every_spec_mistake(tmp_path: Path) -> None:
    # run_app (tested in tests/test_package.py) prints a DepthscopeError and exits with 2
    spec = tmp_path / "bad.yaml"
    spec.write_text("grid:\n  depths: [0, 2]\n  inits: [nope]\n")
    out = CliRunner().invoke(app, ["sweep", str(spec), "--store", str(tmp_path / "r.sqlite")])
    assert isinstance(out.exception, SpecError)
    assert out.exception.problems[0] == "bad.yaml: grid.depths[0]: must be ≥ 1"
    assert out.exception.problems[1].startswith("bad.yaml: grid.inits[0]: must be")
    assert not (tmp_path / "r.sqlite").exists()
    assert out.stdout == ""


TINY = """
name: tiny
dataset: digits
width: 8
batch_size: 32
optimizer: adam
lr: 0.01
steps: 12
record_every: 6
grid:
  activations: [tanh, relu]
  depths: [1, 3]
"""


def test_end_to_end_with_the_real_trainer(tmp_path: Path) -> None:
    from depthscope.data import load as load_data

    spec, store = tmp_path / "tiny.yaml", tmp_path / "r.sqlite"
    spec.write_text(TINY)
    out = CliRunner().invoke(app, ["sweep", str(spec), "--store", str(store), "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["sweep"]["trained"] == 4
    assert {(r["label"], r["depth"]) for r in doc["trainability"]} == {
        ("tanh", 1), ("tanh", 3), ("relu", 1), ("relu", 3)}
    runs, series = load(store)
    assert (runs["status"] == "finished").all()
    val = load_data("digits").val.y
    assert runs["chance_accuracy"].tolist() == [val.bincount().max().item() / len(val)] * 4
    assert runs["best_val_accuracy"].between(0, 1).all()
    assert (runs["version"] == depthscope.__version__).all()
    deep = runs[runs.depth == 3].run_id.iloc[0]
    layers = series[(series.run_id == deep) & (series.metric == "grad_w_norm")]
    assert sorted(layers.layer.unique()) == [0, 1, 2, 3]  # 3 hidden layers + read-out
    assert sorted(layers.step.unique()) == [0, 6, 11]
    again = CliRunner().invoke(app, ["sweep", str(spec), "--store", str(store), "--json"])
    assert json.loads(again.stdout)["sweep"]["skipped"] == 4


def test_example_spec_is_valid() -> None:
    spec = load_spec(Path(__file__).parents[2] / "examples" / "sweep_quick.yaml")
    assert len(spec.configs()) == 4 * 2 * 2
