"""Explosions found on any architecture, at once, with the cause named first; no false alarms
on healthy nets; activation statistics right for in-place and shared modules."""

from __future__ import annotations

import math

import pytest
import torch
from monitor_nets import scaled_relu_mlp
from torch import nn

from depthscope.activations import get
from depthscope.activations.health import saturation_floor
from depthscope.fix import critical_
from depthscope.monitor import watch


def relu_times_3(depth: int = 30) -> nn.Sequential:
    """PyTorch's default weights ×3 (sigma_w = 3/sqrt 3 = 1.73 > sqrt 2): output rms ~ 500."""
    return scaled_relu_mlp(depth, 64, 32, 10)


def train(net: nn.Module, opt: torch.optim.Optimizer, steps: int, **options: object):
    """``steps`` of cross-entropy training under watch; each alarm with the step it came at."""
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(128, 32, generator=g), torch.randint(0, 10, (128,), generator=g)
    raised: list[tuple[int, object]] = []
    with watch(net, on_alarm=lambda f: raised.append((w.step_count, f)), **options) as w:
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            w.observe_loss(loss)
            opt.step()
    return w, raised


@pytest.mark.parametrize("make_opt", [
    lambda ps: torch.optim.Adam(ps, lr=1e-3), lambda ps: torch.optim.SGD(ps, lr=1e-5)])
def test_relu_explosion_by_init_scale_is_an_alarm_at_step_1_matching_theory(make_opt) -> None:
    net = relu_times_3()
    _, raised = train(net, make_opt(net.parameters()), steps=8)
    step, finding = raised[0]
    assert (step, finding.kind, finding.first_step) == (1, "exploding_forward", 1)
    d = finding.details
    # ReLU: q^{l+1} = sigma_w^2 q^l / 2 + sigma_b^2, so the rms grows sigma_w / sqrt 2 per
    # layer once q >> sigma_b^2 (He et al. 2015); the measured sigma_w is PyTorch's 1/sqrt 3 ×3
    assert d["sigma_w"] == pytest.approx(math.sqrt(3), rel=0.02)
    assert d["theory_factor"] == pytest.approx(d["sigma_w"] / math.sqrt(2), rel=0.01)
    assert d["factor_per_layer"] == pytest.approx(d["theory_factor"], rel=0.05)
    assert d["critical_sigma_w"] == pytest.approx(math.sqrt(2), rel=1e-9)
    assert finding.fix.index("critical_(model, sigma_b=0)") < finding.fix.index("normalisation")


def test_a_nan_is_an_alarm_when_it_happens_and_names_the_init_before_the_clip() -> None:
    net = relu_times_3()
    w, raised = train(net, torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9), steps=8,
                      sync_every=50)
    first_nan = min(w.record().first_nonfinite.values())
    step, finding = next((s, f) for s, f in raised if f.kind == "nonfinite")
    assert step == first_nan < 8  # raised at the step itself, not at a flush 50 steps later
    assert finding.fix.startswith("cause: the initialisation")
    assert finding.fix.index("critical_(") < finding.fix.index("clip_grad_norm_")
    # before the nan: the steps grow past a tenth of the weights, and the loss (observed)
    # climbs ten times above its lowest; both name the init first
    early = {f.kind: (s, f) for s, f in raised if s < first_nan}
    assert early["large_updates"][0] <= 3
    assert early["loss_growing"][0] < first_nan
    assert all(early[k][1].fix.startswith("cause: the initialisation")
               for k in ("large_updates", "loss_growing"))


def test_critical_cures_it_and_the_advice_then_converges() -> None:
    net = relu_times_3()
    critical_(net, sigma_b=0.0)
    w, raised = train(net, torch.optim.Adam(net.parameters(), lr=1e-3), steps=8)
    assert raised == []
    rms = w.record().probe("rms")[0]
    assert 0.5 < rms[-1] / rms[0] < 2.0
    # a deep sigmoid net made critical still saturates; the advice then does not repeat itself
    torch.manual_seed(0)
    sig = nn.Sequential(*[m for _ in range(20) for m in (nn.Linear(32, 32), nn.Sigmoid())],
                        nn.Linear(32, 10))
    critical_(sig)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 32, generator=g), torch.randint(0, 10, (64,), generator=g)
    opt = torch.optim.SGD(sig.parameters(), lr=1e-2)
    with watch(sig, on_alarm=None, activation_every=2) as w:
        for _ in range(6):
            opt.zero_grad()
            nn.functional.cross_entropy(sig(x), y).backward()
            opt.step()
    saturation = next(f for f in w.diagnose() if f.kind == "saturation")
    assert saturation.details["at_critical"]
    assert "critical_(" not in saturation.fix
    assert "already at the edge of chaos" in saturation.fix
    assert "instead: rescale the activation: depthscope.fix.transform('sigmoid')" in \
        saturation.fix


