"""The Glorot & Bengio section's statistics and symmetric rules on hand-made tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthscope.study.claims import glorot
from depthscope.study.stats import Interval

LABELS = [label for label, _, _ in glorot.CONFIGS]


def _table(errors: dict[str, float], se: float) -> dict[str, tuple[float, float]]:
    return {k: (v, se) for k, v in errors.items()}


def test_test_error_and_its_standard_error_by_hand() -> None:
    # 3 seeds, 100 examples: errors 0.10, 0.20, 0.30 -> mean 0.2, seed variance 0.01 / 3,
    # test-set variance 0.2 * 0.8 / 100
    mean, se = glorot.test_error(np.array([90, 80, 70]), 100)
    assert mean == pytest.approx(20.0)
    assert se == pytest.approx(100 * math.sqrt(0.01 / 3 + 0.16 / 100))
    # one seed: the test set's binomial error alone
    assert glorot.test_error(np.array([90]), 100)[1] == pytest.approx(100 * math.sqrt(0.0009))


def test_comparisons_are_the_stated_differences_with_normal_intervals() -> None:
    err = {"Softsign": (16.0, 1.0), "Softsign N": (15.0, 1.0), "Tanh": (27.0, 2.0),
           "Tanh N": (15.0, 2.0), "Sigmoid": (80.0, 3.0)}
    found = dict(glorot.comparisons(err))
    worst = found["sigmoid is worst"]  # against Tanh, the worst other
    assert worst.estimate == pytest.approx(53.0)
    assert worst.high - worst.estimate == pytest.approx(glorot.Z95 * math.sqrt(9 + 4))
    assert found["normalised init helps tanh"].estimate == pytest.approx(12.0)
    robust = found["softsign is more robust to the init than tanh"]
    assert robust.estimate == pytest.approx((27 - 15) - (16 - 15))
    assert robust.low == pytest.approx(11.0 - glorot.Z95 * math.sqrt(4 + 4 + 1 + 1))


def test_the_paper_s_own_table_reproduces_all_three_findings_on_shapeset() -> None:
    paper = {k: v["shapeset"] for k, v in glorot.PAPER.items()}
    assert glorot.decide(glorot.comparisons(_table(paper, 0.5)), "shapeset")[0] == "holds"


def test_rule_is_symmetric_around_zero() -> None:
    paper = {k: v["shapeset"] for k, v in glorot.PAPER.items()}
    # Tanh N worse than Tanh by the same margin: "normalised helps tanh" is contradicted
    flipped = {**paper, "Tanh N": 2 * paper["Tanh"] - paper["Tanh N"]}
    assert glorot.decide(glorot.comparisons(_table(flipped, 0.5)), "shapeset")[0] == \
        "does not hold"
    # the same table with standard errors too large to tell: nothing resolved
    assert glorot.decide(glorot.comparisons(_table(paper, 40.0)), "shapeset")[0] == \
        "inconclusive"
    # MNIST's differences (0.1-0.5 points) with an SE of 1 point: sigmoid's 0.45 and the rest
    # unresolved
    mnist = {k: v["digits"] for k, v in glorot.PAPER.items()}
    assert glorot.decide(glorot.comparisons(_table(mnist, 1.0)), "digits")[0] == "inconclusive"
    # some resolved, none contradicted
    some = {**paper, "Softsign": 27.0}  # softsign now as init-sensitive as tanh
    assert glorot.decide(glorot.comparisons(_table(some, 0.5)), "shapeset")[0] == \
        "holds with caveats"


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0.1, 2.0, "reproduced"), (-2.0, -0.1, "contradicted"), (-1.0, 1.0, "unresolved"),
    (0.0, 1.0, "unresolved"), (-1.0, 0.0, "unresolved"),
])
def test_outcome_is_strict_on_both_sides(low: float, high: float, expected: str) -> None:
    assert glorot.outcome(Interval((low + high) / 2, low, high)) == expected


def test_every_configuration_has_the_paper_s_numbers() -> None:
    assert set(glorot.PAPER) == set(LABELS)


def test_not_started_flags_errors_whose_interval_reaches_chance() -> None:
    err = {"Tanh": (3.0, 1.0), "Sigmoid": (88.0, 2.0), "Softsign": (80.0, 2.0)}
    # chance 86 %: 88 + 3.9 ≥ 86 (not started); 80 + 3.9 < 86 (surely learned something)
    assert glorot.not_started(err, 86.0) == ["Sigmoid"]
