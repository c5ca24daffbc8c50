"""GradientHealthCallback inside a real Hugging Face Trainer, with its clipping on."""

from __future__ import annotations

import pytest
import torch
from torch import nn

transformers = pytest.importorskip("transformers")


class Regressor(nn.Module):
    """A small MLP that returns the Trainer's {"loss": ...}; weights x3 so that clipping at
    1.0 is active at every step."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(16, 16), nn.ReLU())],
                                 nn.Linear(16, 1))
        with torch.no_grad():
            for m in self.net:
                if isinstance(m, nn.Linear):
                    m.weight.mul_(3.0)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.net(x).squeeze(-1)
        return {"loss": nn.functional.mse_loss(out, labels), "logits": out}


def test_the_callback_logs_the_trainers_own_pre_clip_norm(tmp_path) -> None:
    """max_grad_norm = 1.0, gradient accumulation 2, logging every step: depthscope's global
    norm equals the Trainer's own logged grad_norm (clip_grad_norm_'s pre-clip value) to 1e-4
    at every step, though the update used the clipped gradient."""
    from depthscope.integrations.transformers import attach

    g = torch.Generator().manual_seed(1)
    data = [{"x": torch.randn(16, generator=g), "labels": torch.randn((), generator=g)}
            for _ in range(64)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), max_steps=4, per_device_train_batch_size=8,
        gradient_accumulation_steps=2, logging_steps=1, max_grad_norm=1.0, report_to=[],
        use_cpu=True, save_strategy="no", learning_rate=1e-4, disable_tqdm=True)
    trainer = transformers.Trainer(model=Regressor(), args=args, train_dataset=data)
    callback = attach(trainer, on_alarm=None)
    assert trainer.callback_handler.callbacks[0] is callback
    trainer.train()
    logged = [row for row in trainer.state.log_history if "grad_norm" in row]
    assert len(logged) == 4
    for row in logged:
        assert row["grad_norm"] > 1.0  # clipping was active
        assert row["depthscope/grad_norm"] == pytest.approx(row["grad_norm"], rel=1e-4)
        assert "depthscope/grad_norm/net.0" in row
        # the step's loss as the Trainer logs it (the mean over the 2 micro-batches; the
        # Trainer rounds its log to 4 digits)
        assert row["depthscope/loss"] == pytest.approx(row["loss"], rel=1e-3, abs=1e-4)
    assert callback.watch is not None
    assert callback.watch.step_count == 4