def _he_relu(seed: int) -> tuple[nn.Module, tuple[int, ...], int]:
    torch.manual_seed(seed)
    net = nn.Sequential(*[m for _ in range(20) for m in (nn.Linear(32, 32), nn.ReLU())],
                        nn.Linear(32, 4))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return net, (32, 32), 4


def _transformer(seed: int, norm_first: bool) -> tuple[nn.Module, tuple[int, ...], int]:
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, batch_first=True,
                                       norm_first=norm_first)
    net = nn.Sequential(nn.TransformerEncoder(layer, 4, enable_nested_tensor=False),
                        nn.Flatten(), nn.Linear(32 * 8, 4))
    return net, (16, 8, 32), 4


def _cnn_bn(seed: int) -> tuple[nn.Module, tuple[int, ...], int]:
    torch.manual_seed(seed)
    body = [m for _ in range(6) for m in (nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16),
                                          nn.ReLU(inplace=True))]
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16),
                        nn.ReLU(inplace=True), *body, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(16, 10))
    return net, (16, 3, 8, 8), 10


@pytest.mark.parametrize("make", [_he_relu, lambda s: _transformer(s, False),
                                  lambda s: _transformer(s, True), _cnn_bn],
                         ids=["he-relu-mlp", "transformer-post-ln", "transformer-pre-ln",
                              "cnn-bn"])
def test_no_false_alarms_on_healthy_nets_over_seeds_and_optimizers(make) -> None:
    alarms = []
    for seed in range(3):
        for adam in (False, True):
            net, shape, classes = make(seed)
            opt = (torch.optim.Adam(net.parameters(), lr=1e-3) if adam
                   else torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.9))
            g = torch.Generator().manual_seed(seed)
            with watch(net, on_alarm=alarms.append, sync_every=10, full_every=1) as w:
                for _ in range(30):
                    opt.zero_grad()
                    out = net(torch.randn(*shape, generator=g))
                    y = torch.randint(0, classes, (shape[0],), generator=g)
                    loss = nn.functional.cross_entropy(out, y)
                    loss.backward()
                    w.observe_loss(loss)  # the loss and update-ratio findings see every step
                    opt.step()
            alarms += [f for f in w.diagnose() if f.severity == "alarm"]
    assert alarms == []


class Shared(nn.Module):
    """The head is registered before the body; one Sigmoid serves two call sites; the ReLU
    works in place."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(16, 3)
        self.body = nn.Linear(8, 16)
        self.mid = nn.Linear(16, 16)
        self.act = nn.Sigmoid()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.body(x) * 4.0)
        h = self.relu(self.mid(h) - 0.2)
        return self.head(self.act(h))


def test_in_place_and_shared_modules_are_read_per_call_site_in_forward_order() -> None:
    torch.manual_seed(0)
    net = Shared()
    x = torch.randn(32, 8)
    with torch.no_grad():  # the pre-activations, computed by hand
        a1 = net.body(x) * 4.0
        a2 = net.mid(torch.sigmoid(a1)) - 0.2
        a3 = torch.relu(a2)
    with watch(net, on_alarm=None) as w:
        net(x).square().mean().backward()
        torch.optim.SGD(net.parameters(), lr=0.0).step()
    record = w.record()
    assert record.probe_names == ["act", "relu", "act#2"]
    assert [record.layers[i].name for i in record.ordered()] == ["body", "mid", "head"]
    floor = saturation_floor(get("sigmoid"))
    for site, a in enumerate((a1, a2, a3)):
        assert record.probe("rms")[0, site] == pytest.approx(float(a.square().mean().sqrt()),
                                                             rel=1e-6)
    for site, a in ((0, a1), (2, a3)):
        share = float((get("sigmoid").dphi(a).abs() < floor).float().mean())
        assert record.probe("saturated")[0, site] == pytest.approx(share, abs=1e-7)
    dead = 1.0 - float((a2 > 0).any(dim=0).float().mean())
    assert record.probe("dead")[0, 1] == pytest.approx(dead, abs=1e-7)
