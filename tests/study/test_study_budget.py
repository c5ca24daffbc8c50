"""The depth claims' budget check: boundaries re-trained longer, verdicts that move."""

from __future__ import annotations

import pandas as pd
import pytest

from depthscope.study.claims.c08_10_depth import budget_verdict
from depthscope.study.experiments import BudgetCheck, DepthEvidence, boundary

SEEDS = (0, 1, 2, 3)


def _runs(rows: dict[tuple[str, int], int]) -> pd.DataFrame:
    """Runs of dataset "d" with ``correct`` per (activation, depth), equal over seeds; arm
    "critical"; 10 test examples of the commonest class."""
    return pd.DataFrame([
        {"dataset": "d", "activation": act, "arm": "critical", "depth": depth, "seed": seed,
         "correct": correct, "test_chance_hits": 10, "test_examples": 100}
        for (act, depth), correct in rows.items() for seed in SEEDS])


@pytest.fixture
def evidence() -> DepthEvidence:
    # relu trains to depth 2 (rule 2: 4·correct >= 2·10 + 2·90 = 200), fails at 4; tanh trains
    # to 4, the grid's deepest (censored); sigmoid learns nothing at depth 1
    runs = _runs({("relu", 1): 90, ("relu", 2): 90, ("relu", 4): 10,
                  ("tanh", 1): 90, ("tanh", 2): 90, ("tanh", 4): 80,
                  ("sigmoid", 1): 10, ("sigmoid", 2): 10, ("sigmoid", 4): 10})
    return DepthEvidence(runs, pd.DataFrame(), {}, {}, {})


def test_boundary_is_the_next_depth_after_the_trainable_one(evidence: DepthEvidence) -> None:
    assert boundary(evidence, "d", "relu", "critical") == (2, 4)
    assert boundary(evidence, "d", "tanh", "critical") == (4, None)  # censored: nothing next
    assert boundary(evidence, "d", "sigmoid", "critical") == (0, None)  # no reference


def test_longer_budget_moves_the_depth_only_where_the_boundary_trains(evidence) -> None:
    # at 5x the steps the depth-1 net reaches 95 and depth 4 reaches 80: 320 >= 20 + 190
    trains = BudgetCheck(1000, _runs({("relu", 1): 95, ("relu", 4): 80}))
    iv = trains.depth_interval(evidence, ["d"], "relu", "critical")
    assert (iv.estimate, iv.low, iv.high) == (4, 4, 4)
    # depth 4 reaches 50 only: 200 < 210, the depth found at the short budget stays
    stays = BudgetCheck(1000, _runs({("relu", 1): 95, ("relu", 4): 50}))
    assert stays.depth_interval(evidence, ["d"], "relu", "critical").estimate == 2
    # nothing to re-run: the sweep's own interval
    assert trains.depth_interval(evidence, ["d"], "tanh", "critical").estimate == 4


def test_a_verdict_that_moves_with_the_budget_is_inconclusive() -> None:
    verdict, why = budget_verdict("does not hold", "why.", ("holds", "x"),
                                  ["relu critical 16 → 32"], 200, 1000)
    assert verdict == "inconclusive"
    assert "'does not hold' at 200 steps, 'holds'" in why
    assert "relu critical 16 → 32" in why
    verdict, why = budget_verdict("holds", "why.", ("holds", "x"), [], 200, 1000)
    assert verdict == "holds"
    assert why.endswith("the verdict stays (no trainable depth moves).")
