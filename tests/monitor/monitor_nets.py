"""The nets the monitor's tests share."""

from __future__ import annotations

import torch
from torch import nn


def scaled_relu_mlp(depth: int, width: int, inputs: int, outputs: int,
                    factor: float = 3.0) -> nn.Sequential:
    """``depth`` ReLU layers with PyTorch's default weights times ``factor`` (seed 0): at
    ×3, sigma_w = 3/sqrt 3 = 1.73 > sqrt 2, the forward signal grows ×1.22 per layer."""
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(width if i else inputs, width), nn.ReLU()]
    net = nn.Sequential(*layers, nn.Linear(width, outputs))
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(factor)
    return net
