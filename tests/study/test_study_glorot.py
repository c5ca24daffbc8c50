"""The Glorot & Bengio section's statistics and symmetric rules on hand-made tables."""

from __future__ import annotations

import numpy as np
import pytest

from depthscope.study.claims import glorot
from depthscope.study.stats import Interval

LABELS = [label for label, _, _ in glorot.CONFIGS]


SEEDS = 5


def _table(errors: dict[str, float], spread: float) -> dict[str, np.ndarray]:
    """Per-seed errors: each configuration's error plus its own seed-to-seed deviations
    (-2, -1, 0, 1, 2) × ``spread``, each configuration shifted in another order (unpaired
    noise, so differences keep a spread)."""
    dev = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) * spread
    return {k: v + np.roll(dev, i) for i, (k, v) in enumerate(errors.items())}


def test_seed_errors_and_their_interval() -> None:
    e = glorot.seed_errors(np.array([90, 80, 70]), 100)
    assert e.tolist() == pytest.approx([10.0, 20.0, 30.0])
    iv = glorot.error_interval(e)
    assert iv.estimate == pytest.approx(20.0)
    assert 10.0 - 1e-9 <= iv.low < 20.0 < iv.high <= 30.0 + 1e-9
    assert glorot.error_interval(np.array([5.0])) == Interval(5.0, 5.0, 5.0)


def test_pairing_a_shift_common_to_every_seed_is_known_exactly() -> None:
    """Known answer: Tanh N is Tanh minus 0.7 points on every seed, while the seeds spread
    the errors by ±10 points. Paired, the difference is exactly 0.7 in every resample; an
    unpaired interval (each mean's own spread) would reach far across 0."""
    spread = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    base = 20.0 + spread
    errors = {"Softsign": base, "Softsign N": base, "Tanh": base + 0.7, "Tanh N": base,
              "Sigmoid": base + 50}
    found = dict(glorot.comparisons(errors))
    tanh = found["normalised init helps tanh"]
    assert (tanh.estimate, tanh.low, tanh.high) == pytest.approx((0.7, 0.7, 0.7))
    assert glorot.outcome(tanh) == "reproduced"
    robust = found["softsign is more robust to the init than tanh"]
    assert (robust.low, robust.high) == pytest.approx((0.7, 0.7))
    worst = found["sigmoid is worst"]  # against Tanh, the worst other, on every resample
    assert (worst.low, worst.high) == pytest.approx((49.3, 49.3))


def test_comparisons_are_the_stated_differences() -> None:
    err = _table({"Softsign": 16.0, "Softsign N": 15.0, "Tanh": 27.0, "Tanh N": 15.0,
                  "Sigmoid": 80.0}, 1.0)
    found = dict(glorot.comparisons(err))
    assert found["sigmoid is worst"].estimate == pytest.approx(53.0)  # against Tanh
    assert found["normalised init helps tanh"].estimate == pytest.approx(12.0)
    robust = found["softsign is more robust to the init than tanh"]
    assert robust.estimate == pytest.approx((27 - 15) - (16 - 15))
    assert robust.low < robust.estimate < robust.high


def test_the_paper_s_own_table_reproduces_all_three_findings_on_shapeset() -> None:
    paper = {k: v["shapeset"] for k, v in glorot.PAPER.items()}
    assert glorot.decide(glorot.comparisons(_table(paper, 0.5)), "shapeset")[0] == "holds"
    # the same table with Sigmoid not started: its finding is unresolved, whatever the gap
    verdict, why = glorot.decide(glorot.comparisons(_table(paper, 0.5)), "shapeset",
                                 ["Sigmoid"])
    assert verdict == "holds with caveats"
    assert f"sigmoid is worst: {glorot.DID_NOT_START}" in why


def test_rule_is_symmetric_around_zero() -> None:
    paper = {k: v["shapeset"] for k, v in glorot.PAPER.items()}
    # Tanh N worse than Tanh by the same margin: "normalised helps tanh" is contradicted
    flipped = {**paper, "Tanh N": 2 * paper["Tanh"] - paper["Tanh N"]}
    assert glorot.decide(glorot.comparisons(_table(flipped, 0.5)), "shapeset")[0] == \
        "does not hold"
    # the same table with seeds spread too far to tell: nothing resolved
    assert glorot.decide(glorot.comparisons(_table(paper, 40.0)), "shapeset")[0] == \
        "inconclusive"
    # MNIST's differences (0.1-0.5 points) with seeds spread by points: unresolved
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
    err = {"Tanh": Interval(3.0, 1.0, 5.0), "Sigmoid": Interval(88.0, 84.0, 92.0),
           "Softsign": Interval(80.0, 76.0, 84.0)}
    # chance 86 %: Sigmoid's interval reaches it (not started); Softsign's stays below
    assert glorot.not_started(err, 86.0) == ["Sigmoid"]
