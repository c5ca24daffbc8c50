"""The SQLite store: round trip, idempotent batch writes, atomicity, WAL, load, export, CLI."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from depthscope.cli import app
from depthscope.errors import DepthscopeError
from depthscope.provenance import provenance
from depthscope.store import Store, export, load
from depthscope.train.config import RunConfig, RunResult


def result(seed: int, status: str = "finished", depth: int = 3) -> RunResult:
    config = RunConfig(activation="tanh", activation_params={"scale": 2.0}, depth=depth,
                       seed=seed, steps=4, record_every=2)
    series = [(step, layer, "grad_norm", 10.0 * seed + step + layer / 10)
              for step in (0, 2, 4) for layer in range(depth)]
    series.append((4, -1, "loss", math.nan if status == "diverged" else 0.25))
    return RunResult(config, status, diverged_step=3 if status == "diverged" else None,
                     summary={"best_val_accuracy": 0.5 + seed / 100, "chance_accuracy": 0.1},
                     series=series)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "results.sqlite"
    with Store(path) as store:
        store.write([result(0), result(1)], provenance(), started_at="2026-01-01T00:00:00")
        store.write([result(2, "diverged")], provenance(), started_at="2026-01-01T00:00:01")
    return path


def test_round_trip(store_path: Path) -> None:
    runs, series = load(store_path)
    assert list(runs["seed"]) == [0, 1, 2]
    assert list(runs["status"]) == ["finished", "finished", "diverged"]
    assert runs["diverged_step"].tolist()[2] == 3
    assert runs["best_val_accuracy"].tolist() == [0.5, 0.51, 0.52]
    assert set(runs["label"]) == {"tanh(scale=2)"}
    assert json.loads(runs["activation_params"][0]) == {"scale": 2.0}
    assert runs["run_id"].tolist() == [result(s).config.run_id for s in range(3)]
    prov = provenance()
    assert (runs["version"] == prov["version"]).all()
    assert (runs["git_sha"].fillna("none") == (prov["git_sha"] or "none")).all()
    assert (runs["hostname"] == prov["hostname"]).all()
    assert len(series) == 3 * (3 * 3 + 1)
    row = series[(series.run_id == runs.run_id[1]) & (series.step == 2) & (series.layer == 1)]
    assert row["value"].item() == pytest.approx(10.0 + 2 + 0.1)
    loss = series[(series.run_id == runs.run_id[2]) & (series.metric == "loss")]
    assert math.isnan(loss["value"].item())  # NaN survives as NaN


def test_writing_a_batch_twice_duplicates_nothing(store_path: Path) -> None:
    with Store(store_path) as store:
        before = store.count()
        store.write([result(0), result(1)], provenance(), started_at="again")
        assert store.count() == before == (3, 30)
        assert store.done() == {result(s).config.run_id for s in range(3)}
        assert store.done([result(1).config.run_id, "unknown"]) == {result(1).config.run_id}


def test_a_failing_batch_writes_nothing(tmp_path: Path) -> None:
    bad = result(5)
    bad.series.append(bad.series[0])  # duplicate primary key -> IntegrityError mid-transaction
    with Store(tmp_path / "r.sqlite") as store:
        with pytest.raises(sqlite3.IntegrityError):
            store.write([result(4), bad], provenance(), started_at="t")
        assert store.count() == (0, 0)


def test_wal_mode(store_path: Path) -> None:
    with Store(store_path) as store:
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_load_filters(store_path: Path) -> None:
    ids = [result(s).config.run_id for s in range(3)]
    runs, series = load(store_path, run_ids=[ids[2], ids[0]], metrics=["loss"])
    assert set(runs["run_id"]) == {ids[0], ids[2]}
    assert set(series["metric"]) == {"loss"}
    assert len(series) == 2
    assert load(store_path, status=["diverged"]).runs["run_id"].tolist() == [ids[2]]
    assert load(store_path, series=False).series.empty
    empty = load(store_path, status=["nope"])
    assert empty.runs.empty
    assert empty.series.empty


def test_bad_stores(tmp_path: Path) -> None:
    with pytest.raises(DepthscopeError, match="no results store"):
        load(tmp_path / "missing.sqlite")
    (tmp_path / "junk.sqlite").write_text("this is not sqlite" * 100)
    with pytest.raises(DepthscopeError, match="not a depthscope results store"):
        Store(tmp_path / "junk.sqlite")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trips(store_path: Path, tmp_path: Path, fmt: str) -> None:
    paths = export(store_path, tmp_path / "out", fmt=fmt)  # type: ignore[arg-type]
    assert [p.name for p in paths] == [f"runs.{fmt}", f"series.{fmt}"]
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    runs, series = load(store_path)
    back = read(paths[1])
    pd.testing.assert_frame_equal(back, series, check_dtype=False)
    assert read(paths[0])["best_val_accuracy"].tolist() == runs["best_val_accuracy"].tolist()


def test_export_bad_format(store_path: Path, tmp_path: Path) -> None:
    with pytest.raises(DepthscopeError, match="unknown export format"):
        export(store_path, tmp_path, fmt="xlsx")  # type: ignore[arg-type]


def test_cli_runs_and_export(store_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["runs", "--store", str(store_path), "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["total"] == 3
    assert [r["seed"] for r in doc["runs"]] == [0, 1, 2]
    assert doc["runs"][0]["diverged_step"] is None
    assert isinstance(doc["runs"][0]["activation_params"], dict)  # an object, not JSON text
    limited = json.loads(runner.invoke(app, ["runs", "--store", str(store_path), "--json",
                                             "--limit", "1", "--status", "finished"]).stdout)
    assert [r["seed"] for r in limited["runs"]] == [1]
    table = runner.invoke(app, ["runs", "--store", str(store_path)])
    assert table.exit_code == 0
    assert "3 runs in" in table.stdout
    assert "diver" in table.stdout
    out = runner.invoke(app, ["export", "--store", str(store_path), "--format", "csv",
                              "--out", str(tmp_path / "x"), "--json"])
    assert out.exit_code == 0, out.output
    assert [Path(p).name for p in json.loads(out.stdout)["files"]] == ["runs.csv", "series.csv"]


def test_cli_missing_store_raises_the_user_error(tmp_path: Path) -> None:
    # run_app (tested in tests/test_package.py) turns a DepthscopeError into exit status 2
    out = CliRunner().invoke(app, ["runs", "--store", str(tmp_path / "none.sqlite")])
    assert isinstance(out.exception, DepthscopeError)
    assert "no results store" in str(out.exception)
