"""Live logs while training (TensorBoard, CSV; findings included), argument validation at
construction, bounded caches."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from depthscope.errors import DepthscopeError
from depthscope.monitor import watch
from depthscope.monitor.gradstats import LAYOUTS


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(*[m for _ in range(4) for m in (nn.Linear(8, 8), nn.Tanh())])


def _steps(net: nn.Module, opt: torch.optim.Optimizer, n: int, nan_at: int = -1) -> None:
    for step in range(n):
        opt.zero_grad()
        loss = net(torch.randn(4, 8)).square().mean()
        (loss * float("nan") if step == nan_at else loss).backward()
        opt.step()


def test_tensorboard_and_csv_are_written_while_training(tmp_path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    csv = tmp_path / "grads.csv"
    with watch(net, on_alarm=None, sync_every=5, activation_every=5, check_first=0,
               tensorboard=tmp_path / "tb", csv=csv) as w:
        _steps(net, opt, 10)
        # before the watch ends: the first two flushes are on disk
        frame = pd.read_csv(csv, dtype={"layer": str})
        assert sorted(set(frame.step)) == list(range(1, 11))
        assert set(frame.layer) == {"0", "2", "4", "6"}
        assert set(pd.read_csv(tmp_path / "grads.activations.csv").step) == {1, 6}
        events = EventAccumulator(str(tmp_path / "tb"))
        events.Reload()
        tags = events.Tags()["scalars"]
        assert [e.step for e in events.Scalars("depthscope/grad_norm/0")] == list(range(1, 11))
        assert "depthscope/activation/rms/1" in tags
        # the update ratio of the full readings (step 1 here), per layer, in both logs
        assert [e.step for e in events.Scalars("depthscope/update_ratio/0")] == [1]
        assert frame[frame.update_ratio.notna()].step.unique().tolist() == [1]
        _steps(net, opt, 3, nan_at=1)  # step 12 has nan: flushed and filed at once
        findings = pd.read_csv(tmp_path / "grads.findings.csv")
        assert findings.kind.tolist() == ["nonfinite"]
        assert findings.step.tolist() == [12]
        events.Reload()
        assert "depthscope/findings/text_summary" in events.Tags()["tensors"]
    assert w.alarms[0].kind == "nonfinite"


@pytest.mark.parametrize(("options", "match"), [
    ({"optimizer": "adam"}, "optimizer must be a torch.optim.Optimizer"),
    ({"scaler": object()}, "scaler must be a torch.amp.GradScaler"),
    ({"thresholds": 3}, "thresholds must be a depthscope.monitor.Thresholds"),
    ({"auto": "yes"}, "auto must be True or False"),
    ({"check_first": -1}, "check_first must be an integer >= 0"),
    ({"on_alarm": "yes"}, "on_alarm must be 'print', None or a function"),
    ({"tensorboard": 3}, "tensorboard must be a SummaryWriter or a log directory"),
    ({"csv": "grads.txt"}, "csv must name a .csv file in an existing folder"),
])
def test_every_argument_is_checked_at_construction(options: dict, match: str) -> None:
    with pytest.raises(DepthscopeError, match=match) as error:
        watch(_net(), **options)
    assert "\n" not in str(error.value)


def test_the_layout_cache_stays_bounded_under_a_mixture_of_experts() -> None:
    torch.manual_seed(0)
    experts = nn.ModuleList(nn.Linear(8, 8) for _ in range(12))
    opt = torch.optim.SGD(experts.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    with watch(experts, on_alarm=None) as w:
        for _ in range(200):
            opt.zero_grad(set_to_none=True)
            x = torch.randn(4, 8)
            chosen = torch.randperm(12, generator=g)[:3].tolist()  # 3 of 12 experts
            sum(experts[i](x).square().mean() for i in chosen).backward()
            opt.step()
    assert len(w._stats._index) == LAYOUTS
    frame = w.to_dataframe()
    assert frame.groupby("step").has_grad.sum().eq(3).all()
