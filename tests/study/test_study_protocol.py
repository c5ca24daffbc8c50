"""The depth claims' protocol: lr selection and grid extension, absolute trainability."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from depthscope.study import experiments, protocol
from depthscope.study.context import Context
from depthscope.study.profiles import get_profile


def test_select_lr_takes_the_smallest_within_one_point_of_the_best() -> None:
    lrs = [0.01, 0.01, 0.1, 0.1, 1.0, 1.0]
    # means 0.55, 0.85, 0.15: a clear winner
    assert protocol.select_lr(lrs, [0.5, 0.6, 0.9, 0.8, 0.2, 0.1]) == 0.1
    assert protocol.select_lr(lrs, [0.5] * 6) == 0.01  # an exact tie: the smallest
    # means 0.845 and 0.85: within one point, so the smaller lr, whichever is ahead
    assert protocol.select_lr(lrs, [0.84, 0.85, 0.9, 0.8, 0.2, 0.1]) == 0.01
    assert protocol.select_lr(lrs, [0.86, 0.85, 0.9, 0.8, 0.2, 0.1]) == 0.01
    # means 0.835 and 0.85: 1.5 points apart, the better one
    assert protocol.select_lr(lrs, [0.83, 0.84, 0.9, 0.8, 0.2, 0.1]) == 0.1
    # a diverged run (nan) scores as zero accuracy
    assert protocol.select_lr([0.1, 1.0], [0.5, float("nan")]) == 0.1
    assert protocol.select_lr([0.1, 1.0, 1.0], [0.3, 0.9, float("nan")]) == 1.0  # 0.45 > 0.3


def test_extension_steps_beyond_the_edge_only() -> None:
    grid = (0.01, 0.0316, 0.1)
    assert protocol.extension(grid, 0.1) == pytest.approx(0.1 * 10**0.5)
    assert protocol.extension(grid, 0.01) == pytest.approx(0.01 / 10**0.5)
    assert protocol.extension(grid, 0.0316) is None


def test_twice_median_is_exact() -> None:
    assert protocol.twice_median(np.array([3, 1, 2])) == 4
    assert protocol.twice_median(np.array([1, 2, 4, 3])) == 5  # median 2.5


def test_trainable_rule_in_integers_with_ties() -> None:
    # chance 20, ref 100: trainable iff correct >= 60 (exactly on the threshold counts)
    assert protocol.passes(np.array([59, 60, 61]), 20, 200).tolist() == [False, True, True]
    # ref 99.5 (even count of seeds): threshold 59.75, so 59 fails and 60 passes
    assert protocol.passes(np.array([59, 60]), 20, 199).tolist() == [False, True]


def test_trainable_depth_on_hand_made_tables() -> None:
    depths = (1, 2, 4, 8)
    chance = 20
    # ref = median(100, 100, 90, 100) = 100 -> threshold 60
    correct = np.array([[100, 80, 60, 30],
                        [100, 70, 59, 65],
                        [90, 61, 20, 61],
                        [100, 20, 20, 20]])
    # depth 4: 1 of 4 (< half); depth 8: 2 of 4 (exactly half counts) -> 8
    assert protocol.trainable_depth(correct, depths, chance) == 8
    # a depth-1 net at chance learned nothing: nothing trains
    assert protocol.trainable_depth(np.full((3, 4), chance), depths, chance) == 0
    with pytest.raises(ValueError, match="depth must be 1"):
        protocol.trainable_depth(correct, (2, 4, 8, 16), chance)


def test_trainable_depth_interval_from_seeds() -> None:
    depths = (1, 2, 4)
    sure = np.array([[100, 90, 90]] * 5)
    dist = protocol.depth_distribution(sure, depths, 10)
    assert set(dist) == {4.0}
    split = np.array([[100, 90, 90]] * 3 + [[100, 90, 10]] * 2)
    dist = protocol.depth_distribution(split, depths, 10)
    assert set(dist) == {2.0, 4.0}  # resamples with a majority of failing seeds give 2


def test_depth_bounds_count_censored_runs_only_in_the_reach() -> None:
    depths = (1, 2, 4, 8)
    t, f = True, False
    trains = np.array([[t, t, f, f], [t, t, f, f], [t, f, f, f], [t, t, f, f]])
    # depth 4: 2 of 4 censored (half: not failed); depth 8: 1 of 4 (3 failed)
    censored = np.array([[f, f, t, t], [f, f, t, f], [f, f, f, f], [f, f, f, f]])
    assert protocol.depth_bounds(trains, censored, depths) == (2, 4)
    assert protocol.depth_bounds(trains, np.zeros_like(censored), depths) == (2, 2)
    # states from counts: rule 2 first, then censoring only where rule 2 fails
    correct = np.array([[100, 80, 20], [100, 80, 20]])
    converged = np.array([[True, False, False], [True, True, True]])
    trains, censored = protocol.run_states(correct, converged, 20)
    assert trains.tolist() == [[True, True, False], [True, True, False]]
    assert censored.tolist() == [[False, False, True], [False, False, False]]


def test_bounds_interval_takes_the_depths_low_end_and_the_reachs_high_end() -> None:
    draws = np.array([[2.0] * 50 + [4.0] * 50, [4.0] * 90 + [8.0] * 10])
    iv = protocol.bounds_interval(2, draws)
    assert (iv.estimate, iv.low, iv.high) == (2, 2, 8)


def test_loss_converged_compares_the_last_third_with_the_middle_third() -> None:
    steps = np.array([0, 30, 60, 90, 120, 150, 180, 199])  # T = 200: middle 90, 120
    flat = np.array([2.3, 2.3, 2.3, 2.31, 2.29, 2.3, 2.28, 2.3])
    assert protocol.loss_converged(steps, flat, 200)
    # means 2.0 -> 1.91: a fall of 4.5 % counts as converged, 5.5 % (1.89) does not
    edge = np.array([2.3, 2.2, 2.1, 2.0, 2.0, 1.91, 1.91, 1.91])
    assert protocol.loss_converged(steps, edge, 200)
    falling = np.array([2.3, 2.2, 2.1, 2.0, 2.0, 1.89, 1.89, 1.89])
    assert not protocol.loss_converged(steps, falling, 200)
    # a loss that rises has converged (it does not fall); no records in a third, or nan: not
    assert protocol.loss_converged(steps, flat[::-1] + np.arange(8), 200)
    assert not protocol.loss_converged(np.array([0, 199]), np.array([2.3, 2.3]), 200)
    assert not protocol.loss_converged(steps, np.r_[flat[:-1], np.nan], 200)


def test_trainability_by_depth_follows_protocol_rule_2_against_the_depth_1_median() -> None:
    chance = 10
    # depth-1 counts 90 and 94 (2·median = 184): rule 2 needs 4·c ≥ 20 + 184, i.e. c ≥ 51
    correct = np.array([[90, 51, 50, 12],
                        [94, 60, 49, 80]])
    assert protocol.trainable_by_depth(correct, chance).tolist() == [True, True, False, True]
    # a depth-1 net at chance trains nothing
    assert not protocol.trainable_by_depth(np.array([[10, 90], [10, 90]]), chance).any()


def test_learnable_and_plateau() -> None:
    assert protocol.learnable(twice_ref=2 * 55, chance=10, n=100)
    assert not protocol.learnable(twice_ref=2 * 54, chance=10, n=100)
    steps = np.array([0, 100, 200, 299])
    assert protocol.plateaued(steps, np.array([0.1, 0.8, 0.90, 0.91]), 300)
    assert not protocol.plateaued(steps, np.array([0.1, 0.5, 0.6, 0.7]), 300)


def test_tuning_extends_the_grid_at_its_edge(tmp_path, monkeypatch) -> None:
    """Validation accuracy peaks at lr = 1 (above the grid): two extensions, still flagged."""
    ctx = Context(get_profile("test"), tmp_path, tmp_path / "s.sqlite")
    seen: list[set[float]] = []

    def fake_run(ctx, configs, metrics=None):
        seen.append({c.lr for c in configs})
        rows = [{"run_id": c.run_id, "val_accuracy": 1 - abs(np.log10(c.lr)) / 10,
                 "train_loss": 1.0} for c in configs]
        return pd.DataFrame(rows), None

    monkeypatch.setattr(experiments, "run", fake_run)
    cell = ("digits", "tanh", "standard", 1)
    chosen, grid, edge = experiments.tune(ctx, [cell], partial(experiments._config, ctx))
    step = protocol.LR_STEP
    assert grid[cell] == pytest.approx((0.03, 0.1, 0.1 * step, 0.1 * step**2))
    assert chosen[cell] == pytest.approx(0.1 * step**2)
    assert edge[cell]
    assert len(seen) == protocol.MAX_EXTENSIONS + 1
    # another starting grid (the Glorot section's), extended the same way
    chosen, grid, _ = experiments.tune(ctx, [cell], partial(experiments._config, ctx), (0.01,))
    assert grid[cell] == pytest.approx((0.01, 0.01 * step, 0.01 * step**2))


def test_critical_arm_is_non_degenerate() -> None:
    """sigma_b^2 = 0.05 (q* > 0) for odd activations; ReLU-like ones get (0, sqrt 2)."""
    from depthscope.theory import depth_scales

    sigma_w, sigma_b, note = experiments.critical_point("tanh")
    assert sigma_b**2 == pytest.approx(0.05)
    assert sigma_w**2 == pytest.approx(1.76, abs=0.01)  # Schoenholz et al. 2017
    assert note == ""
    assert depth_scales("tanh", sigma_w, sigma_b).q_star > 0.1
    assert experiments.critical_point("relu")[:2] == pytest.approx((2**0.5, 0.0))
    fields = experiments.arm_init("sigmoid", "critical")
    assert fields["readout"] == "standard"
