"""Trainable or not: the study protocol's rule per run, and a table per activation × depth.

One definition of **trainable** for the study and for sweeps (the study protocol's rule 2,
:mod:`depthscope.study.protocol`), in integers, on the test split:

    2·correct ≥ chance + ref,

``correct`` the run's correct test predictions, ``chance`` the count of the test split's most
frequent class, ``ref`` the median ``correct`` of the depth-1 net of the same kind (every
setting but depth and seed equal); when that depth-1 net learned nothing (``ref ≤ chance``) no
run of its kind trains. A sweep group without a depth-1 net has no reference: its runs are
judged by the fallback ``best_val_accuracy ≥ chance + margin · (1 − chance)`` (``margin``
one half by default), and the table says so in its ``rule`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

MARGIN = 0.5
# every setting of a run but depth and seed: runs equal in these are of one kind
KIND = ("dataset", "activation", "activation_params", "width", "init", "sigma_w", "sigma_b",
        "readout", "optimizer", "lr", "momentum", "batch_size", "steps", "record_every")


def correct_counts(runs: pd.DataFrame) -> pd.Series:
    """Correct test predictions per run (the rule's integers); a run that did not finish
    (diverged) predicts nothing."""
    correct = np.rint(runs["test_accuracy"].fillna(0.0) * runs["test_examples"])
    return correct.where(runs["status"] == "finished", 0).astype(np.int64)


def twice_median(values: np.ndarray) -> int:
    """``2 × median`` of integers, exactly (an integer even for an even count)."""
    v = np.sort(np.asarray(values, dtype=np.int64))
    n = v.size
    return int(2 * v[n // 2]) if n % 2 else int(v[n // 2 - 1] + v[n // 2])


def passes(correct: np.ndarray, chance: int, twice_ref: int) -> np.ndarray:
    """The rule, ``4·correct ≥ 2·chance + twice_ref`` elementwise (integers, no float ties)."""
    return 4 * np.asarray(correct, dtype=np.int64) >= 2 * chance + twice_ref


def run_trains(correct: np.ndarray, chance: int) -> np.ndarray:
    """The rule per run of a (seeds, depths) matrix whose first column is depth 1 (all False
    when the depth-1 net itself learned nothing)."""
    twice_ref = twice_median(correct[:, 0])
    if twice_ref <= 2 * chance:
        return np.zeros(correct.shape, bool)
    return passes(correct, chance, twice_ref)


def _margin(runs: pd.DataFrame, margin: float) -> pd.Series:
    chance = runs["chance_accuracy"]
    ok = (runs["status"] == "finished") & (runs["best_val_accuracy"]
                                           >= chance + margin * (1.0 - chance))
    return ok.fillna(False).astype(bool)


def judged(runs: pd.DataFrame, margin: float = MARGIN) -> pd.DataFrame:
    """Per run: ``trainable`` (bool) and ``rule`` (``"protocol"`` where its kind has a
    depth-1 net in ``runs``, else ``"margin"``); see the module docstring."""
    out = runs[[]].assign(trainable=_margin(runs, margin), rule="margin")
    if runs.empty or not {"test_accuracy", "test_examples", "test_chance_hits"} <= set(runs):
        return out
    correct = correct_counts(runs)
    keys = [k for k in KIND if k in runs]
    for _, kind in runs.groupby(keys, dropna=False, sort=False):
        ref = kind.index[kind["depth"] == 1]
        if ref.empty or kind["test_chance_hits"].isna().any():
            continue
        chance, twice_ref = int(kind["test_chance_hits"].iloc[0]), twice_median(correct[ref])
        ok = passes(correct[kind.index], chance, twice_ref) & (twice_ref > 2 * chance)
        out.loc[kind.index, "trainable"] = ok
        out.loc[kind.index, "rule"] = "protocol"
    return out


def trainable(runs: pd.DataFrame, margin: float = MARGIN) -> pd.Series:
    """Boolean per run (see the module docstring); runs not yet stored count as False."""
    return judged(runs, margin)["trainable"].astype(bool)


def trainability(runs: pd.DataFrame, margin: float = MARGIN,
                 by: Sequence[str] = ("label", "depth")) -> pd.DataFrame:
    """Per group: ``runs``, ``trainable`` (count), ``fraction``, ``median_best_val`` and the
    ``rule`` that judged them (``protocol``, ``margin`` or ``mixed``)."""
    frame = runs.assign(**judged(runs, margin))
    grouped = frame.groupby(list(by), sort=True)
    table = grouped.agg(runs=("run_id", "size"), trainable=("trainable", "sum"),
                        median_best_val=("best_val_accuracy", "median"),
                        rule=("rule", lambda r: r.iloc[0] if r.nunique() == 1 else "mixed"))
    table["fraction"] = table["trainable"] / table["runs"]
    return table.reset_index()
