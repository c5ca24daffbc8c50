"""One machine, two training thread counts: the test profile's training claims decide alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthscope.study import Context, get_profile, run_study

TRAINING_CLAIMS = ["8", "9", "glorot"]  # the depth sweep (momentum SGD) and plain SGD


@pytest.mark.slow
def test_verdicts_do_not_depend_on_the_training_thread_count(tmp_path: Path) -> None:
    verdicts, threads = [], []
    for n in (1, 2):
        profile = get_profile("test").model_copy(update={"train_threads": n})
        ctx = Context(profile, tmp_path / f"out{n}", tmp_path / f"runs{n}.sqlite", workers=1)
        results, paths = run_study(ctx, only=TRAINING_CLAIMS)
        verdicts.append({r.id: r.verdict for r in results})
        threads.append(paths["setup"]["training"])
    assert verdicts[0] == verdicts[1]
    assert all(v not in ("failed", "not evaluated") for v in verdicts[0].values()), verdicts[0]
    assert threads == ["1 processes × 1 torch thread(s)", "1 processes × 2 torch thread(s)"]
