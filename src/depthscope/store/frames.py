"""The store as pandas DataFrames, and export to CSV or Parquet (pandas imported lazily).

``runs`` has one row per run: ``run_id``, ``status``, ``diverged_step``, every RunConfig
field (``activation_params`` as JSON text), ``label`` (e.g. ``tanh(scale=2)``), every summary
value, then ``version``, ``git_sha``, the provenance fields and the timestamps.
``series`` is long-format: ``run_id, step, layer, metric, value`` (layer -1 = whole net).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from depthscope.activations import get as get_activation
from depthscope.errors import DepthscopeError
from depthscope.store.sqlite import DEFAULT_PATH, Store

if TYPE_CHECKING:
    import pandas as pd

_RUN_COLUMNS = ("run_id, config, status, diverged_step, summary, version, git_sha, provenance, "
                "started_at, finished_at")


class Results(NamedTuple):
    """``runs`` (one row per run) and ``series`` (one row per recorded value)."""

    runs: pd.DataFrame
    series: pd.DataFrame


def _run_record(row: tuple) -> dict[str, object]:
    run_id, config, status, diverged_step, summary, version, sha, prov, started, finished = row
    config = json.loads(config)
    params = config["activation_params"]
    return {
        "run_id": run_id, "status": status, "diverged_step": diverged_step,
        **config, "activation_params": json.dumps(params, sort_keys=True),
        "label": get_activation(config["activation"], **params).label,
        **json.loads(summary), "version": version, "git_sha": sha, **json.loads(prov),
        "started_at": started, "finished_at": finished,
    }


def _select(conn: sqlite3.Connection, sql: str, run_ids: Iterable[str] | None,
            where: list[str]) -> str:
    """``sql`` restricted to ``run_ids`` (via a temp table: no bound-variable limit) and
    the ``where`` clauses."""
    if run_ids is not None:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (run_id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM wanted")
        conn.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((r,) for r in run_ids))
        where = ["run_id IN (SELECT run_id FROM wanted)", *where]
    return sql + (" WHERE " + " AND ".join(where) if where else "")


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({','.join('?' * len(values))})"


def load(path: str | Path = DEFAULT_PATH, *, run_ids: Iterable[str] | None = None,
         status: Iterable[str] | None = None, metrics: Iterable[str] | None = None,
         series: bool = True) -> Results:
    """Runs and series from the store at ``path`` as DataFrames.

    Args:
        path: the SQLite store (default ``./depthscope-results/results.sqlite``).
        run_ids: keep only these runs (default all).
        status: keep only runs with these statuses (e.g. ``["finished"]``).
        metrics: keep only these series metrics (default all).
        series: ``False`` skips the (large) series table and returns it empty.

    Example:
        >>> runs, series = load("depthscope-results/results.sqlite")  # doctest: +SKIP
    """
    import pandas as pd

    with Store(path, readonly=True) as store:
        conn = store.connection
        status = None if status is None else list(status)
        where = [] if status is None else [_in("status", status)]
        sql = _select(conn, f"SELECT {_RUN_COLUMNS} FROM runs", run_ids, where)
        runs = pd.DataFrame([_run_record(r) for r in conn.execute(sql + " ORDER BY rowid",
                                                                  status or [])])
        if runs.empty:
            runs = pd.DataFrame(columns=["run_id", "status", "diverged_step"])
        frame = pd.DataFrame(columns=["run_id", "step", "layer", "metric", "value"])
        if series and len(runs):
            metrics = None if metrics is None else list(metrics)
            where = [] if metrics is None else [_in("metric", metrics)]
            sql = _select(conn, "SELECT run_id, step, layer, metric, value FROM series",
                          runs["run_id"], where)
            frame = pd.read_sql_query(sql + " ORDER BY run_id, step, layer, metric", conn,
                                      params=metrics or [])
    return Results(runs, frame)


def export(path: str | Path = DEFAULT_PATH, out: str | Path = "depthscope-export", *,
           fmt: Literal["csv", "parquet"] = "csv") -> list[Path]:
    """Write ``runs.<fmt>`` and ``series.<fmt>`` under ``out``; return the two paths."""
    if fmt not in ("csv", "parquet"):
        raise DepthscopeError(f"unknown export format {fmt!r}; use csv or parquet")
    if fmt == "parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            raise DepthscopeError("parquet export needs pyarrow; pip install 'depthscope[parquet]'")
    results = load(path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in results._asdict().items():
        target = out / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(target, index=False)
        else:
            frame.to_parquet(target, index=False)
        paths.append(target)
    return paths
