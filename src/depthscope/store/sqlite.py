"""The results store: one SQLite file (WAL) holding every run and its recorded series.

Tables::

    runs(run_id PK, config JSON, status, diverged_step, summary JSON, seed, version, git_sha,
         provenance JSON, started_at, finished_at)
    series(run_id, step, layer, metric, value)   PK (run_id, step, layer, metric)

Each trainer batch is written in one transaction, keyed by ``run_id``: writing a result twice
(a retried batch) replaces it, so nothing is ever duplicated, and a process killed mid-sweep
loses only the batches that were still training.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from depthscope.errors import DepthscopeError

if TYPE_CHECKING:
    from depthscope.train.config import RunResult

DEFAULT_PATH = Path("depthscope-results") / "results.sqlite"
SCHEMA_VERSION = 1
DONE = ("finished", "diverged")  # statuses a resumed sweep skips

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    diverged_step INTEGER,
    summary TEXT NOT NULL,
    seed INTEGER NOT NULL,
    version TEXT NOT NULL,
    git_sha TEXT,
    provenance TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS series (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (run_id, step, layer, metric)
) WITHOUT ROWID;
"""

_UPSERT_RUN = """
INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(run_id) DO UPDATE SET
    config = excluded.config, status = excluded.status,
    diverged_step = excluded.diverged_step, summary = excluded.summary, seed = excluded.seed,
    version = excluded.version, git_sha = excluded.git_sha, provenance = excluded.provenance,
    started_at = excluded.started_at, finished_at = excluded.finished_at
"""


def utcnow() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """A results database at ``path`` (created on first use unless ``readonly``)."""

    def __init__(self, path: str | Path = DEFAULT_PATH, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly and not self.path.is_file():
            raise DepthscopeError(f"{self.path}: no results store here; run `depthscope sweep` "
                                  "first or pass --store PATH")
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        uri = f"{self.path.resolve().as_uri()}?mode={'ro' if readonly else 'rwc'}"
        try:
            self._conn = sqlite3.connect(uri, uri=True, timeout=60)
            self._conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable on a crash
                with self._conn:
                    self._conn.executescript(_SCHEMA)
                    self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                                       (str(SCHEMA_VERSION),))
            version = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as err:
            raise DepthscopeError(f"{self.path}: not a depthscope results store ({err})") from None
        if version is None or int(version[0]) != SCHEMA_VERSION:
            raise DepthscopeError(f"{self.path}: store schema {version} is not "
                                  f"{SCHEMA_VERSION}; export it with an older depthscope")

    @property
    def connection(self) -> sqlite3.Connection:
        """The open SQLite connection (for read queries)."""
        return self._conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def done(self, run_ids: Iterable[str] | None = None) -> set[str]:
        """Ids of stored runs whose status is final (``finished`` or ``diverged``)."""
        rows = self._conn.execute(
            f"SELECT run_id FROM runs WHERE status IN ({','.join('?' * len(DONE))})", DONE)
        stored = {r[0] for r in rows}
        return stored if run_ids is None else stored.intersection(run_ids)

    def count(self) -> tuple[int, int]:
        """(number of runs, number of series rows)."""
        runs = self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        series = self._conn.execute("SELECT COUNT(*) FROM series").fetchone()[0]
        return runs, series

    def write(self, results: Sequence[RunResult], provenance: Mapping[str, Any], *,
              started_at: str, finished_at: str | None = None) -> None:
        """Write one batch of results in a single transaction (idempotent per ``run_id``).

        ``provenance`` must hold ``version`` and ``git_sha`` (see
        :func:`depthscope.provenance.provenance`); the rest is stored as JSON per run.
        """
        finished_at = finished_at or utcnow()
        extra = json.dumps({k: v for k, v in provenance.items()
                            if k not in ("version", "git_sha")}, sort_keys=True)
        ids = [r.config.run_id for r in results]  # a hash: compute once per run
        runs = [(i, r.config.model_dump_json(), r.status, r.diverged_step,
                 json.dumps(r.summary, sort_keys=True), r.config.seed, provenance["version"],
                 provenance["git_sha"], extra, started_at, finished_at)
                for i, r in zip(ids, results, strict=True)]
        series = [(i, int(step), int(layer), metric, float(value))
                  for i, r in zip(ids, results, strict=True)
                  for step, layer, metric, value in r.series]
        with self._conn:
            self._conn.executemany(_UPSERT_RUN, runs)
            self._conn.executemany("DELETE FROM series WHERE run_id = ?", [(i,) for i in ids])
            self._conn.executemany("INSERT INTO series VALUES (?, ?, ?, ?, ?)", series)
