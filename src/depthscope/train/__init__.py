"""Training: run configs (:class:`RunConfig`) and the batched ensemble trainer."""

from depthscope.train.config import Optimizer, RunConfig, RunResult, Status
from depthscope.train.ensemble import batch_schedule, train_ensemble

__all__ = ["Optimizer", "RunConfig", "RunResult", "Status", "batch_schedule", "train_ensemble"]
