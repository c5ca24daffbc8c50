"""The training protocol of the study's depth claims: learning-rate selection and trainability.

Printed in the report beside each verdict. Rules 1-5 since 2026-12-02 (f131c98; whether
before the first run is not recorded), rule 1's tie-break revised on 2026-12-05 after runs
showed near ties deciding the grid step, rule 6 written on 2026-12-05 before its first run
(:mod:`depthscope.study.rules` keeps each claim's changelog):

1. **Learning rate.** For each cell (data set, activation, init, depth) the lr is chosen from a
   log grid (factor √10) on the *validation* split of separate tuning seeds: the *smallest* lr
   whose mean final validation accuracy is within :data:`LR_TIE` (one point) of the best lr's,
   so that a near tie, which float rounding (thread count, ISA) can turn either way, does not
   decide the step of the grid. When the chosen lr is the grid's smallest or largest, the grid
   is extended by one step on that side (at most :data:`MAX_EXTENSIONS` times); a cell still
   on the edge after that is flagged. The chosen lr is then trained with fresh evaluation
   seeds, and only their *test* split is used for verdicts (selection and evaluation never
   share a run).
2. **Trainable** (absolute, per run, integers only): ``2·correct ≥ chance + ref``, where
   ``correct`` is the run's number of correct test predictions, ``chance`` the count of the
   test split's most frequent class, and ``ref`` the median ``correct`` of the depth-1 net of
   the same activation and init (at its own tuned lr): the run keeps at least half of the gap
   from chance to what a one-hidden-layer net of its kind reaches. Medians of an even number of
   seeds are half-integers, so the rule is evaluated as ``4·correct ≥ 2·chance + 2·ref``.
   Defined once, in :mod:`depthscope.sweep.summary`, whose sweep tables use it too.
3. **Trainable depth** of an arm: the deepest depth at which at least half of the evaluation
   seeds are trainable (0 if none). A run that fails rule 2 while its training loss still
   falls (rule 6) is *censored*, not failed: its budget ended before it converged. The
   arm's *reach* is the deepest depth at which at least half of the seeds train or are
   censored (fewer than half failed); without censored runs it equals the trainable depth.
   The 95 % interval runs from the 2.5 % quantile of the trainable depth's bootstrap values
   to the 97.5 % quantile of the reach's, from resampling the seeds
   (:mod:`depthscope.study.stats`), the depth-1 reference recomputed in every resample, so a
   depth that more training might reach stays inside the interval.
4. **Learnable data set**: the best arm's depth-1 median test accuracy closes at least half of
   the gap from chance to 100 % (``2·ref ≥ chance + n``); other data sets are shown, not used
   for verdicts.
5. **Plateau**: a depth-1 net has reached its plateau when its median validation accuracy
   improved by at most :data:`PLATEAU_GAIN` over the last third of training.
6. **Converged** (rule of 2026-12-05, fixed before its first run): a run's training loss has
   converged when the mean of its recorded (minibatch) training losses over the last third
   of training is at most :data:`LOSS_FALL` (5 %) below their mean over the middle third;
   a diverged run counts as failed, never censored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from depthscope.study import stats
from depthscope.sweep.summary import passes, run_trains, twice_median

__all__ = ["passes", "run_trains", "twice_median"]  # rule 2, defined with the runs (sweeps too)

LR_STEP = math.sqrt(10.0)  # grid spacing: two points per decade
MAX_EXTENSIONS = 2  # grid extensions per cell when the best lr sits on an edge
PLATEAU_GAIN = 0.02  # validation-accuracy gain over the last third that still counts as flat
#: mean validation accuracies this close to the best count as tied (rule 1: the smallest lr)
LR_TIE = 0.01
#: rule 6: relative fall of the training loss, middle third → last third, that still counts
#: as converged
LOSS_FALL = 0.05


def select_lr(lrs: Sequence[float], val_accuracy: Sequence[float]) -> float:
    """Rule 1: the smallest lr whose mean validation accuracy is within :data:`LR_TIE` of the
    highest; inputs are one value per tuning run (a diverged run, nan, scores 0)."""
    scores: dict[float, list[float]] = {}
    for lr, acc in zip(lrs, val_accuracy, strict=True):
        scores.setdefault(float(lr), []).append(acc if math.isfinite(acc) else 0.0)
    means = {lr: float(np.mean(accs)) for lr, accs in scores.items()}
    best = max(means.values())
    return min(lr for lr, mean in means.items() if mean >= best - LR_TIE)


def extension(grid: Sequence[float], chosen: float) -> float | None:
    """The lr one grid step beyond ``chosen`` if it is the grid's smallest or largest."""
    lo, hi = min(grid), max(grid)
    if chosen == hi:
        return hi * LR_STEP
    if chosen == lo:
        return lo / LR_STEP
    return None


