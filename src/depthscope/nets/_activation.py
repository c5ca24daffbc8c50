"""Stand-in activation module until ``depthscope.nn.Activation`` is available."""

from __future__ import annotations

import torch
from torch import nn

from depthscope.activations import get


class Activation(nn.Module):
    """``phi`` of a registered activation as a module: ``Activation("tanh", scale=2)``."""

    def __init__(self, name: str, **params: float) -> None:
        super().__init__()
        self.act = get(name, **params)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act.phi(x)

    def extra_repr(self) -> str:
        return self.act.label
