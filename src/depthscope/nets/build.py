"""Deep MLPs from an :class:`MLPSpec`: ``Linear → phi → … → Linear`` (linear read-out)."""

from __future__ import annotations

import itertools

import torch
from torch import nn

from depthscope import init
from depthscope.nets.spec import MLPSpec
from depthscope.nn import Activation


def build(
    spec: MLPSpec,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    data: torch.Tensor | None = None,
) -> nn.Sequential:
    """The network ``spec`` describes, initialised by ``spec.init`` with ``seed``.

    Parameters are drawn on the CPU in float64 from ``torch.Generator().manual_seed(seed)``
    and then cast, so a seed gives the same network on every device and dtype (up to
    rounding). ``data`` (N, in_features) feeds data-dependent inits (LSUV).
    """
    sizes = [spec.in_features] + [spec.width] * spec.depth + [spec.out_features]
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(fan_in, fan_out, bias=spec.bias, dtype=torch.float64))
        if i < spec.depth:
            layers.append(Activation(spec.activation, **spec.activation_params))
    net = nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(seed)
    x = None if data is None else data.detach().to("cpu", torch.float64)
    init.by_name_(net, spec.init, sigma_w=spec.sigma_w, sigma_b=spec.sigma_b,
                  activation=spec.act, data=x, generator=generator)
    if spec.readout == "standard":
        init.glorot_standard_(layers[-1], generator=generator)
    return net.to(device=device, dtype=dtype)