def trainable_by_depth(correct: np.ndarray, chance: int) -> np.ndarray:
    """Per depth (columns of a (seeds, depths) matrix of correct counts whose first column is
    depth 1): at least half of the seeds pass rule 2 against the depth-1 median; no depth
    trains when the depth-1 net itself learned nothing."""
    return _majority(run_trains(correct, chance))


def _majority(ok: np.ndarray) -> np.ndarray:
    """Per column: at least half of the rows are True."""
    return 2 * ok.sum(0) >= ok.shape[0]


def _deepest(depths: Sequence[int], enough: np.ndarray) -> int:
    return int(max((d for d, e in zip(depths, enough, strict=True) if e), default=0))


def _check_depths(depths: Sequence[int]) -> None:
    if depths[0] != 1:
        raise ValueError("the first depth must be 1 (the reference net)")


def trainable_depth(correct: np.ndarray, depths: Sequence[int], chance: int) -> int:
    """Rule 3 on a (seeds, depths) matrix of correct counts whose first column is depth 1."""
    _check_depths(depths)
    return _deepest(depths, trainable_by_depth(correct, chance))


def run_states(correct: np.ndarray, converged: np.ndarray, chance: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(trains, censored)`` per run of a (seeds, depths) matrix whose first column is depth
    1: rule 2, and not trainable while the training loss had not converged (rule 6)."""
    trains = run_trains(correct, chance)
    return trains, ~trains & ~np.asarray(converged, bool)


def depth_bounds(trains: np.ndarray, censored: np.ndarray, depths: Sequence[int]
                 ) -> tuple[int, int]:
    """Rule 3 on per-run states (seeds, depths): ``(trainable depth, reach)``; a run is
    trainable (``trains``), censored (not trainable, ``censored``) or failed (neither)."""
    _check_depths(depths)
    open_ = trains | censored
    return _deepest(depths, _majority(trains)), _deepest(depths, _majority(open_))


def depth_distribution(correct: np.ndarray, depths: Sequence[int], chance: int) -> np.ndarray:
    """Bootstrap values of :func:`trainable_depth` over the seeds (rows)."""
    return stats.distribution(
        [correct.shape[0]], lambda idx: trainable_depth(correct[idx], depths, chance))


def bounds_interval(estimate: float, draws: np.ndarray) -> stats.Interval:
    """Rule 3's interval from bootstrap ``draws`` (2, resamples) of (trainable depth, reach):
    the trainable depth's 2.5 % quantile to the reach's 97.5 % quantile."""
    tail = 100 * (1 - stats.LEVEL) / 2
    return stats.Interval(float(estimate), float(np.percentile(draws[0], tail)),
                          float(np.percentile(draws[1], 100 - tail)))


def learnable(twice_ref: int, chance: int, n: int) -> bool:
    """Rule 4: ``2·ref ≥ chance + n`` (half of the way from chance to perfect)."""
    return twice_ref >= chance + n


def plateaued(steps: np.ndarray, val_accuracy: np.ndarray, total_steps: int) -> bool:
    """Rule 5 on one median validation curve (steps ascending)."""
    if steps.size < 2:
        return False
    before = val_accuracy[steps <= total_steps * 2 / 3]
    start = before[-1] if before.size else val_accuracy[0]
    return bool(val_accuracy[-1] - start <= PLATEAU_GAIN)


def loss_converged(steps: np.ndarray, train_loss: np.ndarray, total_steps: int) -> bool:
    """Rule 6 on one run's recorded training losses (steps ascending): the mean over the last
    third of training (``step > 2T/3``) is at most :data:`LOSS_FALL` below the mean over the
    middle third (``T/3 < step <= 2T/3``); a curve without records in both thirds, or with a
    non-finite loss, has not converged (the caller treats a diverged run as failed)."""
    steps, loss = np.asarray(steps, float), np.asarray(train_loss, float)
    middle = loss[(steps > total_steps / 3) & (steps <= total_steps * 2 / 3)]
    last = loss[steps > total_steps * 2 / 3]
    if middle.size == 0 or last.size == 0 or not np.isfinite(loss).all():
        return False
    before, after = float(middle.mean()), float(last.mean())
    return before - after <= LOSS_FALL * abs(before)
