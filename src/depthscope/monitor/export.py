"""Exporters: TensorBoard (``SummaryWriter``) and MLflow, both optional and lazily imported.

Non-finite values are never written as such (TensorBoard's histogram writer raises on nan;
MLflow backends differ): a layer's nan/inf shows as ``nonfinite/<layer> = 1`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.monitor.record import Record


def scalars(record: Record) -> Iterator[tuple[int, dict[str, float]]]:
    """Per recorded step: ``grad_norm/<layer>``, ``nonfinite/<layer>`` and ``grad_norm/global``."""
    norms = record.norms()
    total = record.global_norm()
    for r, step in enumerate(record.steps):
        out: dict[str, float] = {}
        for j, info in enumerate(record.layers):
            value = norms[r, j]
            if np.ma.is_masked(value):
                continue
            if np.isfinite(value):
                out[f"grad_norm/{info.name}"] = float(value)
            else:
                out[f"nonfinite/{info.name}"] = 1.0
        if np.isfinite(total[r]):
            out["grad_norm/global"] = float(total[r])
        yield int(step), out


def to_tensorboard(record: Record, writer: Any) -> None:
    """Write :func:`scalars` to a ``SummaryWriter`` or a log directory."""
    if isinstance(writer, (str, Path)):
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(str(writer)) as owned:
            to_tensorboard(record, owned)
        return
    for step, values in scalars(record):
        for tag, value in values.items():
            writer.add_scalar(f"depthscope/{tag}", value, step)
    writer.flush()


def to_mlflow(record: Record, run_id: str | None = None) -> None:
    """Log :func:`scalars` to MLflow (batched, 1000 metrics per request)."""
    try:
        import mlflow
        from mlflow.entities import Metric
    except ImportError:  # pragma: no cover - optional extra
        raise DepthscopeError(
            "MLflow is not installed; pip install 'depthscope[mlflow]'") from None
    run = run_id or (mlflow.active_run().info.run_id if mlflow.active_run() else None)
    if run is None:
        raise DepthscopeError(
            "no MLflow run: call inside `with mlflow.start_run():` or pass run_id")
    client = mlflow.MlflowClient()
    batch: list[Any] = []
    for step, values in scalars(record):
        for key, value in values.items():
            batch.append(Metric(f"depthscope/{key}", value, 0, step))
            if len(batch) == 1000:
                client.log_batch(run, metrics=batch)
                batch = []
    if batch:
        client.log_batch(run, metrics=batch)
