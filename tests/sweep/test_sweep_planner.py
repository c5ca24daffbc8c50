"""The planner: same-shape batches of at most M runs, balanced, deterministic, lossless."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthscope.errors import DepthscopeError
from depthscope.sweep import plan
from depthscope.train.config import RunConfig


def test_known_split() -> None:
    # 7 depth-3 runs and 2 depth-5 runs, M = 3: 7 -> 3 batches of sizes 3, 2, 2; 2 -> 1 batch
    runs = [RunConfig(depth=3, seed=s) for s in range(7)] + [RunConfig(depth=5, seed=s)
                                                            for s in range(2)]
    batches = plan(runs, max_batch=3)
    assert [[c.seed for c in b.configs] for b in batches] == [[0, 1, 2], [3, 4], [5, 6], [0, 1]]
    assert [b.configs[0].depth for b in batches] == [3, 3, 3, 5]


def test_batch_id_is_stable_and_distinct() -> None:
    a, b = plan([RunConfig(seed=s) for s in range(4)], max_batch=2)
    assert a.batch_id == plan([RunConfig(seed=s) for s in range(2)], 2)[0].batch_id
    assert a.batch_id != b.batch_id


def test_bad_max_batch() -> None:
    with pytest.raises(DepthscopeError, match="max_batch"):
        plan([RunConfig()], max_batch=0)


configs = st.builds(RunConfig, depth=st.integers(1, 3), width=st.sampled_from([8, 16]),
                    seed=st.integers(0, 5), activation=st.sampled_from(["tanh", "relu"]))


@settings(max_examples=40, deadline=None)
@given(runs=st.lists(configs, max_size=30), m=st.integers(1, 8))
def test_plan_properties(runs: list[RunConfig], m: int) -> None:
    batches = plan(runs, m)
    flat = [c for b in batches for c in b.configs]
    assert sorted(flat, key=repr) == sorted(runs, key=repr)  # every run exactly once
    for b in batches:
        assert 1 <= len(b) <= m
        assert len({c.shape_key() for c in b.configs}) == 1
    sizes: dict[tuple[object, ...], list[int]] = {}
    for b in batches:
        sizes.setdefault(b.configs[0].shape_key(), []).append(len(b))
    for key, group in sizes.items():
        n = sum(c.shape_key() == key for c in runs)
        assert len(group) == -(-n // m)  # ceil(n / m) batches per shape
        assert max(group) - min(group) <= 1  # balanced
    assert [b.run_ids for b in plan(runs, m)] == [b.run_ids for b in batches]  # deterministic
