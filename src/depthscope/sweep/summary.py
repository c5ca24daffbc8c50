"""Trainable or not: a verdict per run and a table per activation × depth.

A run is **trainable** when it did not diverge and its best validation accuracy closed at
least ``margin`` (default one half) of the gap between chance and perfect accuracy:

    best_val_accuracy ≥ chance + margin · (1 − chance),

with ``chance`` the accuracy of always predicting the most frequent class. On ``digits``
(10 balanced classes, chance ≈ 0.1) the default threshold is ≈ 0.55.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MARGIN = 0.5


def trainable(runs: pd.DataFrame, margin: float = MARGIN) -> pd.Series:
    """Boolean per run (see the module docstring); runs not yet stored count as False."""
    chance = runs["chance_accuracy"]
    threshold = chance + margin * (1.0 - chance)
    ok = (runs["status"] == "finished") & (runs["best_val_accuracy"] >= threshold)
    return ok.fillna(False).astype(bool)


def trainability(runs: pd.DataFrame, margin: float = MARGIN,
                 by: Sequence[str] = ("label", "depth")) -> pd.DataFrame:
    """Per group: ``runs``, ``trainable`` (count), ``fraction`` and ``median_best_val``."""
    frame = runs.assign(trainable=trainable(runs, margin))
    grouped = frame.groupby(list(by), sort=True)
    table = grouped.agg(runs=("run_id", "size"), trainable=("trainable", "sum"),
                        median_best_val=("best_val_accuracy", "median"))
    table["fraction"] = table["trainable"] / table["runs"]
    return table.reset_index()
