"""``RunConfig`` (one training run) and ``RunResult`` (what the ensemble trainer returns).

A run is fully described by its config; ``run_id`` is a hash of the canonical JSON, so a
sweep that meets a finished ``run_id`` in the store skips it (resume).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from depthscope.nets.spec import InitName, MLPSpec

Optimizer = Literal["sgd", "momentum", "adam"]
#: what the read-out's logits z feed: ``softmax`` cross-entropy, or per-class ``sigmoid``
#: outputs sigma(z) trained on squared error to one-hot targets (``train.ensemble``)
Output = Literal["softmax", "sigmoid"]
Status = Literal["finished", "diverged"]


class RunConfig(BaseModel):
    """Everything that determines one training run (given the depthscope version).

    The net (``activation``, ``depth``, ``width``, ``init``, ``sigma_w``, ``sigma_b``, read-out,
    residual options), the data set, the optimiser (``optimizer``, ``lr``, ``momentum``,
    ``batch_size``, ``steps``), how often per-layer statistics are recorded
    (``record_every``) and the ``seed``. ``run_id`` hashes it: a store keeps one result per
    id, so a rerun resumes. Runs of one :meth:`shape_key` train together in one ensemble.

    Example:
        >>> from depthscope import RunConfig
        >>> cfg = RunConfig(activation="tanh", depth=2, width=16, steps=50, lr=0.1)
        >>> cfg.run_id == RunConfig(activation="tanh", depth=2, width=16, steps=50, lr=0.1).run_id
        True
        >>> cfg.shape_key() == cfg.model_copy(update={"lr": 0.3, "seed": 1}).shape_key()
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    dataset: str = "digits"
    activation: str = "tanh"
    activation_params: dict[str, float] = Field(default_factory=dict)
    depth: int = Field(default=5, ge=1)
    width: int = Field(default=64, ge=1)
    init: InitName = "pytorch_default"
    sigma_w: float | None = Field(default=None, gt=0)
    sigma_b: float = Field(default=0.0, ge=0)
    readout: Literal["same", "standard"] = "same"
    output: Output = "softmax"
    residual: bool = False
    alpha: float = Field(default=1.0, gt=0)
    layernorm: bool = False
    optimizer: Optimizer = "sgd"
    lr: float = Field(default=0.01, gt=0)
    momentum: float = Field(default=0.9, ge=0, lt=1)
    batch_size: int = Field(default=64, ge=1)
    steps: int = Field(default=500, ge=1)
    record_every: int = Field(default=50, ge=1)
    seed: int = 0

    def mlp_spec(self, in_features: int, out_features: int) -> MLPSpec:
        """The network this run trains."""
        return MLPSpec(
            depth=self.depth,
            width=self.width,
            in_features=in_features,
            out_features=out_features,
            activation=self.activation,
            activation_params=self.activation_params,
            init=self.init,
            sigma_w=self.sigma_w,
            sigma_b=self.sigma_b,
            readout=self.readout,
            residual=self.residual,
            alpha=self.alpha,
            layernorm=self.layernorm,
        )

    def shape_key(self) -> tuple[object, ...]:
        """Runs with equal keys can be trained together in one ensemble batch."""
        return (self.dataset, self.depth, self.width, self.batch_size, self.steps,
                self.record_every, self.output, self.residual, self.layernorm)

    @property
    def run_id(self) -> str:
        """Stable 16-hex-digit id of this config."""
        fields = self.model_dump(mode="json")
        # ids of runs stored before these fields existed stay
        for name, default in (("readout", "same"), ("output", "softmax"), ("residual", False),
                              ("alpha", 1.0), ("layernorm", False)):
            if fields[name] == default:
                del fields[name]
        canonical = json.dumps(fields, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass
class RunResult:
    """The outcome of one run.

    ``series`` rows are ``(step, layer, metric, value)``; ``layer`` is -1 for whole-network
    metrics (loss, accuracy). ``summary`` holds final values (e.g. ``train_loss``,
    ``val_accuracy``, ``test_accuracy``, ``best_val_accuracy``).

    Attributes:
        config: the run's :class:`RunConfig`.
        status: ``"finished"`` or ``"diverged"`` (a non-finite loss or gradient; the run is
            frozen at ``diverged_step`` while its ensemble goes on).
        diverged_step: the first step with a non-finite value, or ``None``.
        summary: final values by name.
        series: recorded rows ``(step, layer, metric, value)``.
    """

    config: RunConfig
    status: Status
    diverged_step: int | None = None
    summary: dict[str, float] = field(default_factory=dict)
    series: list[tuple[int, int, str, float]] = field(default_factory=list)
