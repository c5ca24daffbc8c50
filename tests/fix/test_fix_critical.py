"""critical_ and transform: edge-of-chaos cures for any model, with the digits evidence."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from depthscope.activations import get
from depthscope.errors import DepthscopeError
from depthscope.fix import critical_, transform
from depthscope.fix.detect import sigma_of
from depthscope.theory import critical_sigma_w, critical_transform


class Tanh2(nn.Module):
    """A user's activation without a registered name: tanh(2x)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(2 * x)


def test_each_layer_gets_the_sigma_w_of_its_own_activation() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(64, 256), nn.Tanh(), nn.Linear(256, 256), nn.Sigmoid(),
        nn.Linear(256, 256), Tanh2(), nn.Conv1d(256, 8, 3), nn.Flatten(), nn.Linear(8, 2),
    )
    report = critical_(net, sigma_b=0.1, return_report=True,
                       generator=torch.Generator().manual_seed(1))
    got = [(x.name, x.activation, x.source) for x in report.layers]
    assert got == [("0", "tanh", "output"), ("2", "tanh", "input"), ("4", "sigmoid", "input"),
                   ("6", "Tanh2", "input"), ("8", "identity", "none")]
    want = [critical_sigma_w(get(a), 0.1) for a in ("tanh", "tanh", "sigmoid")]
    assert [x.sigma_w for x in report.layers[:3]] == pytest.approx(want, rel=1e-12)
    # the numerically differentiated user module lands where the closed form does
    assert report.layers[3].sigma_w == pytest.approx(
        critical_sigma_w(get("tanh", scale=2), 0.1), rel=1e-4)
    assert report.layers[3].fan_in == 256 * 3  # Conv1d: in_channels x kernel
    measured = sigma_of(net[2])
    assert measured[0] == pytest.approx(want[1], rel=0.02)  # 65536 samples
    assert measured[1] == pytest.approx(0.1, rel=0.15)  # 256 samples


def test_relu_at_sigma_b_zero_is_he_and_errors_are_clear() -> None:
    net = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
    report = critical_(net, orthogonal=True, return_report=True)
    assert [x.sigma_w for x in report.layers] == pytest.approx([math.sqrt(2)] * 2)  # He 2015
    w = net[2].weight.detach().double()
    torch.testing.assert_close(w @ w.T, 2 * torch.eye(256, dtype=torch.float64),
                               atol=1e-5, rtol=0)  # sigma_w^2 Q Q^T, Q orthogonal
    with pytest.raises(DepthscopeError, match="no edge of chaos"):
        critical_(net, sigma_b=0.5)  # ReLU: only sigma_b = 0 (Hayou et al. 2019)
    with pytest.raises(DepthscopeError, match=r"nn\.Module"):
        critical_("net")  # type: ignore[arg-type]
    with pytest.raises(DepthscopeError, match="no Linear or Conv"):
        critical_(nn.Tanh())
    report = critical_(net, activation="tanh", sigma_b=0.1, return_report=True)
    assert {x.source for x in report.layers} == {"given"}
    assert "sigma_w before" in str(report)


def test_transform_accepts_names_modules_and_functions() -> None:
    ref = critical_transform(get("tanh"), q_star=0.5)
    for act in ("tanh", nn.Tanh(), get("tanh")):
        out = transform(act, q_star=0.5)
        assert out.gain == pytest.approx(ref.gain)
        assert out.offset == pytest.approx(ref.offset)
    num = transform(lambda x: torch.tanh(x), q_star=0.5)
    assert num.gain == pytest.approx(ref.gain, rel=1e-6)
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    torch.testing.assert_close(ref.activation(x), ref.gain * (torch.tanh(ref.scale * x)
                                                               + ref.offset))


def digits_accuracy(net: nn.Module, steps: int = 150) -> float:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    y = torch.tensor(digits.target)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    train, test = perm[:1400], perm[1400:]
    opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        idx = train[torch.randint(0, len(train), (128,), generator=g)]
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
        opt.step()
    with torch.no_grad():
        return (net(x[test]).argmax(1) == y[test]).float().mean().item()


@pytest.fixture
def one_thread():
    """Tiny layers: intra-op threads only add overhead (and noise on a shared machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("one_thread")
def test_50_layer_tanh_mlp_learns_digits_only_after_critical() -> None:
    def tanh_mlp() -> nn.Sequential:
        torch.manual_seed(0)
        layers: list[nn.Module] = [nn.Linear(64, 32), nn.Tanh()]
        for _ in range(49):
            layers += [nn.Linear(32, 32), nn.Tanh()]
        return nn.Sequential(*layers, nn.Linear(32, 10))

    default = digits_accuracy(tanh_mlp())  # PyTorch default init: sigma_w^2 = 1/3
    net = tanh_mlp()
    report = critical_(net, orthogonal=True, return_report=True,
                       generator=torch.Generator().manual_seed(0))
    assert all(x.sigma_w == pytest.approx(1.0, abs=1e-6) for x in report.layers)
    fixed = digits_accuracy(net)
    assert default < 0.2  # chance is 0.1: nothing learned
    assert fixed > 0.8
