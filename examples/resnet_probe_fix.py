"""A deep ResNet without normalisation explodes at init; the probe says so, computes the
branch scale that fixes it, and the fixed net trains.

32 residual blocks ``x + alpha · conv(relu(conv(x)))`` on the 8x8 sklearn digits, He-initialised
(``kaiming_normal_``, as torchvision does) and with no BatchNorm: each block multiplies the
gradient by about 1 + 2 = 3, so the probe reads "chaotic" and recommends alpha with
``(1 + alpha² (g - 1))^32 <= 2``. Set alpha, probe again (critical), train a few hundred steps.

Run: ``python examples/resnet_probe_fix.py [--smoke]`` (DEPTHSCOPE_SMOKE=1 = --smoke).
"""

from __future__ import annotations

import argparse
import os

import torch
from sklearn.datasets import load_digits
from torch import nn

from depthscope import probe


class Block(nn.Module):
    """``x + alpha · conv2(relu(conv1(x)))``."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.alpha = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.alpha * self.conv2(torch.relu(self.conv1(x)))


class ResNet(nn.Module):
    def __init__(self, blocks: int = 32, width: int = 8) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, width, 3, padding=1)
        self.blocks = nn.Sequential(*[Block(width) for _ in range(blocks)])
        self.head = nn.Linear(width, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.blocks(self.stem(x))).mean((2, 3)))


def digits() -> tuple[torch.Tensor, ...]:
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32)
    x = ((x - x.mean()) / x.std()).view(-1, 1, 8, 8)
    y = torch.tensor(data.target)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    return x[perm[:1400]], y[perm[:1400]], x[perm[1400:]], y[perm[1400:]]


def train(net: nn.Module, steps: int, data: tuple) -> float:
    x, y, x_test, y_test = data
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        idx = torch.randint(0, len(x), (64,), generator=g)
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
        opt.step()
    with torch.no_grad():
        return (net(x_test).argmax(1) == y_test).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="fewer training steps")
    args = parser.parse_args()
    smoke = args.smoke or os.environ.get("DEPTHSCOPE_SMOKE") == "1"
    torch.manual_seed(0)
    data = digits()
    net = ResNet()
    batch = data[0][:64]
    before = probe(net, batch)
    print(before, "\n")
    alpha = before.verdict.branch_scale
    if alpha is None:
        raise SystemExit("the probe found nothing to fix")
    for block in net.blocks:
        block.alpha = alpha
    after = probe(net, batch)
    print(f"with alpha = {alpha:.3g}: {after.verdict.phase} (first/last APJN "
          f"{after.verdict.total_gain:.3g}, was {before.verdict.total_gain:.3g})")
    steps = 30 if smoke else 300
    accuracy = train(net, steps, data)
    print(f"trained {steps} steps: test accuracy {accuracy:.3f} (chance 0.1)")


if __name__ == "__main__":
    main()
