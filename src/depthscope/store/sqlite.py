"""The results store: one SQLite file (WAL) holding every run and its recorded series.

Tables::

    runs(run_id PK, config JSON, status, diverged_step, summary JSON, seed, version, git_sha,
         provenance JSON, started_at, finished_at)
    series(run_id, step, layer, metric, value)   PK (run_id, step, layer, metric)
    claims(run_id PK, owner, expires)           runs a sweep process is training now

Each trainer batch is written in one transaction, keyed by ``run_id``: writing a result twice
(a retried batch) replaces it, so nothing is ever duplicated, and a process killed mid-sweep
loses only the batches that were still training. Sweeps sharing a store split the work: a
process claims a run (owner and expiry, one ``BEGIN IMMEDIATE`` transaction) before training
it, renews its claims as batches finish, and a claim whose owner died expires and is taken
over (the claims table is created in older stores on first write-open; schema unchanged).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
CREATE TABLE IF NOT EXISTS claims (
    run_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires REAL NOT NULL
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


def claim_owner() -> str:
    """This process as a claim's owner: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def alive(owner: str) -> bool:
    """Whether a claim's owner may still be running: a process on another host is assumed
    alive until its claim expires; one on this host is alive while its pid exists (a killed
    sweep's claims are free at once for the next sweep here)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


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
            self._conn.executemany("DELETE FROM claims WHERE run_id = ?", [(i,) for i in ids])

    # ------------------------------------------------------------- claims (shared stores)
    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """One write transaction that takes the write lock at its start, so a read inside it
        cannot be overtaken by another process's write."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()

    def claim(self, run_ids: Sequence[str], owner: str, lease: float) -> list[str]:
        """Claim for ``owner``, for ``lease`` seconds, every run of ``run_ids`` that is not
        done and not held by another owner's live claim (an expired claim is taken over);
        returns the ids now held, in order. One transaction: two processes never both win."""
        with self._immediate():
            now = time.time()
            done = self.done(run_ids)
            held = {run: holder for run, holder in self._conn.execute(
                "SELECT run_id, owner FROM claims WHERE expires > ?", (now,)) if alive(holder)}
            mine = [r for r in run_ids if r not in done and held.get(r, owner) == owner]
            self._conn.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)",
                                   [(r, owner, now + lease) for r in mine])
        return mine

    def renew(self, owner: str, lease: float) -> None:
        """Extend every claim of ``owner`` to ``lease`` seconds from now (a heartbeat)."""
        with self._immediate():
            self._conn.execute("UPDATE claims SET expires = ? WHERE owner = ?",
                               (time.time() + lease, owner))

    def release(self, owner: str) -> None:
        """Drop every claim of ``owner`` (its runs become free for others at once)."""
        with self._immediate():
            self._conn.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    def held_by_others(self, run_ids: Iterable[str], owner: str) -> set[str]:
        """The runs of ``run_ids`` under another owner's live claim."""
        rows = self._conn.execute(
            "SELECT run_id, owner FROM claims WHERE owner != ? AND expires > ?",
            (owner, time.time()))
        return {run for run, holder in rows if alive(holder)}.intersection(run_ids)
