"""What a study would train, recorded instead of trained (``depthscope study --plan``).

With a :class:`RunRecorder` in its :class:`~depthscope.study.context.Context`, the study's
experiments record each stage of runs (:func:`depthscope.study.experiments.run`: one call,
one stage) and then raise :class:`Planned`, so a claim stops where its evidence would begin.
Learning-rate tuning records its first round and, as *optional*, the rounds that protocol
rule 1 may add at the grid's edges; experiments whose cells depend on earlier results (the
boundary checks) record an upper bound as optional.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from depthscope.train.config import RunConfig


class Planned(Exception):
    """Raised by an experiment once its runs are recorded (there are no results to use)."""


@dataclass(frozen=True)
class Stage:
    """One call of the study's sweep machinery: runs trained together, then waited for.

    ``optional``: trained only if earlier results call for it (lr extensions, boundary
    checks); the configs then stand for an upper bound on the work, not for exact runs."""

    section: str
    what: str
    configs: tuple[RunConfig, ...]
    optional: bool


@dataclass
class RunRecorder:
    """The stages a study would train, in order, each run once (by ``run_id``)."""

    section: str = ""
    stages: list[Stage] = field(default_factory=list)
    _optional: bool = False
    _seen: set[str] = field(default_factory=set)

    def record(self, what: str, configs: Sequence[RunConfig], optional: bool = False) -> None:
        """A stage of ``configs`` (runs already recorded are dropped: the store trains a
        ``run_id`` once however many sections ask for it)."""
        new = []
        for config in configs:
            if config.run_id not in self._seen:
                self._seen.add(config.run_id)
                new.append(config)
        if new:
            self.stages.append(Stage(self.section, what, tuple(new),
                                     optional or self._optional))

    @contextmanager
    def optional(self) -> Iterator[None]:
        """Every stage recorded inside is optional (its cells depend on earlier results)."""
        before, self._optional = self._optional, True
        try:
            yield
        finally:
            self._optional = before
