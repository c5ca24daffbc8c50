"""Training: run configs (:class:`RunConfig`) and the batched ensemble trainer."""

from depthscope.train.config import Optimizer, Output, RunConfig, RunResult, Status
from depthscope.train.ensemble import batch_schedule, train_ensemble

__all__ = ["Optimizer", "Output", "RunConfig", "RunResult", "Status", "batch_schedule",
           "train_ensemble"]
