"""transform(model, method="dks"|"tat"): activations swapped for their depth-aware transforms,
weights scaled-uniform-orthogonal (delta for convolutions), the rest reported."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from depthscope.errors import DepthscopeError
from depthscope.fix import transform
from depthscope.nn import Activation
from depthscope.probing import probe
from depthscope.theory import dks_transform, tat_leaky_relu, tat_transform


def _tanh_mlp(depth: int, width: int = 64) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(16, width), nn.Tanh()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


@pytest.mark.parametrize("method", ["dks", "tat"])
def test_a_deep_tanh_mlp_becomes_critical(method: str) -> None:
    """64 tanh layers at PyTorch's default init vanish (probe: ordered); transformed for
    depth 64 (its activation count) every Tanh is the method's activation, every square
    weight is orthogonal (W W^T = I), biases are zero, and the probe reads critical."""
    net = _tanh_mlp(64)
    x = torch.randn(32, 16, generator=torch.Generator().manual_seed(1))
    assert probe(net, x).verdict.phase.startswith("ordered")
    report = transform(net, method, generator=torch.Generator().manual_seed(2))
    want = (dks_transform("tanh", 64) if method == "dks" else tat_transform("tanh", 64))
    assert report.depth == 64
    assert len(report.swapped) == 64
    assert all(isinstance(net[i], Activation) for i in range(1, 128, 2))
    assert net[1].activation.label == want.activation.label
    w = net[2].weight.detach().double()
    torch.testing.assert_close(w @ w.T, torch.eye(64, dtype=torch.float64), atol=1e-5, rtol=0)
    assert float(net[2].bias.detach().abs().max()) == 0.0
    assert probe(net, x).verdict.phase == "critical"


def test_relu_takes_trelu_under_tat_and_is_left_under_dks() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(*[m for _ in range(50) for m in (nn.Linear(32, 32), nn.ReLU())])
    report = transform(net, "tat")
    assert report.swapped[0].after == tat_leaky_relu(50).activation.label
    torch.manual_seed(0)
    net = nn.Sequential(*[m for _ in range(50) for m in (nn.Linear(32, 32), nn.ReLU())])
    report = transform(net, "dks")
    assert not report.swapped
    assert "leaky_relu" in report.left[0][1]
    assert isinstance(net[1], nn.ReLU)


def test_what_cannot_be_swapped_is_reported() -> None:
    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.act, self.b = nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8)
            self.norm = nn.LayerNorm(8)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.norm(self.b(F.relu(self.act(self.a(x)))))

    report = transform(Functional(), "tat", depth=10)
    left = dict(report.left)
    assert any("functional" in why for why in left.values())
    assert "parameters left" in left["norm"]
    assert [s.name for s in report.swapped] == ["act"]


def test_convolutions_are_delta_orthogonal() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.Tanh(), nn.Conv2d(16, 16, 3,
                                                                            padding=1))
    transform(net, "dks", depth=2)
    w = net[2].weight.detach().double()
    centre = w[:, :, 1, 1]
    torch.testing.assert_close(centre @ centre.T, torch.eye(16, dtype=torch.float64),
                               atol=1e-5, rtol=0)
    w[:, :, 1, 1] = 0
    assert float(w.abs().max()) == 0.0
    first = net[0].weight.detach().double()[:, :, 1, 1]  # 16 x 8: columns scaled by sqrt 2
    torch.testing.assert_close(first.T @ first, 2 * torch.eye(8, dtype=torch.float64),
                               atol=1e-5, rtol=0)


def test_activations_and_bad_requests() -> None:
    got = transform("tanh", "dks", depth=10)
    assert got.scale == pytest.approx(dks_transform("tanh", 10).scale, rel=1e-12)
    with pytest.raises(DepthscopeError, match="depth"):
        transform("tanh", "tat")
    with pytest.raises(DepthscopeError, match="critical_"):
        transform(_tanh_mlp(2), "critical")
    with pytest.raises(DepthscopeError, match="method"):
        transform("tanh", "fks")
    with pytest.raises(DepthscopeError, match="no activation module"):
        transform(nn.Linear(4, 4), "dks")
