"""A deep tanh net that will not train, the alarm that says why, and the cure.

A 50-layer tanh MLP with PyTorch's default init (sigma_w^2 = 1/3) learns nothing on the
sklearn digits: its gradients shrink by about sqrt(chi_1) ~ 0.58 per layer towards the input.
``depthscope.watch`` raises the alarm and names the fix; ``depthscope.fix.critical_`` puts
every layer at the edge of chaos (sigma_w = 1 for tanh at sigma_b = 0) and the same net learns.

Run: ``python examples/deep_tanh_fix.py [--smoke] [--plot DIR]`` (DEPTHSCOPE_SMOKE=1 = --smoke).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
from rich.console import Console
from sklearn.datasets import load_digits
from torch import nn

from depthscope.fix import critical_
from depthscope.monitor import watch

console = Console()


def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)  # (1797, 64)
    y = torch.tensor(data.target)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    return x[perm[:1400]], y[perm[:1400]], x[perm[1400:]], y[perm[1400:]]


def tanh_mlp(depth: int, width: int = 32) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(64, width), nn.Tanh()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


def train(net: nn.Module, steps: int, data: tuple) -> tuple[float, object]:
    """SGD with momentum on mini-batches of 128, watched; returns test accuracy and watch."""
    x, y, x_test, y_test = data
    opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
    g = torch.Generator().manual_seed(1)
    with watch(net, sync_every=10) as w:  # the one added line
        for _ in range(steps):
            idx = torch.randint(0, len(x), (128,), generator=g)
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        return (net(x_test).argmax(1) == y_test).float().mean().item(), w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small, fast run")
    parser.add_argument("--plot", type=Path, default=None, help="write figures to this dir")
    args = parser.parse_args()
    smoke = args.smoke or os.environ.get("DEPTHSCOPE_SMOKE") == "1"
    depth, steps = (20, 30) if smoke else (50, 150)
    torch.set_num_threads(1)
    data = digits()

    console.rule(f"{depth}-layer tanh MLP, PyTorch default init")
    before, w = train(tanh_mlp(depth), steps, data)
    w.summary(console)
    console.print(f"test accuracy: [bold]{before:.1%}[/] (chance: 10%)")

    console.rule("after depthscope.fix.critical_(net, orthogonal=True)")
    net = tanh_mlp(depth)
    report = critical_(net, orthogonal=True, return_report=True)
    layer = report.layers[1]
    console.print(f"sigma_w set to {layer.sigma_w:.3f} for {layer.activation}")
    after, fixed = train(net, steps, data)
    alarms = [f for f in fixed.diagnose() if f.severity == "alarm"]
    console.print(f"alarms: {len(alarms)}; test accuracy: [bold]{after:.1%}[/]")
    if args.plot is not None:
        args.plot.mkdir(parents=True, exist_ok=True)
        w.plot(args.plot / "before.png")
        fixed.plot(args.plot / "after.png")
        console.print(f"figures in {args.plot}")


if __name__ == "__main__":
    main()
