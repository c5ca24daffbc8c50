"""Exporters: TensorBoard, CSV (both also live, while training) and MLflow; lazily imported.

Non-finite values are never written as such (TensorBoard's histogram writer raises on nan;
MLflow backends differ): a layer's nan/inf shows as ``nonfinite/<layer> = 1`` instead.
Findings go to TensorBoard as text (``depthscope/findings``) and to CSV as rows of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.monitor.diagnose import Finding
from depthscope.monitor.probes import PROBE_STATS
from depthscope.monitor.record import Record


def scalars(record: Record) -> Iterator[tuple[int, dict[str, float]]]:
    """Per recorded step: ``grad_norm/<layer>``, ``nonfinite/<layer>``,
    ``grad_norm/global``, ``update_ratio/<layer>`` (where measured) and ``loss`` (where
    observed); per sampled step: ``activation/<stat>/<call site>``."""
    norms = record.norms()
    total = record.global_norm()
    updates = record.stat("update_ratio")
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
            if np.isfinite(updates[r, j]):
                out[f"update_ratio/{info.name}"] = float(updates[r, j])
        if np.isfinite(total[r]):
            out["grad_norm/global"] = float(total[r])
        if record.loss.size and np.isfinite(record.loss[r]):
            out["loss"] = float(record.loss[r])
        yield int(step), out
    for r, step in enumerate(record.probe_steps):
        yield int(step), {
            f"activation/{stat}/{name}": float(record.probes[r, j, k])
            for j, name in enumerate(record.probe_names)
            for k, stat in enumerate(PROBE_STATS) if np.isfinite(record.probes[r, j, k])
        }


def finding_text(finding: Finding) -> str:
    """A finding as Markdown (TensorBoard's text plugin renders it)."""
    return f"**{finding.severity}** ({finding.kind}): {finding.message}\n\nfix: {finding.fix}"


def to_tensorboard(record: Record, writer: Any, findings: list[Finding] = ()) -> None:
    """Write :func:`scalars` and ``findings`` to a ``SummaryWriter`` or a log directory."""
    if isinstance(writer, (str, Path)):
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(str(writer)) as owned:
            to_tensorboard(record, owned, findings)
        return
    for step, values in scalars(record):
        for tag, value in values.items():
            writer.add_scalar(f"depthscope/{tag}", value, step)
    for finding in findings:
        writer.add_text("depthscope/findings", finding_text(finding), finding.first_step)
    writer.flush()


class LiveLog:
    """Writes each flushed slice of a watch as it arrives: to TensorBoard (a ``SummaryWriter``
    or a log directory) and/or to CSV files: ``<csv>`` (gradient rows),
    ``<stem>.activations.csv`` and ``<stem>.findings.csv`` beside it (files of those names
    from an earlier run are replaced when the watch starts)."""

    def __init__(self, tensorboard: Any = None, csv: str | Path | None = None) -> None:
        self._owned = isinstance(tensorboard, (str, Path))
        if tensorboard is not None and not (self._owned or hasattr(tensorboard, "add_scalar")):
            raise DepthscopeError(f"tensorboard must be a SummaryWriter or a log directory, "
                                  f"got {type(tensorboard).__name__}")
        if self._owned:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # pragma: no cover - optional extra
                raise DepthscopeError("TensorBoard is not installed; "
                                      "pip install 'depthscope[tensorboard]'") from None
            tensorboard = SummaryWriter(str(tensorboard))
        self.writer = tensorboard
        self.csv = self._csv_paths(csv) if csv is not None else None

    @staticmethod
    def _csv_paths(csv: str | Path) -> dict[str, Path]:
        path = Path(csv)
        if path.suffix != ".csv" or path.is_dir() or not path.parent.is_dir():
            raise DepthscopeError(f"csv must name a .csv file in an existing folder, got "
                                  f"'{csv}'; e.g. csv='runs/grads.csv'")
        stem = path.with_suffix("")
        paths = {"gradients": path, "activations": Path(f"{stem}.activations.csv"),
                 "findings": Path(f"{stem}.findings.csv")}
        for p in paths.values():
            p.unlink(missing_ok=True)  # a new watch starts new files
        return paths

    @property
    def active(self) -> bool:
        return self.writer is not None or self.csv is not None

    def write(self, record: Record, findings: list[Finding]) -> None:
        """Append ``record``'s rows and the newly raised ``findings``."""
        if self.writer is not None:
            to_tensorboard(record, self.writer, findings)
        if self.csv is not None:
            import pandas as pd

            from depthscope.monitor.report import to_dataframe

            for kind in ("gradients", "activations"):
                frame = to_dataframe(record, kind)
                if len(frame):
                    path = self.csv[kind]
                    frame.to_csv(path, mode="a", header=not path.exists(), index=False)
            if findings:
                path = self.csv["findings"]
                frame = pd.DataFrame([{"step": f.first_step, "kind": f.kind,
                                       "severity": f.severity, "layers": " ".join(f.layers),
                                       "message": f.message, "fix": f.fix} for f in findings])
                frame.to_csv(path, mode="a", header=not path.exists(), index=False)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()
            if self._owned:
                self.writer.close()
            self.writer = None


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
