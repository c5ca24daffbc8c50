"""GradientHealth inside a real Lightning Trainer.fit, with Lightning's clipping on: the logged
norm is the pre-clip one, checked against p.grad read by hand before clipping."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")

from monitor_nets import scaled_relu_mlp  # noqa: E402

from depthscope.integrations.lightning import GradientHealth  # noqa: E402

# Lightning's own notices on this torch (its pytree use) and on a small CPU loader
pytestmark = [pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning"),
              pytest.mark.filterwarnings("ignore:.*does not have many workers:UserWarning")]


class Captured(pl.loggers.logger.Logger):
    """A logger that keeps what the Trainer sends it."""

    def __init__(self) -> None:
        super().__init__()
        self.metrics: list[tuple[int, dict[str, float]]] = []

    @property
    def name(self) -> str:
        return "captured"

    @property
    def version(self) -> int:
        return 0

    def log_hyperparams(self, params: object, *args: object, **kwargs: object) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.metrics.append((step, dict(metrics)))


class DeepNet(pl.LightningModule):
    """A 30-layer ReLU MLP at 3× PyTorch's default weights: gradient norms in the tens."""

    def __init__(self) -> None:
        super().__init__()
        self.net = scaled_relu_mlp(30, 64, 16, 4)
        self.pre_clip: list[float] = []
        self.losses: list[float] = []

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        self.losses.append(float(loss.detach()))
        return loss

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Lightning calls this after the backward pass and before clipping
        self.pre_clip.append(math.sqrt(sum(float(p.grad.double().square().sum())
                                           for p in self.parameters())))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=1e-7)


@pytest.mark.parametrize("accumulate", [1, 2])
def test_the_callback_logs_the_pre_clip_norm_through_the_trainers_loggers(
        tmp_path, accumulate: int) -> None:
    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 16, generator=g),
                                          torch.randint(0, 4, (64,), generator=g))
    model, logger = DeepNet(), Captured()
    alarms: list = []
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, max_steps=4, gradient_clip_val=1.0,
        accumulate_grad_batches=accumulate, log_every_n_steps=1, logger=logger,
        callbacks=[GradientHealth(on_alarm=alarms.append)], default_root_dir=tmp_path,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, torch.utils.data.DataLoader(data, batch_size=8))
    logged = [m["depthscope/grad_norm"] for _, m in logger.metrics
              if "depthscope/grad_norm" in m]
    assert len(model.pre_clip) == 4
    assert min(model.pre_clip) > 10.0  # clipping at 1.0 was active at every step
    assert logged == pytest.approx(model.pre_clip, rel=1e-5)
    last = next(m for _, m in reversed(logger.metrics) if "depthscope/grad_norm" in m)
    layers = [v for k, v in last.items() if k.startswith("depthscope/grad_norm/")]
    assert len(layers) == 31
    assert math.sqrt(sum(v * v for v in layers)) == pytest.approx(logged[-1], rel=1e-5)
    # the step's loss: the mean of its micro-batches' losses
    steps = [model.losses[i : i + accumulate] for i in range(0, len(model.losses), accumulate)]
    logged_loss = [m["depthscope/loss"] for _, m in logger.metrics if "depthscope/loss" in m]
    assert logged_loss == pytest.approx([sum(s) / accumulate for s in steps], rel=1e-6)
    assert [a.kind for a in alarms][:1] == ["exploding_forward"]
    assert last["depthscope/alarms"] >= 1
