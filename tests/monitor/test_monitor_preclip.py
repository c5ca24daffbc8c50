"""watch() sees the gradient as produced (before clipping, after accumulation) and leaves
training bitwise unchanged, random modules included."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monitor_nets import scaled_relu_mlp
from torch import nn

from depthscope.errors import DepthscopeError
from depthscope.fix import critical_
from depthscope.monitor import watch


def _global_norms(w) -> np.ndarray:
    frame = w.to_dataframe()
    return frame.groupby("step")["norm"].apply(lambda n: float(np.sqrt((n**2).sum()))).to_numpy()


def _exploding_mlp() -> nn.Sequential:
    return scaled_relu_mlp(12, 32, 32, 4)


def _clipped_training(net: nn.Module, loss_of, steps: int, micro_batches: int = 1,
                      seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """SGD with clip_grad_norm_(1.0) under watch; ``loss_of(step, x)`` is the loss of a
    micro-batch. Returns the watch's global norms and clip_grad_norm_'s return values."""
    opt = torch.optim.SGD(net.parameters(), lr=1e-6)
    g = torch.Generator().manual_seed(seed)
    clipped = []
    with watch(net, on_alarm=None, sync_every=4) as w:
        for step in range(steps):
            for _ in range(micro_batches):
                loss_of(step, torch.randn(16, 32, generator=g)).backward()
            clipped.append(float(torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)))
            opt.step()
            opt.zero_grad()
    return _global_norms(w), np.asarray(clipped)


@pytest.mark.parametrize("micro_batches", [1, 2])
def test_the_recorded_norm_is_clip_grad_norms_own(micro_batches: int) -> None:
    """Weights x3 (the gradient norm is in the thousands), clipped at 1.0 every step, with 1
    or 2 accumulated micro-batches: the watch's global norm equals clip_grad_norm_'s return
    value (the norm before clipping) at every step, not the clipped 1.0."""
    net = _exploding_mlp()
    recorded, clipped = _clipped_training(net, lambda step, x: net(x).square().mean(), 10,
                                          micro_batches)
    assert min(clipped) > 100
    np.testing.assert_allclose(recorded, clipped, rtol=1e-5)


class Noise(nn.Module):
    """A user module that draws from the global RNG in its forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.1 * torch.randn_like(x) if self.training else x


def _random_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.RReLU(), nn.Dropout(0.2), nn.Linear(32, 32),
                         Noise(), nn.Tanh(), nn.Linear(32, 3))


def _train(watched: bool) -> list[torch.Tensor]:
    net = _random_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    torch.manual_seed(5)
    x, y = torch.randn(64, 8), torch.randint(0, 3, (64,))
    w = watch(net, on_alarm=None, activation_every=1) if watched else None
    for _ in range(30):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    if w is not None:
        w.close()
    return [p.detach().clone() for p in net.parameters()]


def test_watching_changes_nothing_random_modules_included() -> None:
    """RReLU, Dropout and a noise module all draw from the global RNG: 30 Adam steps with and
    without watch give bitwise equal parameters; RReLU is detected as leaky ReLU at its mean
    slope."""
    for a, b in zip(_train(False), _train(True), strict=True):
        assert torch.equal(a, b)
    from depthscope.fix.detect import activation_of

    assert activation_of(nn.RReLU(0.1, 0.3)).params["negative_slope"] == pytest.approx(0.2)


def test_critical_draws_only_for_the_weights_it_sets() -> None:
    """Detection (which runs parameter-free modules on a probe) does not touch the RNG: the
    RNG after critical_ is where drawing exactly the new weights leaves it."""
    net = _random_net()
    torch.manual_seed(3)
    critical_(net, generator=torch.Generator().manual_seed(0))
    after = torch.random.get_rng_state()
    torch.manual_seed(3)
    assert torch.equal(torch.random.get_rng_state(), after)


def test_bad_arguments_are_one_line() -> None:
    with pytest.raises(DepthscopeError, match="on_alarm"):
        watch(nn.Linear(2, 2), on_alarm="yes")
    with pytest.raises(DepthscopeError, match="sigma_b must be a number"):
        critical_(nn.Linear(2, 2), sigma_b="0.1")  # type: ignore[arg-type]


def test_a_parameter_without_gradient_does_not_hide_the_pre_clip_norm() -> None:
    """The watch hooks one parameter; when it gets no gradient (an unused branch, as in a
    mixture of experts) every parameter is hooked from then on: after that step the recorded
    norm is again clip_grad_norm_'s own."""

    class TwoPaths(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.unused_first = nn.Linear(8, 8)  # registered first, used only later
            self.body = _exploding_mlp()

        def forward(self, x: torch.Tensor, use_first: bool) -> torch.Tensor:
            if use_first:
                x = torch.cat([self.unused_first(x[:, :8]), x[:, 8:]], dim=1)
            return self.body(x)

    net = TwoPaths()
    recorded, clipped = _clipped_training(
        net, lambda step, x: net(x, use_first=step >= 3).square().mean(), 6, seed=2)
    np.testing.assert_allclose(recorded[1:], clipped[1:], rtol=1e-5)
