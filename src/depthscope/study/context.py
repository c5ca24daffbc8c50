"""The context every claim check receives: profile, where results go, device, progress."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from depthscope.study.profiles import Profile
from depthscope.study.recorder import RunRecorder
from depthscope.sweep.executors import Executor, LocalExecutor, default_workers

T = TypeVar("T")


@dataclass
class Context:
    """Shared state of one study run.

    ``cache`` lets claims share an experiment (claims 5 and 8-10 read one depth sweep);
    ``progress`` turns on rich progress bars (on stderr). Bars are transient and never
    nested, so a sweep inside a claim can show its own. With a ``recorder`` nothing trains:
    the experiments record their runs there (``depthscope study --plan``).
    """

    profile: Profile
    out_dir: Path
    store_path: Path
    device: str = "cpu"
    executor: Literal["local", "ray"] = "local"
    progress: bool = False
    threads: int | None = 1  # torch CPU threads; the study's tensors are small (see runner)
    workers: int | None = None  # local training processes (None: one per CPU)
    cache: dict[str, Any] = field(default_factory=dict)
    recorder: RunRecorder | None = None
    _local: LocalExecutor | None = field(default=None, init=False, repr=False)

    def sweep_executor(self) -> Executor | Literal["ray"]:
        """Where sweeps train: Ray, or local worker processes of ``profile.train_threads``
        torch threads each, started once and kept for the whole study (:meth:`close`)."""
        if self.executor == "ray":
            return "ray"
        if self._local is None:
            self._local = LocalExecutor(self.workers or default_workers(),
                                        threads=self.profile.train_threads)
        return self._local

    def close(self) -> None:
        """Stop the local training processes, if any were started."""
        if self._local is not None:
            self._local.close()

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate ``items`` with a progress bar (when a progress display is attached)."""
        if not self.progress:
            yield from items
            return
        from rich.console import Console
        from rich.progress import track

        yield from track(items, description=description, total=total, transient=True,
                         console=Console(stderr=True))

    def shared(self, key: str, build: Any) -> Any:
        """``cache[key]``, computed by ``build()`` the first time; a failure is remembered
        and raised again, so claims sharing an experiment do not retry it."""
        if key not in self.cache:
            try:
                self.cache[key] = build()
            except Exception as err:
                self.cache[key] = err
        value = self.cache[key]
        if isinstance(value, Exception):
            raise value
        return value
