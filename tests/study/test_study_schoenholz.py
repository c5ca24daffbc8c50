"""The Schoenholz section's scores on hand-made data: censored ranks, boundary accuracy, rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthscope.study.claims import schoenholz as sch
from depthscope.study.stats import Interval


def test_censored_values_tie_only_with_each_other_and_predictions_are_not_capped() -> None:
    # measured (4, 8, ≥48, ≥48) against 6·xi_c (5, 10, 60, 200): ranks (1, 2, 3.5, 3.5) vs
    # (1, 2, 3, 4); by hand rho = 4.5 / sqrt(4.5 · 5) = 0.948683
    rho = sch.censored_spearman([4, 8, 48, 48], [5.0, 10.0, 60.0, 200.0], 48)
    assert rho == pytest.approx(4.5 / math.sqrt(4.5 * 5.0), abs=1e-12)
    # capping the predictions at 48 (the old rule) would tie them too and give exactly 1
    assert sch.censored_spearman([4, 8, 48, 48], [5.0, 10.0, 48.0, 48.0], 48) == \
        pytest.approx(1.0)
    # uncensored ties are real ties; a reversed order is -1
    assert sch.censored_spearman([16, 8, 4], [5.0, 10.0, 20.0], 48) == pytest.approx(-1.0)


def test_censored_spearman_rejects_depths_beyond_the_grid_and_flags_no_variation() -> None:
    with pytest.raises(ValueError, match="exceed"):
        sch.censored_spearman([4, 64], [1.0, 2.0], 48)
    assert math.isnan(sch.censored_spearman([48, 48, 48], [1.0, 2.0, 3.0], 48))
    assert math.isnan(sch.censored_spearman([4, 8, 16], [5.0, 5.0, 5.0], 48))


def test_boundary_accuracy_counts_cells_on_the_correct_side_without_the_reference() -> None:
    depths = (1, 2, 4, 8)
    trainable = np.array([[True, True, False, False],    # 6·xi_c = 3: expect T, F, F
                          [True, True, True, True]])     # 6·xi_c = 5: expect T, T, F
    # row 1: depth 2 ok, 4 ok, 8 ok (3 of 3); row 2: 2 ok, 4 ok, 8 wrong (2 of 3)
    assert sch.boundary_accuracy(trainable, depths, [3.0, 5.0]) == pytest.approx(5 / 6)
    # a depth equal to 6·xi_c is predicted untrainable (depth < 6·xi_c trains)
    assert sch.boundary_accuracy(np.array([[True, False]]), (1, 4), [4.0]) == 1.0


def test_scores_on_a_hand_made_experiment() -> None:
    chance, depths = 10, (1, 2, 4, 8)
    good, bad = 90, 10
    shallow = np.array([[good, good, bad, bad]] * 2)  # trains to depth 2
    deep = np.array([[good, good, good, good]] * 2)  # censored at 8
    sc = sch.scores([shallow, deep], depths, chance, [3.0, 20.0])
    assert sc.measured == [2, 8]
    assert sc.cells.tolist() == [[True, True, False, False], [True, True, True, True]]
    assert sc.rho == pytest.approx(1.0)
    assert sc.accuracy == 1.0
    # blind rules "depth <= D" over the 6 cells of depth > 1: D = 2 gets 4, D = 4 gets 4
    assert sc.blind == pytest.approx(4 / 6)
    assert sc.margin == pytest.approx(2 / 6)
    assert sc.slope == pytest.approx(math.log(4) / math.log(20 / 3))


def test_blind_rule_takes_its_best_depth() -> None:
    depths = (1, 2, 4, 8, 16)
    cells = np.array([[True, True, True, False, False],  # trains to 4
                      [True, True, True, True, False],  # to 8
                      [True, True, False, False, False]])  # to 2
    # over depths 2..16: D = 4 -> rows right in 4 + 3 + 3 = 10 of 12; D = 8 -> 3 + 4 + 2 = 9
    assert sch.blind_accuracy(cells, depths) == pytest.approx(10 / 12)
    assert sch.blind_accuracy(np.ones((2, 3), bool), (1, 2, 4)) == 1.0  # D = 4: all trainable


def test_loglog_slope_by_hand() -> None:
    predicted = [4.0, 16.0, 64.0, 30.0]
    measured = [2, 4, 8, 0]  # sqrt(predicted); the 0 is left out
    assert sch.loglog_slope(measured, predicted) == pytest.approx(0.5)
    assert math.isnan(sch.loglog_slope([4, 0], [4.0, 16.0]))  # one point
    assert math.isnan(sch.loglog_slope([4, 4], [4.0, 16.0]))  # no spread in measured


def test_cell_edges_are_geometric_midpoints() -> None:
    edges = sch._edges((1.0, 4.0, 16.0))
    assert edges == pytest.approx([0.5, 2.0, 8.0, 32.0])


def test_phase_ratios_leave_out_censored_and_zero_depths() -> None:
    sw2 = (0.5, 1.0, 1.5, 6.0, 25.0)
    measured = [8, 16, 48, 0, 10]
    predicted = [4.0, 16.0, 95.0, 30.0, 20.0]
    r = sch.phase_ratios(sw2, measured, predicted, 48)
    assert r["ordered"] == pytest.approx(math.sqrt(2.0 * 1.0))
    assert r["chaotic"] == pytest.approx(0.5)
    assert math.isnan(sch.phase_ratios((6.0,), [48], [30.0], 48)["chaotic"])


def _iv(low: float, high: float) -> Interval:
    return Interval((low + high) / 2, low, high)


@pytest.mark.parametrize(("rho", "margin", "verdict"), [
    ((0.85, 0.95), (0.02, 0.1), "holds"),
    ((0.5, 0.9), (0.02, 0.1), "holds with caveats"),  # rho short of the target
    ((0.85, 0.95), (-0.05, 0.1), "holds with caveats"),  # no better than depth alone
    ((0.85, 0.95), (-0.2, -0.1), "holds with caveats"),
    ((-0.6, 0.0), (0.02, 0.1), "does not hold"),
    ((-0.2, 0.9), (0.02, 0.1), "inconclusive"),
])
def test_rule_is_decided_by_the_intervals(rho: tuple[float, float], margin: tuple[float, float],
                                          verdict: str) -> None:
    assert sch.decide(_iv(*rho), _iv(*margin))[0] == verdict


def test_caveats_name_every_shortfall() -> None:
    why = sch.decide(_iv(0.5, 0.9), _iv(-0.05, 0.02))[1]
    assert "below the target" in why
    assert "no better than depth alone" in why


def test_the_edge_of_chaos_constant_is_theory_s() -> None:
    from depthscope.theory import critical_sigma_w

    assert float(critical_sigma_w("tanh", math.sqrt(sch.SIGMA_B2))) ** 2 == \
        pytest.approx(sch.EDGE_SIGMA_W2, abs=0.005)
