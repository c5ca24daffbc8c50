"""watch(): the statistics against brute force, and the guarantees of the issue."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from torch import nn
from torch.optim.optimizer import _global_optimizer_post_hooks

from depthscope.errors import DepthscopeError
from depthscope.monitor import STATS, watch


def mlp(depth: int = 4, width: int = 8, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(6, width), nn.Tanh()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 3))


def data(n: int = 16, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 6, generator=g), torch.randint(0, 3, (n,), generator=g)


def train(model: nn.Module, steps: int, opt: torch.optim.Optimizer, accumulate: int = 1) -> None:
    x, y = data(16 * accumulate)
    for _ in range(steps):
        opt.zero_grad()
        for xb, yb in zip(x.chunk(accumulate), y.chunk(accumulate), strict=True):
            nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()


def brute(model: nn.Module) -> np.ndarray:
    """The statistics of STATS, one module at a time, in float64 (the slow obvious way); the
    update ratio is nan (no optimizer step since the gradients were made)."""
    rows = []
    for module in model.modules():
        grads = [p.grad.double().flatten() for p in module.parameters(recurse=False)
                 if p.requires_grad and p.grad is not None]
        if not any(p.requires_grad for p in module.parameters(recurse=False)):
            continue
        if not grads:
            rows.append([np.nan] * (len(STATS) - 1) + [0.0])
            continue
        g = torch.cat(grads)
        rows.append([g.norm().item(), g.abs().max().item(), g.abs().mean().item(),
                     (g == 0).double().mean().item(), g.isnan().sum().item(),
                     g.isinf().sum().item(), np.nan, 1.0])
    return np.array(rows)


def test_statistics_equal_brute_force_with_frozen_unused_and_nonfinite() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(6, 8), nn.Linear(8, 3)
            self.unused = nn.Linear(3, 3)  # never called: grad stays None
            self.frozen = nn.Linear(8, 8)
            self.frozen.requires_grad_(False)
            self.scale = nn.Parameter(torch.ones(8))  # a parameter on a custom module

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.b(torch.relu(self.frozen(torch.tanh(self.a(x)) * self.scale)))

    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with watch(net, full_every=1, on_alarm=None) as w:
        train(net, 2, opt)
        with torch.no_grad():  # inject nan and inf into the gradient the watch will read
            net.b.weight.grad[0, 0] = float("nan")
            net.b.weight.grad[1, 1] = float("inf")
            net.a.bias.grad[:3] = 0.0
        expected = brute(net)
        w.step()
    got = w.record().grads[-1]
    names = [layer.name for layer in w.layers]
    assert names == ["Net", "a", "b", "unused"]  # frozen excluded, custom parameter kept
    np.testing.assert_allclose(got[:, 2:], expected[:, 2:], rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(got[[0, 1], :2], expected[[0, 1], :2], rtol=1e-5)
    assert np.isnan(got[2, 0])
    assert np.isnan(got[2, 1])
    assert got[2, STATS.index("nan")] == 1
    assert got[2, STATS.index("inf")] == 1
    assert got[3, STATS.index("has_grad")] == 0
    assert np.isnan(got[3, :-1]).all()  # a layer without a gradient: nan but has_grad
    assert w.record().first_nonfinite == {2: 3}


def test_norm_only_rows_and_the_nonfinite_check_on_every_step() -> None:
    """Between full statistics, a row holds the norm (brute force, float64) and has_grad,
    nan elsewhere, for a layer without a gradient too; the reading's total is the sum of the
    parameters' norms, and the check on it fires for nan and inf, not for a large finite norm
    (the host copy comes at once: the first nan step is known before the block ends)."""
    from depthscope.monitor.gradstats import GradStats
    from depthscope.monitor.history import Sentinel

    class WithUnused(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body, self.unused = mlp(), nn.Linear(3, 3)  # unused: never a gradient

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x)

    net = WithUnused()
    layers = [list(m.parameters(recurse=False)) for m in net.modules()
              if any(True for _ in m.parameters(recurse=False))]
    stats = GradStats(layers, torch.device("cpu"))
    train(net, 1, torch.optim.SGD(net.parameters(), lr=0.0))
    reading = stats.compute(full=False)
    row, expected = reading.row.numpy(), brute(net)
    np.testing.assert_allclose(row[:, 0], expected[:, 0], rtol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(row[:, -1], [1, 1, 1, 1, 1, 0])
    assert np.isnan(row[:, 1:-1]).all()
    by_hand = sum(p.grad.double().norm().item() for p in net.parameters() if p.grad is not None)
    assert reading.total.item() == pytest.approx(by_hand, rel=1e-6)
    with torch.no_grad():  # counts of nan and inf: read where a norm is not finite
        net.body[0].weight.grad.fill_(1e30)  # finite entries, a norm past float32
        net.body[2].bias.grad[:2] = float("inf")
        net.body[4].weight.grad[0, :3] = float("nan")
    full, expected = stats.compute(full=True).row.numpy(), brute(net)
    np.testing.assert_array_equal(full[:, 4:6], expected[:, 4:6])
    assert full[:5, 4:6].tolist() == [[0, 0], [0, 2], [3, 0], [0, 0], [0, 0]]
    sentinel = Sentinel(torch.device("cpu"))
    assert not sentinel.push(reading.total)
    assert not sentinel.push(torch.tensor(3e38))
    assert sentinel.push(torch.tensor(float("nan")))
    assert sentinel.push(torch.tensor(float("inf")))
    with watch(net, sync_every=50, check_first=0, on_alarm=None) as w:
        train(net, 3, torch.optim.SGD(net.parameters(), lr=0.0))
        assert w._history.n == 0  # the first block is still on the device
        net.body[0].weight.register_hook(lambda g: g * float("nan"))
        train(net, 1, torch.optim.SGD(net.parameters(), lr=0.0))
        assert w._history.n == 4  # copied at once, not at step 50
        assert w._first_nonfinite == {0: 4}


def test_reads_final_accumulated_gradient_once_per_step() -> None:
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.0)  # lr 0: grads stay comparable
    with watch(net, on_alarm=None) as w:
        train(net, 1, opt, accumulate=4)
        final = brute(net)[:, 0]
    assert w.step_count == 1
    np.testing.assert_allclose(w.record().grads[0, :, 0], final, rtol=1e-5)


def test_update_ratio_is_each_layers_step_over_its_norm_on_the_measured_steps() -> None:
    """||theta' - theta|| / ||theta|| per layer (float64 by hand around each Adam step), on the
    first ``check_first`` records and every ``full_every``-th; nan on the others."""
    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x, y = data()
    layers = [m for m in net.modules() if any(True for _ in m.parameters(recurse=False))]
    expected = []
    with watch(net, full_every=3, check_first=2, on_alarm=None) as w:
        for _ in range(7):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            before = [torch.cat([p.detach().double().flatten() for p in m.parameters()])
                      for m in layers]
            opt.step()
            expected.append([float((torch.cat([p.detach().double().flatten()
                                               for p in m.parameters()]) - b).norm() / b.norm())
                             for m, b in zip(layers, before, strict=True)])
    got = w.record().stat("update_ratio")
    with watch(net, updates=False, on_alarm=None) as off:  # no copies: nothing measured
        train(net, 2, opt)
    assert np.isnan(off.record().stat("update_ratio")).all()
    with pytest.raises(DepthscopeError, match="updates must be True or False"):
        watch(net, updates="yes")
    measured = [0, 1, 3, 6]  # records 1-2 (check_first), then every third (full_every)
    np.testing.assert_allclose(got[measured], np.array(expected)[measured], rtol=1e-5)
    assert np.isnan(got[[2, 4, 5]]).all()
    assert got[0].min() > 1e-3
    assert got[0].max() < 1


def test_observed_losses_add_up_per_step_and_bad_losses_are_refused() -> None:
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = data(32)
    losses = []
    with watch(net, on_alarm=None) as w:
        for step in range(3):
            opt.zero_grad()
            total = 0.0
            for xb, yb in zip(x.chunk(2), y.chunk(2), strict=True):
                loss = nn.functional.cross_entropy(net(xb), yb) / 2
                loss.backward()
                if step != 1:  # step 2 observes no loss: recorded as nan
                    w.observe_loss(loss)
                total += float(loss.detach())
            losses.append(total if step != 1 else np.nan)
            opt.step()
        assert w.latest()["loss"] == pytest.approx(losses[-1], rel=1e-6)
        for bad, match in [(torch.ones(2), "shape \\(2,\\)"), ("0.3", "got str"),
                           (True, "got bool")]:
            with pytest.raises(DepthscopeError, match=match):
                w.observe_loss(bad)  # type: ignore[arg-type]
    np.testing.assert_allclose(w.record().loss, losses, rtol=1e-6)


def test_training_is_bitwise_identical_with_and_without_watch() -> None:
    def run(monitor: bool) -> list[torch.Tensor]:
        net = mlp(seed=3)
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        if monitor:
            with watch(net, full_every=1, activation_every=1, sync_every=3, on_alarm=None):
                train(net, 7, opt)
        else:
            train(net, 7, opt)
        return [p.detach().clone() for p in net.parameters()]

    for a, b in zip(run(False), run(True), strict=True):
        assert torch.equal(a, b)


def test_hooks_are_removed_on_exit_and_modes() -> None:
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    n_global = len(_global_optimizer_post_hooks)
    with watch(net, on_alarm=None) as w:
        assert len(_global_optimizer_post_hooks) == n_global + 1
        train(net, 3, opt)
    assert len(_global_optimizer_post_hooks) == n_global
    assert all(not m._forward_hooks for m in net.modules())
    train(net, 2, opt)
    assert w.step_count == 3

    other = mlp(seed=5)  # an optimizer of another model does not count
    train(other, 2, torch.optim.SGD(other.parameters(), lr=0.01))
    manual = watch(net, auto=False, on_alarm=None)  # without `with`, stepping by hand
    train(net, 2, opt)
    manual.step()
    manual.close()
    assert manual.step_count == 1
    own = watch(net, optimizer=opt, every=2, on_alarm=None)
    train(net, 5, opt)
    own.close()
    assert own.step_count == 5
    assert own.record().steps.tolist() == [1, 3, 5]
    assert not opt._optimizer_step_post_hooks


@pytest.mark.parametrize(
    ("model", "options", "match"),
    [
        ("not a module", {}, "nn.Module"),
        (nn.ReLU(), {}, "no trainable parameters"),
        (nn.Linear(2, 2), {"every": 0}, "every must be a positive integer"),
        (nn.Linear(2, 2), {"every": 1.5}, "every must be"),
        (nn.Linear(2, 2), {"capacity": 7}, "capacity must be even"),
    ],
)
def test_bad_input_is_a_clear_error(model: object, options: dict, match: str) -> None:
    with pytest.raises(DepthscopeError, match=match):
        watch(model, **options)  # type: ignore[arg-type]


def test_memory_is_bounded_over_10000_steps() -> None:
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    net(torch.ones(1, 2)).sum().backward()
    w = watch(net, auto=False, capacity=64, sync_every=16, on_alarm=None)
    for _ in range(2000):
        w.step()
    before = sys.getallocatedblocks()
    for _ in range(8000):
        w.step()
    grown = sys.getallocatedblocks() - before
    w.close()
    record = w.record()
    assert record.steps.size <= 64
    assert w._buffer.rows.shape[0] == 16
    assert record.steps[0] == 1
    assert record.steps[-1] > 9000
    assert np.all(np.diff(record.steps) == record.steps[1] - record.steps[0])  # uniform
    assert grown < 2000  # interpreter memory blocks: no per-step growth (8000 steps)


def test_gradscaler_reads_unscaled_gradients_and_skipped_steps() -> None:
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    x, y = data()
    with watch(net, scaler=scaler, full_every=1, on_alarm=None) as w:
        for step in range(3):
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = nn.functional.cross_entropy(net(x), y)
            scaler.scale(loss * (float("inf") if step == 1 else 1.0)).backward()
            scaler.step(opt)
            if step == 2:
                unscaled = brute(net)[:, 0]
            scaler.update()
    assert scaler.update.__self__ is scaler  # original method restored
    record = w.record()
    assert record.steps.tolist() == [1, 2, 3]  # the skipped step is recorded too
    np.testing.assert_allclose(record.grads[2, :, 0], unscaled, rtol=1e-5)
    assert record.first_nonfinite
    assert min(record.first_nonfinite.values()) == 2
    finding = next(f for f in w.diagnose() if f.kind == "nonfinite")
    assert finding.severity == "info"
    assert "GradScaler" in finding.message


def test_compiled_and_sparse_models() -> None:
    net = mlp(seed=4)
    twin = mlp(seed=4)
    compiled = torch.compile(net, backend="eager")
    for model, target in ((compiled, net), (twin, twin)):
        opt = torch.optim.SGD(model.parameters(), lr=0.0)
        with watch(model, activation_every=1, on_alarm=None) as w:
            train(model, 2, opt)
        target.rows = w.record().grads  # type: ignore[attr-defined]
    np.testing.assert_allclose(net.rows, twin.rows, rtol=1e-5)  # type: ignore[attr-defined]

    emb = nn.Embedding(10, 4, sparse=True)
    opt = torch.optim.SGD(emb.parameters(), lr=0.1)
    with watch(emb, full_every=1, on_alarm=None) as w:
        opt.zero_grad()
        emb(torch.tensor([1, 2])).sum().backward()
        opt.step()
    row = w.record().grads[0, 0]
    assert row[0] == pytest.approx(np.sqrt(8.0))  # two rows of four ones
    assert row[STATS.index("zero_frac")] == pytest.approx(32 / 40)
