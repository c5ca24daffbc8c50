"""A fake ensemble trainer with known answers, for sweep tests (instant and deterministic).

Known answers: a run reaches best validation accuracy 0.95 if its activation is ``relu`` or
its depth is at most 4, else 0.12; it diverges at step 1 if ``lr >= 1``. It records
``grad_norm = 0.5 ** (depth - layer)`` for every hidden layer and ``loss = 1 / (1 + step)``
(layer -1) at steps 0, record_every, ..., steps. The fake dataset has 10 balanced classes
(chance accuracy 0.1).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import torch

from depthscope.errors import DepthscopeError
from depthscope.train.config import RunConfig, RunResult


def fake_load(name: str, *, seed: int = 0) -> SimpleNamespace:
    labels = torch.arange(10).repeat(3)  # (30,) balanced: chance 0.1
    return SimpleNamespace(name=name, val=SimpleNamespace(y=labels),
                           train=SimpleNamespace(y=labels))


def best_val(config: RunConfig) -> float:
    return 0.95 if config.activation == "relu" or config.depth <= 4 else 0.12


def series_rows(config: RunConfig) -> list[tuple[int, int, str, float]]:
    steps = range(0, config.steps + 1, config.record_every)
    return ([(s, layer, "grad_norm", 0.5 ** (config.depth - layer))
             for s in steps for layer in range(config.depth)]
            + [(s, -1, "loss", 1.0 / (1 + s)) for s in steps])


def _first(marker: str) -> bool:
    """Create ``marker`` atomically; True for the one caller that created it."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True


def fake_train(configs: Sequence[RunConfig], dataset: object, *, device: str = "cpu",
               dtype: torch.dtype = torch.float32, progress: object = None,
               log: str | None = None, sleep: float = 0.0, crash_once: str | None = None,
               raise_once: str | None = None) -> list[RunResult]:
    """The fake trainer. ``progress(k)`` is called after each of the
    ``steps`` fake steps. ``log``: append one line of run ids per call; ``sleep``: seconds
    per call; ``crash_once``/``raise_once``: marker file; the one call that creates it
    (atomically, as concurrent workers race) SIGKILLs its own process / raises RuntimeError."""
    assert len({c.shape_key() for c in configs}) == 1, "one shape per batch"
    if log:
        with open(log, "a") as fh:
            fh.write(",".join(c.run_id for c in configs) + "\n")
    for marker, action in ((crash_once, "crash"), (raise_once, "raise")):
        if marker and _first(marker):
            if action == "crash":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError("injected failure")
    time.sleep(sleep)
    if progress is not None:
        for k in range(1, configs[0].steps + 1):
            progress(k)
    results = []
    for c in configs:
        if c.dataset == "broken":
            raise DepthscopeError("broken: no such dataset")
        diverged = c.lr >= 1
        results.append(RunResult(
            config=c, status="diverged" if diverged else "finished",
            diverged_step=1 if diverged else None,
            summary={"best_val_accuracy": best_val(c), "train_loss": 0.1 * c.depth},
            series=series_rows(c)))
    return results


def calls(log: str) -> list[list[str]]:
    """Run ids of each logged trainer call."""
    text = Path(log).read_text() if Path(log).exists() else ""
    return [line.split(",") for line in text.splitlines()]
