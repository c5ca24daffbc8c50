"""The Schoenholz section's relative trainability on a hand-made table of runs."""

from __future__ import annotations

import pandas as pd
import pytest

from depthscope.study.experiments import threshold, trainable


def _runs() -> pd.DataFrame:
    rows = [  # dataset, label, init, depth, best_val, chance, status
        ("easy", "tanh", "a", 1, 0.90, 0.10, "finished"),
        ("easy", "tanh", "a", 8, 0.40, 0.10, "finished"),
        ("hard", "tanh", "a", 1, 0.30, 0.10, "finished"),
        ("hard", "tanh", "a", 8, 0.21, 0.10, "finished"),
        ("hard", "tanh", "b", 8, 0.90, 0.10, "diverged"),
    ]
    cols = ["dataset", "label", "init", "depth", "best_val_accuracy", "chance_accuracy",
            "status"]
    return pd.DataFrame(rows, columns=cols)


def test_threshold_is_half_way_from_chance_to_the_best_reached() -> None:
    runs = _runs()
    assert threshold(runs, "easy") == pytest.approx(0.10 + 0.5 * (0.90 - 0.10))
    # the diverged run's 0.9 still counts as reached (its best before diverging)
    assert threshold(runs, "hard") == pytest.approx(0.10 + 0.5 * (0.90 - 0.10))
    assert trainable(runs).tolist() == [True, False, False, False, False]
