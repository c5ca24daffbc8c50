"""Sweeps: a spec file names a grid of runs; the planner batches them; an executor (local or
Ray) trains them; every result lands in the store, and re-running a spec resumes it.

    >>> from depthscope.sweep import run_sweep
    >>> runs = run_sweep("examples/sweep_quick.yaml", progress=False)  # doctest: +SKIP
"""

from depthscope.sweep.executors import (
    BatchOutcome,
    Executor,
    LocalExecutor,
    Trainer,
    chance_accuracy,
    run_batch,
)
from depthscope.sweep.planner import Batch, plan
from depthscope.sweep.ray_executor import RayExecutor
from depthscope.sweep.run import resolve, run_sweep
from depthscope.sweep.spec import (
    AXES,
    ActivationChoice,
    SpecError,
    SweepSpec,
    load_spec,
    parse_spec,
)
from depthscope.sweep.summary import MARGIN, trainability, trainable

__all__ = [
    "AXES",
    "MARGIN",
    "ActivationChoice",
    "Batch",
    "BatchOutcome",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "SpecError",
    "SweepSpec",
    "Trainer",
    "chance_accuracy",
    "load_spec",
    "parse_spec",
    "plan",
    "resolve",
    "run_batch",
    "run_sweep",
    "trainability",
    "trainable",
]
