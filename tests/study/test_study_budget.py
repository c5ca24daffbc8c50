"""The depth claims' budget check: boundaries re-trained longer, verdicts that move."""

from __future__ import annotations

import pandas as pd
import pytest

from depthscope.study.claims.c08_10_depth import robust_verdict
from depthscope.study.experiments import BoundaryCheck, DepthEvidence, boundary

SEEDS = (0, 1, 2, 3)


def _runs(rows: dict[tuple[str, int], int], still_learning: frozenset[tuple[str, int]] =
          frozenset()) -> pd.DataFrame:
    """Runs of dataset "d" with ``correct`` per (activation, depth), equal over seeds; arm
    "critical"; 10 test examples of the commonest class; converged (protocol rule 6) except
    the cells ``still_learning``."""
    return pd.DataFrame([
        {"dataset": "d", "activation": act, "arm": "critical", "depth": depth, "seed": seed,
         "correct": correct, "test_chance_hits": 10, "test_examples": 100,
         "converged": (act, depth) not in still_learning}
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
    trains = BoundaryCheck("1000 steps", _runs({("relu", 1): 95, ("relu", 4): 80}))
    iv = trains.depth_interval(evidence, ["d"], "relu", "critical")
    assert (iv.estimate, iv.low, iv.high) == (4, 4, 4)
    # depth 4 reaches 50 only: 200 < 210, the depth found at the short budget stays
    stays = BoundaryCheck("1000 steps", _runs({("relu", 1): 95, ("relu", 4): 50}))
    assert stays.depth_interval(evidence, ["d"], "relu", "critical").estimate == 2
    # nothing to re-run: the sweep's own interval
    assert trains.depth_interval(evidence, ["d"], "tanh", "critical").estimate == 4


def test_a_boundary_still_learning_at_the_cap_is_censored(evidence) -> None:
    """Depth 4 fails rule 2 at 5x the steps but its loss still falls: the depth stays 2, and
    the interval reaches 4 (more training might get there)."""
    censored = BoundaryCheck("1000 steps", _runs({("relu", 1): 95, ("relu", 4): 50},
                                       frozenset({("relu", 4)})))
    found = censored.finding(evidence, ["d"], "relu", "critical")
    assert (found.depth, found.reach) == (2, 4)
    iv = found.interval
    assert (iv.estimate, iv.low, iv.high) == (2, 2, 4)
    # a censored run that passes rule 2 is simply trainable
    assert censored.finding(evidence, ["d"], "tanh", "critical").reach == 4


def test_a_verdict_that_moves_with_the_budget_or_the_width_is_inconclusive() -> None:
    verdict, why = robust_verdict("does not hold", "why.", "200 steps",
                                  {"1000 steps": ("holds", ["relu critical 16 → 32"]),
                                   "width 128": ("does not hold", [])})
    assert verdict == "inconclusive"
    assert "'does not hold' at 200 steps; 'holds' with each arm's boundary at 1000 steps" in why
    assert "relu critical 16 → 32" in why
    verdict, why = robust_verdict("holds", "why.", "200 steps",
                                  {"1000 steps": ("holds", []), "width 128": ("holds", [])})
    assert verdict == "holds"
    assert why.endswith("at width 128 the verdict stays (no trainable depth moves).")
