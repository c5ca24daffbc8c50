"""`depthscope study --plan`: the cost model's parts by hand, and what the walk records."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthscope.study import Context, get_profile
from depthscope.study.experiments import DEPTH_ARMS
from depthscope.study.plan import (
    Calibration,
    Rate,
    Sizes,
    flops,
    makespan,
    peak_bytes,
    record_study,
    seconds_text,
    shape_class,
    si_text,
)
from depthscope.study.recorder import RunRecorder
from depthscope.train import RunConfig


def test_lpt_schedule_and_rate_by_hand() -> None:
    # LPT puts 3 | 3, then 2 on each, then the last 2 on the first: 7 (the best is 6)
    assert makespan([2, 3, 2, 3, 2], 2) == 7
    assert makespan([2, 3, 2, 3, 2], 1) == 12
    assert makespan([5.0], 4) == 5.0
    # 10 steps x 3 layers x (0.1 x 2 groups + 0.01 x 5 members)
    assert Rate(0.1, 0.01).seconds(members=5, groups=2, depth=2, steps=10) == \
        pytest.approx(30 * 0.25)


def test_flops_and_memory_by_hand() -> None:
    cfg = RunConfig(depth=2, width=4, steps=10, batch_size=5, record_every=5,
                    optimizer="momentum")
    s = Sizes(in_features=3, classes=2, n_val=7, n_test=9)
    weights = 3 * 4 + 4 * 4 + 4 * 2  # 36
    # 6 P B per step, 2 P n_val per record (2 records), 2 P (n_val + n_test) at the end
    assert flops(cfg, s) == 2 * weights * (3 * 5 * 10 + 2 * 7 + 7 + 9)
    # 4 bytes x 3 members x (P x (weights, gradients, momentum) + 3 x 3 layers x 5 (batch)
    # x 4 (width) + 3 x 7 (validation rows, one chunk) x 4)
    assert peak_bytes([cfg] * 3, s) == 4 * 3 * (weights * 3 + 3 * 3 * 5 * 4 + 3 * 7 * 4)


def test_calibration_predicts_by_groups_and_members() -> None:
    a = RunConfig(activation="tanh", depth=3, steps=20, seed=0)
    b = a.model_copy(update={"activation": "relu", "seed": 1})
    cal = Calibration({shape_class(a): Rate(1e-3, 1e-4)}, {}, {}, {}, 0.0, 0.0)
    assert cal.batch_seconds([a, b, a.model_copy(update={"seed": 2})]) == \
        pytest.approx(20 * 4 * (1e-3 * 2 + 1e-4 * 3))
    assert seconds_text(4.21) == "4.2 s"
    assert seconds_text(42) == "42 s"
    assert seconds_text(750) == "12.5 min"
    assert seconds_text(4 * 86400) == "4.0 days"
    assert si_text(1.88e15, "FLOP") == "1.88 PFLOP"
    assert si_text(740e6, "B") == "740 MB"
    assert si_text(12.0, "B") == "12 B"


def test_the_recorder_keeps_each_run_once_and_marks_optional_stages() -> None:
    rec = RunRecorder("s")
    runs = [RunConfig(seed=s) for s in range(3)]
    rec.record("a", runs[:2])
    with rec.optional():
        rec.record("b", runs)  # only the third is new
    rec.record("c", runs[:1])  # nothing new: no stage
    assert [(s.what, len(s.configs), s.optional) for s in rec.stages] == \
        [("a", 2, False), ("b", 1, True)]


def test_the_walk_records_every_training_section_without_training(tmp_path: Path) -> None:
    ctx = Context(get_profile("test"), tmp_path / "out", tmp_path / "s.sqlite")
    stages = record_study(ctx)
    assert not (tmp_path / "s.sqlite").exists()  # nothing trained, no store
    assert ctx.recorder is None
    assert ctx.cache == {}
    sections = {s.section for s in stages}
    assert {"claim map", "claim glorot", "claim schoenholz", "claim transform"} <= sections
    p = ctx.profile
    tuning = [s for s in stages if s.section.startswith("depth sweep") and s.what == "lr tuning"]
    # the depth sweep's first tuning round: every cell x the lr grid x the tuning seeds
    cells = sum(len(p.depths) + (len(p.critical_depths) if arm == "critical" else 0)
                for _, arm in DEPTH_ARMS)
    assert len(tuning[0].configs) == cells * len(p.lr_grid) * len(p.tune_seeds)
    # the boundary checks depend on results: optional throughout
    assert all(s.optional for s in stages if s.section.startswith(("budget", "width")))
