"""The Q&A's threshold analysis: its printed numbers, its formulas, other activations."""

from __future__ import annotations

import math

import pytest

from depthscope.errors import DepthscopeError
from depthscope.theory import best_scale, thresholds


@pytest.fixture(scope="module")
def tanh2():
    return thresholds("tanh", scale=2, depth=50)


def test_qa_numbers_for_tanh_2x(tanh2) -> None:
    # Q&A (seed 000): t1(2) = 0.658, cancel bound 9.0 at K = 50, explode bound 0.441.
    assert tanh2.max_slope == pytest.approx(2.0)
    assert tanh2.good_interval == pytest.approx((-0.6584789484624083, 0.6584789484624083),
                                                abs=1e-12)
    assert tanh2.cancel_bound[1] == pytest.approx(math.atanh(math.sqrt(1 - 2.0**-50)) / 2,
                                                  rel=1e-12)
    assert round(tanh2.cancel_bound[1], 1) == 9.0
    # slope > 1 <=> tanh^2(2x) < 1 - 1/2: the Q&A's sqrt(1 - 1/n) is right, 0.4407 -> 0.441
    assert tanh2.explode_interval[1] == pytest.approx(math.atanh(math.sqrt(0.5)) / 2, rel=1e-12)
    verdicts = {c.claim: c.holds for c in tanh2.qa_checks}
    assert len(verdicts) == 8
    assert all(verdicts.values())


def test_best_scale_for_tanh(tanh2) -> None:
    # width(n) = 2 atanh(sqrt(1 - 1/n^2))/n: n = 2 is the best integer; the real optimum is
    # n ≈ 1.81 with a slightly wider interval (the Q&A's note holds).
    best = tanh2.best_scale
    assert best.integer == 2
    assert best.integer_width == pytest.approx(2 * 0.6584789484624083, rel=1e-12)
    assert 1.80 < best.continuous < 1.82
    assert best.continuous_width > best.integer_width
    # stationarity of the closed form at the continuous optimum
    w = lambda n: 2 * math.atanh(math.sqrt(1 - n**-2)) / n
    h = 1e-4
    assert abs(w(best.continuous + h) - w(best.continuous - h)) < 1e-8


def test_tanh_at_n_1_never_explodes_and_3x_matches_formulas() -> None:
    one = thresholds("tanh", scale=1, depth=10)
    assert one.explode_interval is None
    assert one.cancel_bound is None
    three = thresholds("tanh", scale=3, depth=20)
    assert three.good_interval[1] == pytest.approx(math.atanh(math.sqrt(1 - 1 / 9)) / 3,
                                                   rel=1e-12)
    formula = [c for c in three.qa_checks if "atanh" in c.claim]
    assert len(formula) == 3
    assert all(c.holds for c in formula)


def test_hardtanh_and_sigmoid_closed_forms() -> None:
    hard = thresholds("hardtanh", scale=2, depth=10)  # slope 2 on |x| < 1/2, else 0
    for iv in (hard.good_interval, hard.cancel_bound, hard.explode_interval):
        assert iv == pytest.approx((-0.5, 0.5), abs=1e-12)
    sig = thresholds("sigmoid", scale=8, depth=10)  # M = 2; s(1-s) >= 1/16 at the edge
    p = (1 + math.sqrt(1 - 4 / 16)) / 2
    assert sig.good_interval[1] == pytest.approx(math.log(p / (1 - p)) / 8, rel=1e-10)
    assert sig.qa_checks == ()


def test_unbounded_or_growing_widths_have_no_best_scale() -> None:
    relu = thresholds("relu", scale=2, depth=10)
    assert relu.good_interval[0] == pytest.approx(0.0, abs=1e-12)
    assert math.isinf(relu.good_interval[1])
    assert best_scale("relu") is None
    assert best_scale("softsign") is None  # width 2(n - 1)/n grows towards 2
    with pytest.raises(DepthscopeError):
        thresholds("tanh", scale=-1)
