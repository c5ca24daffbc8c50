"""Planner: group runs into batches that the ensemble trainer trains in one call.

Runs with equal :meth:`RunConfig.shape_key` share one batched forward/backward pass; a group
of ``n`` such runs becomes ``ceil(n / max_batch)`` batches of near-equal size (sizes differ
by at most one), so parallel workers get similar loads. The order is deterministic: groups
in order of first appearance, runs within a group in input order.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from depthscope.errors import DepthscopeError
from depthscope.train.config import RunConfig


@dataclass(frozen=True)
class Batch:
    """Runs trained together; ``batch_id`` is a hash of their run ids."""

    configs: tuple[RunConfig, ...]

    @property
    def batch_id(self) -> str:
        joined = ",".join(c.run_id for c in self.configs)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    @property
    def run_ids(self) -> list[str]:
        return [c.run_id for c in self.configs]

    def __len__(self) -> int:
        return len(self.configs)


def plan(configs: Sequence[RunConfig], max_batch: int = 32) -> list[Batch]:
    """Split ``configs`` into batches of at most ``max_batch`` runs with one shape key each."""
    if max_batch < 1:
        raise DepthscopeError(f"max_batch must be ≥ 1, got {max_batch}")
    groups: dict[tuple[object, ...], list[RunConfig]] = {}
    for config in configs:
        groups.setdefault(config.shape_key(), []).append(config)
    batches = []
    for group in groups.values():
        parts = math.ceil(len(group) / max_batch)
        size, extra = divmod(len(group), parts)
        start = 0
        for i in range(parts):
            stop = start + size + (i < extra)
            batches.append(Batch(tuple(group[start:stop])))
            start = stop
    return batches
